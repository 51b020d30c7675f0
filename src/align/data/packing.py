"""Pack tokenized documents into fixed-length blocks for next-token prediction, dropping no document."""

from __future__ import annotations

import logging

from align.errors import UserError

logger = logging.getLogger(__name__)

IGNORE_INDEX = -100


def _pack_batch(batch, tokenizer, block_size: int, text_field: str):
    # Literal special-token strings in web text stay plain text: they must not open a chat turn.
    encoded = tokenizer(batch[text_field], add_special_tokens=False, split_special_tokens=True)["input_ids"]
    stream: list[int] = []
    for ids in encoded:
        stream.append(tokenizer.bos_token_id)
        stream.extend(ids)
    blocks, labels, masks = [], [], []
    for start in range(0, len(stream), block_size):
        chunk = stream[start : start + block_size]
        n_pad = block_size - len(chunk)
        # The tail of a batch is padded rather than dropped, so every document is trained on.
        blocks.append(chunk + [tokenizer.pad_token_id] * n_pad)
        labels.append(chunk + [IGNORE_INDEX] * n_pad)
        masks.append([1] * len(chunk) + [0] * n_pad)
    return {"input_ids": blocks, "labels": labels, "attention_mask": masks}


def pack_documents(dataset, tokenizer, block_size: int, text_field: str = "text", num_proc: int | None = None,
                   batch_size: int = 2000, desc: str = "packing"):
    """Tokenize ``dataset[text_field]`` and cut it into ``block_size`` blocks.

    Each document starts with the BOS token. Blocks run across document boundaries (as in GPT pretraining);
    the remainder of every ``batch_size`` documents is padded (labels ``-100``) instead of dropped.
    """
    if tokenizer.bos_token_id is None or tokenizer.pad_token_id is None:
        raise UserError("the tokenizer needs a BOS token (document separator) and a pad token for packing")
    packed = dataset.map(
        _pack_batch,
        batched=True,
        batch_size=batch_size,
        remove_columns=dataset.column_names,
        num_proc=num_proc,
        fn_kwargs={"tokenizer": tokenizer, "block_size": block_size, "text_field": text_field},
        desc=desc,
    )
    logger.info("packed %d documents into %d blocks of %d tokens", len(dataset), len(packed), block_size)
    return packed
