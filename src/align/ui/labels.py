"""Human labelling, the first step of RLHF: two sampled answers to one prompt, a person picks the better one, and the
pair is appended to a jsonl file ``recipes/reward.py`` and ``recipes/dpo.py`` take as is (TRL's explicit-prompt
conversational preference format, checked by :mod:`align.data.preferences` before it is written)."""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from align.errors import UserError

logger = logging.getLogger(__name__)


@dataclass
class Pair:
    """Two answers to one prompt, waiting for a label."""

    prompt: list[dict]
    a: str
    b: str
    model: str
    entity_id: str | None = None

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
        self.rows = self._check_existing()

    def _check_existing(self) -> int:
        from align.data.conversations.loaders import load_rows
        from align.data.preferences import to_explicit_prompt

        if self.path.is_dir():
            raise UserError(f"{self.path}: is a directory (give a .jsonl file to append the pairs to)")
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return 0
        if not self.path.read_bytes().endswith(b"\n"):
            raise UserError(f"{self.path}: the last row is cut off (no newline at the end): fix or move the file")
        rows = to_explicit_prompt(load_rows(str(self.path)), str(self.path))
        if not isinstance(rows[0]["prompt"], list):
            raise UserError(f"{self.path}: holds string (non-conversational) pairs; labels are conversations: "
                            "use another file")
        return len(rows)

    def append(self, pair: Pair, chosen: str) -> dict:
        """Write ``pair`` with answer ``chosen`` (``"a"`` or ``"b"``) preferred; returns the row written."""
        from align.data.preferences import to_explicit_prompt

        if chosen not in ("a", "b"):
            raise ValueError(f"chosen must be 'a' or 'b', got {chosen!r}")
        better, worse = (pair.a, pair.b) if chosen == "a" else (pair.b, pair.a)
        row = {"prompt": pair.prompt,
               "chosen": [{"role": "assistant", "content": better.strip()}],
               "rejected": [{"role": "assistant", "content": worse.strip()}],
               "entity_id": pair.entity_id, "model": pair.model, "labeler": "human"}
        to_explicit_prompt([row], f"{self.path}: new row")  # the reward recipe's own checks, before writing
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
            self.rows += 1
        logger.info("pair %d -> %s", self.rows, self.path)
        return row


class PromptSource:
    """The prompts to label: the tiny world's "describe" prompts in a fixed, cycling order (``world``: a seed,
    world.json or crawl dir), or none (the person types them)."""

    def __init__(self, world: str | None = None, seed: int = 0):
        self.prompts: list[dict] = []
        if world is not None:
            from align.world import load_world
            from align.world.preference import describe_prompts

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
    from align.data.preferences import sample_chat

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
