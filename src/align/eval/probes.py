"""Measures of a model on plain text: verbatim continuation of documents (regurgitation) and bits per byte."""

from __future__ import annotations

import math

import torch

from align.engine import generate_batch
from align.eval.bits_per_byte import BitsPerByte
from align.modeling import stop_token_ids
from align.tokenizer import token_byte_lengths

# regurgitation ----------------------------------------------------------------------------------------------

def verbatim_continuation(model, tokenizer, documents: list[str], prefix_tokens: int = 32, check_tokens: int = 32,
                          batch_size: int = 32) -> float:
    """Fraction of the next ``check_tokens`` tokens reproduced exactly (greedy) after a ``prefix_tokens`` prefix,
    averaged over documents long enough to test."""
    rows = []
    for doc in documents:
        ids = tokenizer(doc, add_special_tokens=False)["input_ids"]
        if len(ids) >= prefix_tokens + check_tokens:
            rows.append(([tokenizer.bos_token_id] + ids[:prefix_tokens], ids[prefix_tokens:prefix_tokens + check_tokens]))
    if not rows:
        return float("nan")
    completions = generate_batch(model, tokenizer, [p for p, _ in rows], max_new_tokens=check_tokens,
                                 min_new_tokens=check_tokens, stop_ids=stop_token_ids(tokenizer),
                                 batch_size=batch_size, do_sample=False)
    scores = [sum(a == b for a, b in zip(row, truth)) / len(truth) for (_, truth), row in zip(rows, completions)]
    return sum(scores) / len(scores)


# bits per byte ----------------------------------------------------------------------------------------------

def bits_per_byte(model, tokenizer, documents: list[str], block_size: int = 256, batch_size: int = 16) -> float:
    """Bits per byte of ``documents`` under ``model`` (each document scored on its own, in blocks)."""
    metric = BitsPerByte(token_byte_lengths(tokenizer))
    blocks = []
    for doc in documents:
        ids = [tokenizer.bos_token_id] + tokenizer(doc, add_special_tokens=False)["input_ids"]
        for start in range(0, len(ids) - 1, block_size):
            block = ids[start : start + block_size + 1]
            if len(block) > 1:
                blocks.append(block)
    nats = n_bytes = 0.0
    model.eval()
    for start in range(0, len(blocks), batch_size):
        chunk = blocks[start : start + batch_size]
        width = max(map(len, chunk))
        pad = tokenizer.pad_token_id
        input_ids = torch.tensor([b + [pad] * (width - len(b)) for b in chunk], device=model.device)
        labels = torch.tensor([b + [-100] * (width - len(b)) for b in chunk], device=model.device)
        attention = (labels != -100).long()
        with torch.no_grad():
            logits = model(input_ids=input_ids, attention_mask=attention).logits
        sums = metric.preprocess_logits(logits, labels)
        nats += float(sums[:, 0].sum())
        n_bytes += float(sums[:, 1].sum())
    return nats / (math.log(2) * n_bytes) if n_bytes else float("nan")
