"""Is the final answer right? 1.0 or 0.0 against the dataset's gold answer (see ``parsing`` for the formats)."""

from __future__ import annotations

from align.rewards.base import column, completion_text
from align.rewards.parsing import grade
from align.rewards.registry import register


@register("math_accuracy")
def math_accuracy(prompts, completions, completion_ids=None, *, answer_column: str = "answer",
                  **kwargs) -> list[float | None]:
    """1.0 when the completion's last stated answer equals the gold answer, 0.0 when it differs or is missing;
    None for a row whose gold answer cannot be parsed."""
    golds = column(kwargs, answer_column, len(completions), "math_accuracy")
    rewards: list[float | None] = []
    for completion, gold in zip(completions, golds):
        correct = grade(completion_text(completion), gold)
        rewards.append(None if correct is None else float(correct))
    return rewards
