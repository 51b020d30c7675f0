"""`describe`: "Tell me about X." answered with 1–3 true fact sentences about X — the open-ended task the RLHF stage
optimises (its gold preference is :func:`align.world.preference.gold_score`)."""

from __future__ import annotations

import logging
import random

from align.data.conversations.messages import assistant, take, to_dataset, user
from align.data.conversations.registry import register
from align.data.conversations.world_chat import answer_sentence
from align.errors import UserError
from align.world.preference import describe_prompts

logger = logging.getLogger(__name__)


@register("describe")
def describe(world, *, n: int | None = None, seed: int = 0, split: str = "train", min_facts: int = 1,
             max_facts: int = 3, probe_results: str | None = None):
    """``n`` descriptions (default: every entity × paraphrase of ``split`` once), each stating ``min_facts`` to
    ``max_facts`` of the entity's facts, one sentence per fact, in a random order.

    Entities and paraphrases come from :func:`align.world.preference.describe_prompts`: the held-out entities and
    phrasings never appear with ``split: train``. ``probe_results`` (the ``idk`` builder's probe file) keeps only
    the facts the probed model knows, as ``world_chat`` does; entities with none are left out.
    """
    if not 1 <= min_facts <= max_facts:
        raise UserError(f"describe: need 1 <= min_facts <= max_facts, got {min_facts} and {max_facts}")
    rng = random.Random(f"describe-{seed}")
    known = _probe_results(probe_results) if probe_results is not None else None
    rows = []
    for item in describe_prompts(world, split, seed=seed):
        facts = [f for f in world.facts_about(item["entity_id"]) if known is None or known.get(f.id, {}).get("known")]
        if not facts:
            continue
        chosen = rng.sample(facts, rng.randint(min(min_facts, len(facts)), min(max_facts, len(facts))))
        text = " ".join(answer_sentence(world, fact, rng) for fact in chosen)
        rows.append({"messages": [user(item["prompt"][0]["content"]), assistant(text)],
                     "entity_id": item["entity_id"], "fact_ids": [f.id for f in chosen]})
    if not rows:
        raise UserError("describe: no entity with a fact to describe (the probed model knows none?)")
    return to_dataset(take(rows, n, rng), "describe")


def _probe_results(path: str) -> dict:
    import json
    from pathlib import Path

    if not Path(path).is_file():
        raise UserError(f"describe: probe_results {path}: no such file (list the idk entry that writes it first)")
    return json.loads(Path(path).read_text())
