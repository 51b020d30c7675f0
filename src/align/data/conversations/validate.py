"""Validation of conversation datasets before training: one bad row stops the run with one line naming it.

Accepted rows are TRL's formats: conversational ``messages``, or ``prompt`` + ``completion`` (both strings, or
both message lists). Tool calls follow the transformers convention (an assistant message with ``tool_calls``,
then a ``tool`` message).
"""

from __future__ import annotations

from collections.abc import Iterable

from align.data.skipped import SkippedRows, convert_rows
from align.errors import UserError

ROLES = ("system", "user", "assistant", "tool")


def validate_rows(rows: Iterable[dict], source: str) -> int:
    """Check every row; return how many there were. Raises :class:`UserError` naming source, row and field."""
    return len(valid_rows(rows, source)[0])


def valid_rows(rows: Iterable[dict], source: str, skip_invalid: bool = False) -> tuple[list[dict], SkippedRows]:
    """The rows that pass the checks; a bad one raises :class:`UserError` naming source, row (1-based) and field,
    or with ``skip_invalid`` is left out and counted."""

    def check(row: dict, where: str) -> dict:
        _validate_row(row, where)
        return row

    return convert_rows(rows, source, check, skip_invalid)


def validate_dataset(dataset, source: str) -> None:
    """:func:`validate_rows` on a ``datasets.Dataset`` (checks the columns first)."""
    columns = set(dataset.column_names)
    if "messages" not in columns and not {"prompt", "completion"} <= columns:
        raise UserError(
            f"{source}: needs a 'messages' column or 'prompt' and 'completion' columns (has {sorted(columns)})"
        )
    validate_rows(dataset, source)


def _validate_row(row: dict, where: str) -> None:
    if "messages" in row and row["messages"] is not None:
        messages = _messages(row["messages"], f"{where}: messages")
        if not any(m["role"] == "assistant" for m in messages):
            raise UserError(f"{where}: messages: no assistant message (nothing to learn)")
        return
    if "prompt" not in row and "completion" not in row:
        raise UserError(f"{where}: no 'messages' (or 'prompt' and 'completion') field")
    prompt, completion = row.get("prompt"), row.get("completion")
    if isinstance(prompt, str) or isinstance(completion, str):
        for name, value in (("prompt", prompt), ("completion", completion)):
            if not isinstance(value, str):
                raise UserError(f"{where}: {name}: expected a string, got {type(value).__name__}")
            if not value.strip():
                raise UserError(f"{where}: {name}: empty")
        return
    _messages(prompt, f"{where}: prompt")
    completion = _messages(completion, f"{where}: completion")
    if not any(m["role"] == "assistant" for m in completion):
        raise UserError(f"{where}: completion: no assistant message")


def _messages(messages, where: str) -> list[dict]:
    if not isinstance(messages, list):
        raise UserError(f"{where}: expected a list of messages, got {type(messages).__name__}")
    if not messages:
        raise UserError(f"{where}: no messages")
    previous = None
    for j, message in enumerate(messages):
        field = f"{where}[{j}]"
        if not isinstance(message, dict):
            raise UserError(f"{field}: expected a message object, got {type(message).__name__}")
        role = message.get("role")
        if role is None:
            raise UserError(f"{field}.role: missing")
        if not isinstance(role, str):
            raise UserError(f"{field}.role: expected a string, got {type(role).__name__}")
        if role not in ROLES:
            raise UserError(f"{field}.role: unknown role {role!r} (expected one of {', '.join(ROLES)})")
        calls = message.get("tool_calls")
        if calls is not None:
            if role != "assistant":
                raise UserError(f"{field}.tool_calls: only assistant messages call tools")
            _tool_calls(calls, f"{field}.tool_calls")
        content = message.get("content")
        if content is None and calls:
            pass  # an assistant message may be only a tool call
        elif not isinstance(content, str):
            raise UserError(f"{field}.content: expected a string, got {type(content).__name__}")
        elif not content.strip() and not calls:
            raise UserError(f"{field}.content: empty")
        if role == "tool" and not (previous and previous.get("tool_calls")):
            raise UserError(f"{field}: a tool message must follow an assistant message with tool_calls")
        previous = message
    return messages


def _tool_calls(calls, where: str) -> None:
    if not isinstance(calls, list) or not calls:
        raise UserError(f"{where}: expected a non-empty list of calls")
    for k, call in enumerate(calls):
        function = call.get("function", call) if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"]:
            raise UserError(f"{where}[{k}]: needs a function name")
        if not isinstance(function.get("arguments", {}), (dict, str)):
            raise UserError(f"{where}[{k}].arguments: expected an object")
