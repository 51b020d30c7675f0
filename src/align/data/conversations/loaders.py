"""Loaders of real conversation formats, registered as builders so a mixture can include them:

- `gsm8k`: GSM8K jsonl; its ``<<48/2=24>>`` annotations become calculator calls (or are dropped: ``tools: false``);
- `conversational`: TRL's conversational format (a ``messages`` column);
- `prompt_completion`: TRL's prompt–completion format (strings or message lists), as messages;
- `sharegpt`: ShareGPT-style ``conversations`` of ``{from: human|gpt|system, value}``;
- `documents`: plain text (the pretraining data), one assistant turn per document: rehearsal during SFT.

Every row is validated first; a malformed one stops the run with one line naming the file, row and field.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from align.data.conversations.messages import assistant, calculator_call, take, to_dataset, tool, user
from align.data.conversations.registry import register
from align.data.conversations.validate import validate_rows
from align.data.text import (  # the text loader's file/dir/Hub resolution
    HeldoutSplit,
    _load_local,
    _looks_local,
    data_format,
    load_text_dataset,
)
from align.errors import UserError, first_line
from align.tools import calculator

_ANNOTATION = re.compile(r"<<([^<>=]*)=([^<>]*)>>")
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                  "system": "system", "tool": "tool", "observation": "tool"}


def load_rows(spec: str, split: str = "train") -> list[dict]:
    """Rows of a jsonl/json file, compressed or not (read with ``json`` so a row's types and number survive), a
    dataset dir, other local files, or a Hub dataset id."""
    path = Path(spec).expanduser()
    if path.is_file() and data_format(path) in (".jsonl", ".json"):
        return _read_json(path)
    if _looks_local(spec):
        return list(_load_local(spec, split))
    import datasets

    try:
        return list(datasets.load_dataset(spec, split=split))
    except Exception as err:  # network, missing dataset: one line
        raise UserError(f"{spec}: could not load ({str(err).strip().splitlines()[-1]})") from err


def _read_json(path: Path) -> list[dict]:
    text = _read_text(path)
    if data_format(path) == ".json" and text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as err:
            raise UserError(f"{path}: line {err.lineno}, column {err.colno}: not valid JSON ({err.msg})") from err
    else:
        rows = []
        for i, line in enumerate(text.splitlines()):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise UserError(f"{path}: line {i + 1}: not valid JSON ({err.msg})") from err
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise UserError(f"{path}: row {i + 1}: expected a JSON object, got {type(row).__name__}")
    return rows


def _read_text(path: Path) -> str:
    """A file's text, decompressed by its suffix (fsspec: gzip, bz2, xz, zstd), as ``datasets`` would read it."""
    import fsspec

    try:
        with fsspec.open(str(path), "rt", encoding="utf-8", compression="infer") as f:
            return f.read()
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as err:
        raise UserError(f"{path}: could not read ({first_line(err)})") from err


# GSM8K ---------------------------------------------------------------------------------------------------------

def gsm8k_messages(question: str, answer: str, tools: bool = True) -> list[dict]:
    """A GSM8K solution as messages: calculator calls where the annotations were, "The answer is N." at the end."""
    body, _, final = answer.rpartition("####")
    final = final.strip().replace(",", "")
    if not body:
        body, final = answer, ""
    messages = [user(question.strip())]
    text, position = "", 0
    for match in _ANNOTATION.finditer(body):
        text += body[position : match.start()]
        position = match.end()
        expression, claimed = match.group(1).strip(), match.group(2).strip()
        result = calculator(expression)
        if not tools or not _same_number(result, claimed):
            continue  # keep the prose, drop a call the calculator would not reproduce
        messages += [assistant(text, [calculator_call(expression)]), tool(result)]
        text = ""
    text += body[position:]
    text = text.strip()
    conclusion = f"The answer is {final}." if final else ""
    messages.append(assistant(f"{text}\n{conclusion}".strip()))
    return messages


def _same_number(a: str, b: str) -> bool:
    try:
        return abs(float(a) - float(b.replace(",", ""))) < 1e-6
    except ValueError:
        return False


@register("gsm8k")
def gsm8k(world=None, *, path: str, n: int | None = None, seed: int = 0, tools: bool = True):
    """GSM8K jsonl (``{question, answer}``) as conversations; ``tools`` turns annotations into calculator calls."""
    rows = load_rows(path)
    out = []
    for i, row in enumerate(rows):
        for key in ("question", "answer"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise UserError(f"{path}: row {i + 1}: {key}: missing or not a non-empty string")
        answer = row["answer"].rpartition("####")[2].strip().replace(",", "")
        out.append({"messages": gsm8k_messages(row["question"], row["answer"], tools), "answer": answer})
    return to_dataset(take(out, n, random.Random(f"gsm8k-{seed}")), "gsm8k")


# TRL formats ---------------------------------------------------------------------------------------------------

@register("conversational")
def conversational(world=None, *, path: str, split: str = "train", n: int | None = None, seed: int = 0):
    """A dataset with a ``messages`` column (TRL's conversational format)."""
    rows = load_rows(path, split)
    if rows and "messages" not in rows[0]:
        raise UserError(f"{path}: row 1: no 'messages' field (has {', '.join(rows[0])})")
    validate_rows(rows, path)
    out = [{"messages": row["messages"]} for row in rows]
    return to_dataset(take(out, n, random.Random(f"conversational-{seed}")), "conversational")


@register("prompt_completion")
def prompt_completion(world=None, *, path: str, split: str = "train", n: int | None = None, seed: int = 0):
    """TRL's prompt–completion format (strings, or message lists) as conversations: the prompt is the user turn
    (or turns) and the completion the assistant's, so assistant-only loss equals completion-only loss."""
    rows = load_rows(path, split)
    validate_rows(rows, path)
    out = []
    for row in rows:
        if isinstance(row["prompt"], str):
            messages = [user(row["prompt"]), assistant(row["completion"])]
        else:
            messages = list(row["prompt"]) + list(row["completion"])
        out.append({"messages": messages})
    return to_dataset(take(out, n, random.Random(f"prompt_completion-{seed}")), "prompt_completion")


def sharegpt_messages(conversation, where: str) -> list[dict]:
    if not isinstance(conversation, list):
        raise UserError(f"{where}: expected a list of turns, got {type(conversation).__name__}")
    messages = []
    for j, turn in enumerate(conversation):
        if not isinstance(turn, dict):
            raise UserError(f"{where}[{j}]: expected an object, got {type(turn).__name__}")
        speaker = turn.get("from")
        if speaker not in SHAREGPT_ROLES:
            raise UserError(f"{where}[{j}].from: unknown speaker {speaker!r} (expected human, gpt or system)")
        messages.append({"role": SHAREGPT_ROLES[speaker], "content": turn.get("value")})
    return messages


@register("sharegpt")
def sharegpt(world=None, *, path: str, split: str = "train", n: int | None = None, seed: int = 0):
    """ShareGPT-style rows: ``{"conversations": [{"from": "human", "value": "..."}, {"from": "gpt", ...}]}``."""
    rows = load_rows(path, split)
    out = []
    for i, row in enumerate(rows):
        if "conversations" not in row:
            raise UserError(f"{path}: row {i + 1}: no 'conversations' field")
        out.append({"messages": sharegpt_messages(row["conversations"], f"{path}: row {i + 1}: conversations")})
    validate_rows(out, path)
    return to_dataset(take(out, n, random.Random(f"sharegpt-{seed}")), "sharegpt")


@register("documents")
def documents(world=None, *, path: str, n: int | None = None, seed: int = 0, text_field: str = "text",
              heldout_split: str | None = None):
    """Plain-text documents, each the whole of one assistant turn, so the assistant-only loss goes on predicting
    the pretraining text during SFT (rehearsal, as in InstructGPT's pretraining mix, against forgetting what the
    base knew). ``heldout_split``: a base model dir (or its ``heldout_split.json``); the documents its pretraining
    held out for evaluation stay out of SFT too."""
    dataset = load_text_dataset(path, text_field)
    if heldout_split is not None:
        split = HeldoutSplit.read(heldout_split)
        if split is None:
            raise UserError(f"documents: heldout_split {heldout_split}: no heldout_split.json there")
        dataset, _ = split.apply(dataset)
    if n is not None and n < len(dataset):  # a large corpus: only the rows taken are read into memory
        dataset = dataset.shuffle(seed=seed).select(range(n))
    out = [{"messages": [assistant(text)]} for text in dataset[text_field]]
    return to_dataset(take(out, n, random.Random(f"documents-{seed}")), "documents")
