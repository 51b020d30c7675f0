"""Batched sampling from a chat model: K completions per conversation, left-padded ``generate`` calls."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def sample_chat(model, tokenizer, conversations: list[list[dict]], *, n: int = 1, temperature: float = 1.0,
                top_p: float = 1.0, top_k: int = 0, max_new_tokens: int = 96, batch_size: int = 64,
                seed: int | None = None) -> list[list[str]]:
    """``n`` completions of each conversation (its chat template with ``add_generation_prompt=True``), as text.

    ``temperature=0`` decodes greedily (then ``n`` must be 1). ``batch_size`` counts sequences per ``generate`` call
    (prompts × ``n``). Generation stops at the model's end-of-turn ids (its generation config).
    """
    import torch

    from align.errors import UserError
    from align.logging_utils import progress

    if n < 1 or (temperature == 0 and n > 1):
        raise UserError(f"sampling: n must be >= 1, and 1 when greedy (temperature 0); got n={n}")
    if not tokenizer.chat_template:
        raise UserError("sampling: the tokenizer has no chat template (sample from an SFT model)")
    if seed is not None:
        torch.manual_seed(seed)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    sampling = (dict(do_sample=True, temperature=temperature, top_p=top_p, top_k=top_k) if temperature > 0
                else dict(do_sample=False))
    per_call = max(1, batch_size // n)
    out: list[list[str]] = []
    side, tokenizer.padding_side = tokenizer.padding_side, "left"  # every prompt ends where generation starts
    was_training = model.training
    model.eval()
    bar = progress(len(conversations), "sampling answers", unit="prompt")
    try:
        for start in range(0, len(conversations), per_call):
            batch = conversations[start : start + per_call]
            encoded = [tokenizer.apply_chat_template(c, add_generation_prompt=True, tokenize=True, return_dict=False)
                       for c in batch]
            width = max(len(ids) for ids in encoded)
            input_ids = torch.tensor([[pad] * (width - len(ids)) + list(ids) for ids in encoded], device=model.device)
            mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in encoded], device=model.device)
            context = getattr(model.config, "max_position_embeddings", None)
            new_tokens = max_new_tokens if context is None else max(1, min(max_new_tokens, context - width))
            with torch.no_grad():
                generated = model.generate(input_ids=input_ids, attention_mask=mask, max_new_tokens=new_tokens,
                                           num_return_sequences=n, pad_token_id=pad, **sampling)
            texts = tokenizer.batch_decode(generated[:, width:], skip_special_tokens=True)
            out += [[t.strip() for t in texts[i * n : (i + 1) * n]] for i in range(len(batch))]
            bar.update(len(batch))
    finally:
        bar.close()
        tokenizer.padding_side = side
        model.train(was_training)
    return out
