"""What every reward shares: the text of a completion, the dataset columns, finite rewards.

TRL (``GRPOTrainer._calculate_rewards``) calls each reward as
``f(prompts=..., completions=..., completion_ids=..., **columns)`` where ``columns`` holds every dataset
column except prompt/completion (one value per completion) plus ``trainer_state``, ``log_extra`` and
``log_metric``. A completion is a string, or (conversational datasets) a list of messages: one assistant
message, or after tool calls ``[assistant(+tool_calls), tool, assistant, ...]``. ``None`` in the returned
list becomes NaN, which TRL ignores for that row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def completion_text(completion) -> str:
    """The model-written text of one completion: the string itself, or its assistant messages joined by newlines.

    Tool results (``role: tool``) are not the model's words and are left out. Content given as a list of parts
    (``[{"type": "text", "text": ...}]``) is flattened. Anything else becomes ``""``.
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    if not isinstance(completion, Sequence):
        return ""
    texts = []
    for message in completion:
        if isinstance(message, dict) and message.get("role", "assistant") == "assistant":
            texts.append(_content_text(message.get("content")))
    return "\n".join(t for t in texts if t)


def _content_text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        parts = (part.get("text") if isinstance(part, dict) else part for part in content)
        return "".join(part for part in parts if isinstance(part, str))
    return ""


def completion_messages(completion) -> list[dict]:
    """The completion's messages (a string completion is one assistant message)."""
    if isinstance(completion, str):
        return [{"role": "assistant", "content": completion}]
    if isinstance(completion, dict):
        return [completion]
    if isinstance(completion, Sequence):
        return [m for m in completion if isinstance(m, dict)]
    return []


def column(kwargs: dict, name: str, n: int, reward: str) -> list:
    """The dataset column ``name`` (one value per completion); a missing column is a configuration error."""
    if n == 0:
        return []
    if name not in kwargs:
        columns = sorted(k for k in kwargs if k not in ("trainer_state", "log_extra", "log_metric", "environments"))
        raise ValueError(f"reward {reward!r} needs the dataset column {name!r}; the dataset has {columns}")
    values = kwargs[name]
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) != n:
        raise ValueError(f"reward {reward!r}: column {name!r} must hold one value per completion ({n})")
    return list(values)


def finite(value) -> float | None:
    """``value`` as a float, or None when it is None, NaN or infinite (TRL needs finite rewards)."""
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return value if math.isfinite(value) else None
