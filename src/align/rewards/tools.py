"""Do the completion's tool calls work? The fraction of calls that parse and run without an ``error:`` result.

Calls are found in two places: as text in any syntax of :mod:`align.tools.syntax` (``<|tool_call|>…<|/tool_call|>``
in completions decoded with their special tokens, or ``<tool_call>…</tool_call>``; a call left open at the end
counts as failed), and in the ``tool_calls`` of
conversational messages (what TRL's response parser produces). Each call is run again here with
``align.tools.run_tool_call``; tools are pure and bounded (the calculator refuses oversized work).
"""

from __future__ import annotations

import json

from align.rewards.base import completion_messages, completion_text
from align.rewards.registry import register
from align.tools import run_tool_call
from align.tools.syntax import all_calls

MAX_CALLS = 64
"""Calls scored per completion; later ones are ignored."""


def tool_call_texts(completion) -> list[str]:
    """The JSON text of every tool call in ``completion`` (text calls first, then message ``tool_calls``)."""
    calls = all_calls(completion_text(completion))[:MAX_CALLS]
    if len(calls) >= MAX_CALLS:
        return calls
    for message in completion_messages(completion):
        tool_calls = message.get("tool_calls")
        if not isinstance(tool_calls, list):
            continue
        for call in tool_calls:
            calls.append(call if isinstance(call, str) else _dumps(call))
            if len(calls) >= MAX_CALLS:
                return calls
    return calls


def _dumps(call) -> str:
    try:
        return json.dumps(call)
    except (TypeError, ValueError, RecursionError):
        return ""


def call_succeeds(call: str) -> bool:
    try:
        return not run_tool_call(call).startswith("error:")
    except Exception:  # noqa: BLE001 - a tool that crashes on model input is a failed call
        return False


@register("tool_call_correctness")
def tool_call_correctness(prompts, completions, completion_ids=None, **kwargs) -> list[float | None]:
    """Fraction of the completion's tool calls that parse and run without error; None when it makes none."""
    rewards: list[float | None] = []
    for completion in completions:
        calls = tool_call_texts(completion)
        rewards.append(sum(map(call_succeeds, calls)) / len(calls) if calls else None)
    return rewards
