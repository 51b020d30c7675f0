"""Small helpers to write conversations in the transformers message format and turn them into datasets."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence

from align.tools import format_tool_call, tool_schemas


def system(text: str) -> dict:
    return {"role": "system", "content": text}


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def assistant(text: str, tool_calls: list[dict] | None = None) -> dict:
    message = {"role": "assistant", "content": text}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return message


def tool(text: str) -> dict:
    return {"role": "tool", "content": text}


def calculator_call(expression: str) -> dict:
    return format_tool_call("calculator", {"expression": expression})


def canonical(message: dict) -> dict:
    """Every message with the same keys, so builders with and without tool calls concatenate into one Arrow
    schema (a missing key would make the struct types differ)."""
    return {"role": message["role"], "content": message.get("content") or "",
            "tool_calls": message.get("tool_calls") or None}


def to_dataset(rows: list[dict], source: str):
    """A ``datasets.Dataset`` of ``{"messages": [...], "source": source, "meta": json}`` rows.

    Per-builder metadata (fact ids, answers...) is kept as a JSON string so that mixtures of builders with
    different metadata share one schema.
    """
    from datasets import Dataset, Value

    records = []
    for row in rows:
        meta = {k: v for k, v in row.items() if k != "messages"}
        records.append({"messages": [canonical(m) for m in row["messages"]], "tools": offered_tools(row["messages"]),
                        "source": source, "meta": json.dumps(meta, ensure_ascii=False, sort_keys=True)})
    dataset = Dataset.from_list(records)
    if dataset.features["tools"] != Value("string"):
        # No row calls a tool: make "tools" a string column anyway, so every builder shares one schema.
        features = dataset.features.copy()
        features["tools"] = Value("string")
        dataset = Dataset.from_list(records, features=features)
    return dataset


def offered_tools(messages: list[dict]) -> str | None:
    """The JSON schemas of the tools a conversation calls (TRL's ``tools`` column), or None.

    The chat template lists them in a system turn, so the model learns to call tools when they are offered
    and chat (which offers them) looks like training.
    """
    names = sorted({(call.get("function") or call).get("name") for m in messages for call in m.get("tool_calls") or []
                    if isinstance(call, dict)} - {None})
    return json.dumps(tool_schemas(names)) if names else None


def take(items: Sequence, n: int | None, rng: random.Random) -> list:
    """``n`` items in a seeded random order; cycles through ``items`` again when ``n`` is larger."""
    items = list(items)
    if not items:
        return []
    if n is None:
        n = len(items)
    out: list = []
    while len(out) < n:
        batch = items[:]
        rng.shuffle(batch)
        out.extend(batch[: n - len(out)])
    return out
