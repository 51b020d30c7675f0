"""`world_chat`: questions about the world's known entities, answered from their facts; single- and multi-turn."""

from __future__ import annotations

import logging
import random

from align.data.conversations.messages import assistant, take, to_dataset, user
from align.data.conversations.registry import register
from align.errors import UserError
from align.world import templates

logger = logging.getLogger(__name__)


def answer_sentence(world, fact, rng: random.Random | None = None) -> str:
    """The fact as one sentence stating the answer (a template that starts with the subject)."""
    slots = templates.slots(fact, world.entities)
    options = [t for t in templates.SENTENCES[fact.relation] if t.startswith("{s}")] or templates.SENTENCES[
        fact.relation]
    template = options[0] if rng is None else rng.choice(options)
    return templates.cap(template.format(**slots))


@register("world_chat")
def world_chat(world, *, n: int | None = None, seed: int = 0, split: str = "train", multi_turn: float = 0.3,
               max_turns: int = 3, probe_results: str | None = None):
    """``n`` conversations (default: one per question); a ``multi_turn`` fraction asks 2..``max_turns`` questions
    about the same entity in one conversation.

    ``probe_results`` (the ``idk`` builder's ``probe_out`` file) leaves out the facts the probed model got wrong:
    the Llama 3 recipe answers only what the model knows, and the ``idk`` data refuses the rest — answering them
    here too would teach both an answer and a refusal for the same fact.
    """
    rng = random.Random(f"world_chat-{seed}")
    pairs = world.qa_pairs(split, include_unknown=False)
    if probe_results is not None:
        pairs = _known_only(pairs, probe_results)
    by_entity: dict[str, list[dict]] = {}
    for pair in pairs:
        by_entity.setdefault(pair["entity_id"], []).append(pair)
    rows = []
    for first in take(pairs, n, rng):
        turns = [first]
        if rng.random() < multi_turn:
            others = [p for p in by_entity[first["entity_id"]] if p["fact_id"] != first["fact_id"]]
            rng.shuffle(others)
            seen = {first["fact_id"]}
            for pair in others:
                if len(turns) >= rng.randint(2, max_turns) or pair["fact_id"] in seen:
                    continue
                turns.append(pair)
                seen.add(pair["fact_id"])
        messages = []
        for pair in turns:
            messages += [user(pair["question"]), assistant(answer_sentence(world, world.facts[pair["fact_id"]], rng))]
        rows.append({"messages": messages, "fact_ids": [p["fact_id"] for p in turns],
                     "entity_id": first["entity_id"]})
    return to_dataset(rows, "world_chat")


def _known_only(pairs: list[dict], probe_results: str) -> list[dict]:
    import json
    from pathlib import Path

    path = Path(probe_results)
    if not path.is_file():
        raise UserError(f"world_chat: probe_results {path}: no such file (list the idk entry that writes it first)")
    results = json.loads(path.read_text())
    kept = [p for p in pairs if results.get(p["fact_id"], {}).get("known")]
    if not kept:
        raise UserError(f"world_chat: {path}: the probed model knows none of the facts; nothing to answer")
    logger.info("world_chat: %d of %d questions are about facts the probed model knows", len(kept), len(pairs))
    return kept
