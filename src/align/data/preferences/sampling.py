"""Batched sampling from a chat model: K completions per conversation (:func:`align.engine.generate_batch`)."""

from __future__ import annotations

import logging

import torch

from align.engine import generate_batch
from align.errors import UserError

logger = logging.getLogger(__name__)


def sample_chat(model, tokenizer, conversations: list[list[dict]], *, n: int = 1, temperature: float = 1.0,
                top_p: float = 1.0, top_k: int = 0, max_new_tokens: int = 96, batch_size: int = 64,
                seed: int | None = None) -> list[list[str]]:
    """``n`` completions of each conversation (its chat template with ``add_generation_prompt=True``), as text.

    ``temperature=0`` decodes greedily (then ``n`` must be 1). ``batch_size`` counts sequences per ``generate`` call
    (prompts × ``n``). Generation stops at the model's end-of-turn ids (its generation config).
    """
    if n < 1 or (temperature == 0 and n > 1):
        raise UserError(f"sampling: n must be >= 1, and 1 when greedy (temperature 0); got n={n}")
    if not tokenizer.chat_template:
        raise UserError("sampling: the tokenizer has no chat template (sample from an SFT model)")
    if seed is not None:
        torch.manual_seed(seed)
    sampling = (dict(do_sample=True, temperature=temperature, top_p=top_p, top_k=top_k) if temperature > 0
                else dict(do_sample=False))
    encoded = [tokenizer.apply_chat_template(c, add_generation_prompt=True, tokenize=True, return_dict=False)
               for c in conversations]
    completions = generate_batch(model, tokenizer, encoded, max_new_tokens=max_new_tokens,
                                 batch_size=max(1, batch_size // n), num_return_sequences=n, desc="sampling answers",
                                 **sampling)
    texts = tokenizer.batch_decode(completions, skip_special_tokens=True)
    return [[t.strip() for t in texts[i * n : (i + 1) * n]] for i in range(len(conversations))]
