"""Shaping terms, not correctness: penalties for running long and for repeating oneself (both <= 0)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from align.rewards.base import completion_text
from align.rewards.registry import register

CHARS_PER_TOKEN = 4
"""Token count estimated from characters when ``completion_ids`` are not given."""


@register("length_penalty")
def length_penalty(prompts, completions, completion_ids=None, *, target: int = 512, limit: int = 1024,
                   unit: str = "tokens", **kwargs) -> list[float | None]:
    """0.0 up to ``target`` tokens (or characters with ``unit: chars``), falling linearly to -1.0 at ``limit`` and
    beyond. Tokens are counted from ``completion_ids`` when given, else estimated as characters / 4."""
    if unit not in ("tokens", "chars"):
        raise ValueError(f"unit must be 'tokens' or 'chars', got {unit!r}")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (target, limit)) or not 0 <= target < limit:
        raise ValueError(f"need integers 0 <= target < limit, got target={target!r}, limit={limit!r}")
    rewards: list[float | None] = []
    for i, completion in enumerate(completions):
        length = _length(completion, _ids(completion_ids, i), unit)
        over = min(1.0, max(0.0, (length - target) / (limit - target)))
        rewards.append(-over if over else 0.0)
    return rewards


def _ids(completion_ids, i: int):
    if isinstance(completion_ids, Sequence) and i < len(completion_ids):
        ids = completion_ids[i]
        if hasattr(ids, "__len__"):
            return ids
    return None


def _length(completion, ids, unit: str) -> int:
    if unit == "tokens" and ids is not None:
        return len(ids)
    chars = len(completion_text(completion))
    return chars if unit == "chars" else math.ceil(chars / CHARS_PER_TOKEN)


@register("repetition_penalty")
def repetition_penalty(prompts, completions, completion_ids=None, *, n: int = 3, scale: float = 1.0,
                       unit: str = "words", **kwargs) -> list[float | None]:
    """-scale x the fraction of repeated n-grams (1 - distinct / total) over whitespace words, or over token ids
    with ``unit: tokens`` (falls back to words without ids); 0.0 for text shorter than n."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale < 0:
        raise ValueError(f"scale must be a non-negative number, got {scale!r}")
    if unit not in ("words", "tokens"):
        raise ValueError(f"unit must be 'words' or 'tokens', got {unit!r}")
    rewards: list[float | None] = []
    for i, completion in enumerate(completions):
        items = _token_items(_ids(completion_ids, i)) if unit == "tokens" else None
        if items is None:
            items = completion_text(completion).split()
        grams = [tuple(items[j:j + n]) for j in range(len(items) - n + 1)]
        repeated = 1.0 - len(set(grams)) / len(grams) if grams else 0.0
        rewards.append(-float(scale) * repeated if repeated else 0.0)
    return rewards


def _token_items(ids) -> list[int] | None:
    try:
        return None if ids is None else [int(t) for t in ids]
    except (TypeError, ValueError):
        return None
