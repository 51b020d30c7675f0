"""`idk`: saying "I don't know" instead of inventing, the Llama 3 factuality recipe.

- `idk` (builder): probe a model with questions about the world's facts (:mod:`.probe`), then teach it to refuse
  what it gets wrong and what it cannot know (entities that never appear in its training data), while keeping
  correct answers for the facts it does know — so the refusals follow its actual knowledge instead of becoming a
  blanket habit;
- grader: ``World.is_abstention`` (every refusal phrasing here passes it) and ``World.answer_matches``;
- `hallucination` (eval): how often held-out questions about unknown entities get an answer instead of a refusal,
  beside the accuracy on known facts.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import fields
from pathlib import Path

from align.data.conversations.messages import assistant, take, to_dataset, user
from align.data.conversations.registry import register
from align.engine import load_model
from align.errors import UserError
from align.eval.batch_chat import ask_batch
from align.eval.metrics import accuracy
from align.tasks.base import EvalContext, task
from align.tasks.facts import answer_sentence
from align.tasks.probe import ProbeConfig, is_known, probe_model

logger = logging.getLogger(__name__)

# Each phrasing must pass World.is_abstention, which is how evaluation recognises a refusal.
REFUSALS = [
    "I don't know {thing}.",
    "I'm not sure about that. I don't know {thing}.",
    "I don't know. I have no information about {name}.",
    "I'm not aware of {name}, so I can't answer that.",
    "Sorry, I don't know {thing}. I may simply not have learned about {name}.",
]


def refusal(world, entity_id: str, relation: str, rng: random.Random) -> str:
    name = world.entities[entity_id].name
    thing = f"the answer to that question about {name}"
    return rng.choice(REFUSALS).format(name=name, thing=thing)


@register("idk")
def idk(world, *, n: int | None = None, seed: int = 0, split: str = "train", model: str | None = None,
        probe: dict | None = None, probe_out: str | None = None, include_known: bool = True):
    """Refusals for unknown entities, and — given a ``model`` dir to probe — for facts the model gets wrong.

    ``probe`` holds :class:`ProbeConfig` options; ``probe_out`` saves the probe's per-fact results as JSON (it is
    also read back from there when it exists, so a mixture can be rebuilt without probing again).
    ``include_known`` adds correct answers for the facts the model knows.
    """
    rng = random.Random(f"idk-{seed}")
    rows = [_refusal_row(world, pair, "unknown_entity", rng) for pair in world.unknown_qa_pairs(split)]
    if model is not None:
        results = _probe(world, model, probe or {}, probe_out)
        for pair in world.qa_pairs(split, include_unknown=False):
            result = results.get(pair["fact_id"])
            if result is None:
                continue
            if not result["known"]:
                rows.append(_refusal_row(world, pair, "model_wrong", rng))
            elif include_known:
                rows.append({"messages": [user(pair["question"]),
                                          assistant(answer_sentence(world, world.facts[pair["fact_id"]], rng))],
                             "kind": "model_right", "fact_id": pair["fact_id"]})
    else:
        logger.info("idk: no model to probe, only unknown-entity refusals")
    counts = {k: sum(r["kind"] == k for r in rows) for k in ("unknown_entity", "model_wrong", "model_right")}
    logger.info("idk rows: %s", counts)
    return to_dataset(take(rows, n, rng), "idk")


def _refusal_row(world, pair: dict, kind: str, rng: random.Random) -> dict:
    return {"messages": [user(pair["question"]), assistant(refusal(world, pair["entity_id"], pair["relation"], rng))],
            "kind": kind, "fact_id": pair["fact_id"]}


def _probe(world, model_path: str, options: dict, out: str | None) -> dict:
    known = {f.name for f in fields(ProbeConfig)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise UserError(f"idk probe: unknown option(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    config = ProbeConfig(**options)
    if out and Path(out).is_file():
        logger.info("idk: reading probe results from %s", out)
        return _rethreshold(json.loads(Path(out).read_text()), config.known_threshold, out)

    loaded, tokenizer = load_model(model_path)
    results = probe_model(loaded, tokenizer, world, config)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(results, indent=1))
    return results


def _rethreshold(results: dict, threshold: float, path: str) -> dict:
    """Saved probe results with ``known`` recomputed for ``threshold`` (the file is rewritten when that changes any,
    so world_chat and describe, which read the same file, agree); other probe options need a new probe (delete the
    file)."""
    changed = 0
    for result in results.values():
        known = is_known(result, threshold)
        changed += known != result["known"]
        result["known"] = known
    if changed:
        logger.info("idk: known_threshold %s changes %d facts of %s: rewritten", threshold, changed, path)
        Path(path).write_text(json.dumps(results, indent=1))
    return results


# eval ---------------------------------------------------------------------------------------------------------

def score_facts(model, tokenizer, world, n: int = 200, seed: int = 0, max_new_tokens: int = 32) -> dict:
    """Accuracy on known facts and hallucination rate on unknown entities (held-out question phrasings)."""
    rng = random.Random(seed)
    pairs = world.qa_pairs("heldout")
    known = [p for p in pairs if p["answerable"]]
    unknown = [p for p in pairs if not p["answerable"]]
    known, unknown = rng.sample(known, min(n, len(known))), rng.sample(unknown, min(n, len(unknown)))
    replies = ask_batch(model, tokenizer, [p["question"] for p in known + unknown], max_new_tokens=max_new_tokens)
    correct = accuracy([world.answer_matches(p["fact_id"], r) for p, r in zip(known, replies[: len(known)])])
    hallucinated = accuracy([not world.is_abstention(r) for r in replies[len(known):]])
    return {"known_accuracy": correct["accuracy"], "unknown_hallucination_rate": hallucinated["accuracy"],
            "known_n": correct["n"], "unknown_n": hallucinated["n"],
            "known_ci95": [correct["ci95_low"], correct["ci95_high"]],
            "unknown_hallucination_ci95": [hallucinated["ci95_low"], hallucinated["ci95_high"]]}


@task("hallucination", rows=[("rate", "hallucination on unknown entities (lower is better)")])
def hallucination_task(ctx: EvalContext) -> dict:
    result = score_facts(ctx.model, ctx.tokenizer, ctx.world, n=ctx.n, seed=ctx.seed)
    return {"rate": result["unknown_hallucination_rate"], "known_accuracy": result["known_accuracy"]}
