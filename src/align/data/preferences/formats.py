"""Preference datasets in real formats, checked and turned into TRL's explicit-prompt format.

Accepted rows (all rows of one dataset in one format):

- explicit prompt, standard: ``{"prompt": str, "chosen": str, "rejected": str}`` (kept as strings);
- explicit prompt, conversational: ``{"prompt": [messages], "chosen": [messages], "rejected": [messages]}``;
- implicit prompt, conversational: ``{"chosen": [messages], "rejected": [messages]}`` — two whole conversations
  that share everything but the last (assistant) message, which is the prompt;
- Anthropic HH: ``{"chosen": "\\n\\nHuman: … \\n\\nAssistant: …", "rejected": "…"}`` — transcripts sharing every
  turn but the last Assistant one; read as conversations.

Output rows are ``{"prompt", "chosen", "rejected"}`` (conversational or standard) — what ``trl.RewardTrainer``
and ``trl.DPOTrainer`` take. A bad row (missing field, chosen == rejected, an empty side, chosen and rejected with
different prompts) stops the run with one line naming the file, the row (1-based) and the field — or, with
``skip_invalid=True``, is left out and counted with its reason (:mod:`align.data.skipped`). Rows labelled a tie or a
skip (``"label": "tie" | "skip"``, written by ``align ui``) are not pairs: they are left out and counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from align.data.conversations.loaders import load_rows
from align.data.skipped import SkippedRows, convert_rows
from align.data.text import data_format
from align.errors import UserError

ROLES = ("system", "user", "assistant", "tool")
_HH_TURN = re.compile(r"(?:^|\n\n)(Human|Assistant):[ \t]?")


def load_preferences(spec: str, split: str = "train", skip_invalid: bool = False):
    """A validated ``datasets.Dataset`` of explicit-prompt rows from a jsonl/json file, a directory written by
    ``align preferences`` (``<split>.jsonl``), a ``save_to_disk`` / parquet dir or a Hub id."""
    from datasets import Dataset

    source, rows = _raw_rows(spec, split)
    return Dataset.from_list(convert_preferences(rows, source, skip_invalid)[0])


@dataclass
class PreferenceSplits:
    """Validated pairs: ``train``, ``test`` (None when the source has no test split) and what each left out."""

    train: object
    test: object | None
    skipped: dict[str, SkippedRows]


def read_preference_splits(spec: str, train_split: str = "train", test_split: str = "test",
                           skip_invalid: bool = False) -> PreferenceSplits:
    """The train split, and the test split when the source has one; ``skip_invalid`` leaves bad rows out (counted
    in ``skipped``) instead of stopping at the first."""
    from datasets import Dataset

    source, rows = _raw_rows(spec, train_split)
    train, skipped = convert_preferences(rows, source, skip_invalid)
    splits = PreferenceSplits(Dataset.from_list(train), None, {"train": skipped})
    if Path(spec).expanduser().is_file():
        return splits
    try:
        source, rows = _raw_rows(spec, test_split)
    except UserError:  # no such split: the caller holds rows out instead
        return splits
    test, splits.skipped["test"] = convert_preferences(rows, source, skip_invalid)
    splits.test = Dataset.from_list(test)
    return splits


def load_preference_splits(spec: str, train_split: str = "train", test_split: str = "test",
                           skip_invalid: bool = False):
    """(train, test or None): the test split when the source has one."""
    splits = read_preference_splits(spec, train_split, test_split, skip_invalid)
    return splits.train, splits.test


def _raw_rows(spec: str, split: str) -> tuple[str, list[dict]]:
    path = Path(spec).expanduser()
    jsonl = sorted(p for p in path.iterdir() if p.is_file() and data_format(p) == ".jsonl") if path.is_dir() else []
    split_file = next((p for p in jsonl if p.name.split(".")[0] == split), None)  # train.jsonl, train.jsonl.gz
    if split_file is not None:
        return str(split_file), load_rows(str(split_file))
    if jsonl and not (path / "dataset_dict.json").exists():
        raise UserError(f"{spec}: no {split}.jsonl in this directory")
    return spec, load_rows(spec, split)


# conversion and validation -----------------------------------------------------------------------------------

def to_explicit_prompt(rows: list[dict], source: str) -> list[dict]:
    """Every row as ``{"prompt", "chosen", "rejected"}``; raises :class:`UserError` naming source, row and field."""
    return convert_preferences(rows, source)[0]


def convert_preferences(rows: list[dict], source: str, skip_invalid: bool = False) -> tuple[list[dict], SkippedRows]:
    """The pairs of ``rows`` as ``{"prompt", "chosen", "rejected"}``, all in the format of the first; rows labelled a
    tie or a skip left out (logged); a bad row raises :class:`UserError`, or with ``skip_invalid`` is left out and
    counted."""
    first: dict = {}

    def convert(row: dict, where: str) -> dict:
        converted, kind = _convert(row, where)
        first.setdefault("kind", kind)
        first.setdefault("row", where.removeprefix(f"{source}: "))
        if kind != first["kind"]:
            raise UserError(f"{where}: {kind} format, but {first['row']} is {first['kind']}: use one format per "
                            "dataset")
        return converted

    return convert_rows(rows, source, convert, skip_invalid, leave_out=tie_or_skip)


NOT_PAIRS = ("tie", "skip")


def tie_or_skip(row) -> str | None:
    """``"tie"`` / ``"skip"`` for a labeller's row that holds no preference (``align ui`` writes them), else None."""
    label = row.get("label") if isinstance(row, dict) else None
    return label if label in NOT_PAIRS else None


