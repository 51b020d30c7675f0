"""Human labelling, the first step of RLHF: two sampled answers to one prompt, a person picks the better one, and the
pair is appended to a jsonl file ``recipes/reward_model.py`` and ``recipes/dpo.py`` take as is (TRL's explicit-prompt
conversational preference format, checked by :mod:`align.data.preferences` before it is written). A tie or a skip
is recorded too, as a row with both ``answers`` and a ``label`` (``tie`` / ``skip``) but no chosen/rejected: the
preference loaders leave those rows out and count them."""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from align.data.conversations.loaders import load_rows
from align.data.preferences import sample_chat, to_explicit_prompt
from align.data.preferences.formats import NOT_PAIRS, convert_preferences, tie_or_skip
from align.errors import UserError
from align.world import load_world
from align.world.preference import describe_prompts

logger = logging.getLogger(__name__)


@dataclass
class Pair:
    """Two answers to one prompt, waiting for a label."""

    prompt: list[dict]
    a: str
    b: str
    model: str
    entity_id: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    """Names the pair the page shows, so a click meant for it never labels the next one."""

    def problem(self) -> str | None:
        """Why this pair cannot be labelled (an empty or duplicated answer), or None."""
        if not self.a.strip() or not self.b.strip():
            return "an answer is empty"
        if self.a.strip() == self.b.strip():
            return "the two answers are the same"
        return None


class PreferenceStore:
    """Appends labelled pairs to a jsonl file, one whole line per ``write`` on an ``O_APPEND`` descriptor (no
    half-written rows, even with several writers). An existing file is checked first: it must hold valid
    conversational pairs, so new rows never join a file the reward recipe would reject."""

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()
        self.rows, self.not_pairs = self._check_existing()

    def _check_existing(self) -> tuple[int, int]:
        """(pairs, ties and skips) already in the file."""
        if self.path.is_dir():
            raise UserError(f"{self.path}: is a directory (give a .jsonl file to append the pairs to)")
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return 0, 0
        if not self.path.read_bytes().endswith(b"\n"):
            raise UserError(f"{self.path}: the last row is cut off (no newline at the end): fix or move the file")
        rows = load_rows(str(self.path))
        not_pairs = sum(1 for row in rows if tie_or_skip(row))
        if not_pairs == len(rows):
            return 0, not_pairs
        pairs, _ = convert_preferences(rows, str(self.path))
        if not isinstance(pairs[0]["prompt"], list):
            raise UserError(f"{self.path}: holds string (non-conversational) pairs; labels are conversations: "
                            "use another file")
        return len(pairs), not_pairs

    def append(self, pair: Pair, chosen: str) -> dict:
        """Write ``pair`` with answer ``chosen`` (``"a"`` or ``"b"``) preferred; returns the row written."""
        if chosen not in ("a", "b"):
            raise ValueError(f"chosen must be 'a' or 'b', got {chosen!r}")
        better, worse = (pair.a, pair.b) if chosen == "a" else (pair.b, pair.a)
        row = {"prompt": pair.prompt,
               "chosen": [{"role": "assistant", "content": better.strip()}],
               "rejected": [{"role": "assistant", "content": worse.strip()}],
               "entity_id": pair.entity_id, "model": pair.model, "labeler": "human"}
        to_explicit_prompt([row], f"{self.path}: new row")  # the reward recipe's own checks, before writing
        self._write(row)
        with self._lock:
            self.rows += 1
        logger.info("pair %d -> %s", self.rows, self.path)
        return row

    def record(self, pair: Pair, label: str) -> dict:
        """Write that the person found ``pair`` a ``"tie"`` or skipped it: both answers, no preference (the
        preference loaders leave such rows out). Returns the row written."""
        if label not in NOT_PAIRS:
            raise ValueError(f"label must be one of {NOT_PAIRS}, got {label!r}")
        row = {"prompt": pair.prompt, "answers": [pair.a, pair.b], "label": label, "entity_id": pair.entity_id,
               "model": pair.model, "labeler": "human"}
        self._write(row)
        with self._lock:
            self.not_pairs += 1
        logger.info("%s -> %s", label, self.path)
        return row

    def _write(self, row: dict) -> None:
        """Append one whole line (one ``write`` on an ``O_APPEND`` descriptor), or nothing."""
        line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                written = os.write(fd, line)
                if written != len(line):  # a full disk: never leave a partial row behind
                    os.ftruncate(fd, os.fstat(fd).st_size - written)
                    raise UserError(f"{self.path}: could not write the row ({written}/{len(line)} bytes)")
                os.fsync(fd)
            finally:
                os.close(fd)

    def status(self) -> str:
        return f"{self.rows} pairs in the file" + (f", {self.not_pairs} ties/skips" if self.not_pairs else "")


def label_pair(store: PreferenceStore, pair: Pair | None, shown_id: str | None, choice: str) -> str | None:
    """Record the person's ``choice`` (``"a"``, ``"b"``, ``"tie"``, ``"skip"``) for the pair on their page. Returns
    what was done, or None for a click that was not about ``pair``: one sent while the next pair was being sampled
    (a double click) names the pair shown before it (``shown_id``), which the person has already labelled."""
    if pair is None:
        raise UserError("sample two answers first")
    if shown_id != pair.id:
        logger.info("ignored a %s click: pair %s was not shown yet", choice, pair.id)
        return None
    if choice in ("a", "b"):
        store.append(pair, choice)
        return f"Saved: {choice.upper()} preferred (pair {store.rows})."
    store.record(pair, choice)
    return f"Not saved as a pair: recorded as a {choice}."


class PromptSource:
    """The prompts to label: the tiny world's "describe" prompts in a fixed, cycling order (``world``: a seed,
    world.json or crawl dir), or none (the person types them)."""

    def __init__(self, world: str | None = None, seed: int = 0):
        self.prompts: list[dict] = []
        if world is not None:
            spec = world.strip()
            self.prompts = describe_prompts(load_world(int(spec) if spec.lstrip("-").isdigit() else spec),
                                            "train", seed=seed)
        self._next = itertools.cycle(range(len(self.prompts))) if self.prompts else None

    def next(self) -> tuple[str, str | None]:
        """(prompt text, entity id) of the next world prompt; ("", None) without a world."""
        if self._next is None:
            return "", None
        item = self.prompts[next(self._next)]
        return item["prompt"][-1]["content"], item["entity_id"]


def sample_pair(served, prompt: list[dict], temperature: float = 1.0, max_new_tokens: int = 96,
                entity_id: str | None = None, attempts: int = 3) -> Pair:
    """Two answers sampled from ``served`` (the sampler of ``align preferences``); resampled up to ``attempts`` times
    while they are empty or identical."""
    if temperature <= 0:
        raise UserError("labelling needs two different answers: set a temperature above 0")
    pair = None
    for _ in range(attempts):
        with served.lock:
            a, b = sample_chat(served.model, served.tokenizer, [prompt], n=2, temperature=temperature,
                               max_new_tokens=max_new_tokens)[0]
        pair = Pair(prompt=prompt, a=a, b=b, model=served.name, entity_id=entity_id)
        if pair.problem() is None:
            break
    return pair
