"""Tool registry and the one place where a model-written call is parsed and run.

A call is JSON in the transformers convention, ``{"name": "calculator", "arguments": {"expression": "2+3"}}``;
the model writes it between ``<|tool_call|>`` tokens and the engine writes the result back. Nothing here raises
on model output: a bad call becomes an ``error: ...`` result the model can read.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from align.tools.calculator import calculator

TOOLS: dict[str, Callable[..., str]] = {"calculator": calculator}
"""Tool name -> function taking the call's arguments as keywords and returning text."""

TOOL_SCHEMAS: dict[str, dict] = {
    "calculator": {"type": "function", "function": {
        "name": "calculator", "description": "exact arithmetic: + - * / ** and parentheses",
        "parameters": {"type": "object", "properties": {"expression": {"type": "string"}},
                       "required": ["expression"]}}},
}
"""Tool name -> JSON schema, as passed to ``apply_chat_template(tools=...)``."""


def tool_schemas(names) -> list[dict]:
    """Schemas of the named tools (a tool without a known schema gets a bare one with its name)."""
    return [TOOL_SCHEMAS.get(name, {"type": "function", "function": {"name": name}}) for name in names]

MAX_CALL_CHARS = 1000


def format_tool_call(name: str, arguments: dict) -> dict:
    """A tool call as an assistant message's ``tool_calls`` item (transformers convention)."""
    return {"type": "function", "function": {"name": name, "arguments": arguments}}


def parse_tool_call(text: str) -> tuple[str, dict]:
    """(name, arguments) from the JSON between the tool-call tokens; raises ValueError when malformed."""
    if len(text) > MAX_CALL_CHARS:
        raise ValueError("tool call too long")
    call = json.loads(text)
    if isinstance(call, dict) and isinstance(call.get("function"), dict):
        call = call["function"]
    if not isinstance(call, dict) or not isinstance(call.get("name"), str):
        raise ValueError("a tool call needs a name")
    arguments = call.get("arguments", {})
    if isinstance(arguments, str):  # OpenAI-style: arguments as a JSON string
        arguments = json.loads(arguments)
    if not isinstance(arguments, dict):
        raise ValueError("tool arguments must be an object")
    return call["name"], arguments


def run_tool_call(text: str, tools: dict[str, Callable[..., str]] | None = None) -> str:
    """Run one model-written call and return the tool's output (or ``error: ...``)."""
    tools = TOOLS if tools is None else tools
    try:
        name, arguments = parse_tool_call(text.strip())
    except (ValueError, RecursionError) as err:
        return f"error: malformed tool call ({str(err).splitlines()[0][:80]})"
    if name not in tools:
        return f"error: unknown tool {name[:40]!r}"
    try:
        return str(tools[name](**arguments))
    except TypeError:
        return f"error: bad arguments for {name}"