def _convert(row: dict, where: str) -> tuple[dict, str]:
    if not isinstance(row, dict):
        raise UserError(f"{where}: expected an object, got {type(row).__name__}")
    for name in ("chosen", "rejected"):
        if row.get(name) is None:
            raise UserError(f"{where}: {name}: missing")
    prompt, chosen, rejected = row.get("prompt"), row["chosen"], row["rejected"]
    if isinstance(prompt, str) and isinstance(chosen, list) and isinstance(rejected, list):
        prompt = None  # a prompt string beside whole conversations (HuggingFaceH4/ultrafeedback_binarized): implicit
    if prompt is not None:  # explicit prompt
        if isinstance(prompt, str):
            for name, value in (("prompt", prompt), ("chosen", chosen), ("rejected", rejected)):
                _text(value, f"{where}: {name}")
            kind = "standard"
        else:
            _messages(prompt, f"{where}: prompt")
            _completion(chosen, f"{where}: chosen")
            _completion(rejected, f"{where}: rejected")
            kind = "conversational"
    elif isinstance(chosen, str) and isinstance(rejected, str):
        if not (_HH_TURN.match(chosen) or "\n\nHuman:" in chosen):
            raise UserError(f"{where}: prompt: missing (chosen and rejected are plain strings: add a prompt field, "
                            "or give Anthropic HH transcripts)")
        prompt, chosen, rejected = _split_shared_prompt(
            _hh_messages(chosen, f"{where}: chosen"), _hh_messages(rejected, f"{where}: rejected"), where, "turn")
        kind = "conversational"
    else:  # implicit prompt, conversational
        full_chosen = _messages(chosen, f"{where}: chosen")
        full_rejected = _messages(rejected, f"{where}: rejected")
        prompt, chosen, rejected = _split_shared_prompt(full_chosen, full_rejected, where, "message")
        kind = "conversational"
    if chosen == rejected:
        raise UserError(f"{where}: chosen and rejected are the same")
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected}, kind


def _split_shared_prompt(chosen: list[dict], rejected: list[dict], where: str, unit: str):
    """(prompt, [last chosen message], [last rejected message]) of two conversations that share their prompt."""
    for name, messages in (("chosen", chosen), ("rejected", rejected)):
        if messages[-1]["role"] != "assistant":
            raise UserError(f"{where}: {name}: the last {unit} must be the assistant's answer")
        _text(messages[-1]["content"], f"{where}: {name}[{len(messages) - 1}].content")
        if len(messages) < 2:
            raise UserError(f"{where}: {name}: no prompt before the answer")
    prompt = chosen[:-1]
    if prompt != rejected[:-1]:
        k = next((k for k, (a, b) in enumerate(zip(prompt, rejected[:-1])) if a != b), min(len(prompt),
                                                                                               len(rejected) - 1))
        raise UserError(f"{where}: rejected: its prompt differs from chosen's at {unit} {k}")
    return prompt, chosen[-1:], rejected[-1:]


def _hh_messages(text: str, where: str) -> list[dict]:
    """An HH transcript ("\\n\\nHuman: …\\n\\nAssistant: …") as messages."""
    parts = _HH_TURN.split(text)
    if parts[0].strip():
        raise UserError(f"{where}: text before the first 'Human:' turn")
    messages = [{"role": "user" if speaker == "Human" else "assistant", "content": content.strip()}
                for speaker, content in zip(parts[1::2], parts[2::2])]
    if not messages:
        raise UserError(f"{where}: no 'Human:' / 'Assistant:' turns")
    return messages


def _text(value, where: str) -> None:
    if not isinstance(value, str):
        raise UserError(f"{where}: expected a string, got {type(value).__name__}")
    if not value.strip():
        raise UserError(f"{where}: empty")


def _completion(messages, where: str) -> None:
    messages = _messages(messages, where)
    if messages[-1]["role"] != "assistant":
        raise UserError(f"{where}: the last message must be the assistant's")


def _messages(messages, where: str) -> list[dict]:
    if not isinstance(messages, list):
        raise UserError(f"{where}: expected a list of messages, got {type(messages).__name__}")
    if not messages:
        raise UserError(f"{where}: empty")
    for j, message in enumerate(messages):
        if not isinstance(message, dict):
            raise UserError(f"{where}[{j}]: expected a message object, got {type(message).__name__}")
        role = message.get("role")
        if role not in ROLES:
            raise UserError(f"{where}[{j}].role: " + ("missing" if role is None else
                                                     f"unknown role {role!r} (expected one of {', '.join(ROLES)})"))
        _text(message.get("content"), f"{where}[{j}].content")
    return messages
