"""Is the completion shaped as trained? The answer line at the end, and optionally ``<think>`` tags."""

from __future__ import annotations

import re

from align.rewards.base import completion_text
from align.rewards.registry import register

ANSWER_LINE = re.compile(r"The answer is -?\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\.")
"""A well-formed answer line (the whole line): ``The answer is 1,234.5.``"""
_ANSWER_IS = re.compile(r"answer is", re.IGNORECASE)


@register("answer_format")
def answer_format(prompts, completions, completion_ids=None, *, partial: float = 0.5,
                  **kwargs) -> list[float | None]:
    """1.0 when the last non-empty line is a well-formed ``The answer is N.`` and the completion states an answer
    only once; ``partial`` when it states one somewhere else or more than once; 0.0 when it states none."""
    partial = _fraction(partial, "partial")
    rewards: list[float | None] = []
    for completion in completions:
        text = completion_text(completion)
        stated = len(_ANSWER_IS.findall(text))
        if stated == 0:
            rewards.append(0.0)
            continue
        lines = text.rstrip().rsplit("\n", 1)
        last = lines[-1].strip()
        rewards.append(1.0 if stated == 1 and ANSWER_LINE.fullmatch(last) else partial)
    return rewards


@register("think_format")
def think_format(prompts, completions, completion_ids=None, *, open_tag: str = "<think>",
                 close_tag: str = "</think>", **kwargs) -> list[float | None]:
    """1.0 when the completion is one non-empty ``<think>...</think>`` block first, then a non-empty reply, with no
    other think tag; else 0.0."""
    if not open_tag or not close_tag or open_tag == close_tag:
        raise ValueError("open_tag and close_tag must be two different non-empty strings")
    rewards: list[float | None] = []
    for completion in completions:
        text = completion_text(completion).strip()
        ok = (text.startswith(open_tag) and text.count(open_tag) == 1 and text.count(close_tag) == 1)
        if ok:
            thought, _, reply = text[len(open_tag):].partition(close_tag)
            ok = bool(thought.strip()) and bool(reply.strip())
        rewards.append(1.0 if ok else 0.0)
    return rewards


def _fraction(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a number between 0 and 1, got {value!r}")
    return float(value)
