"""`describe`: "Tell me about X." — the open-ended task the RLHF stage optimises.

- `describe` (builder): answered with 1–3 true fact sentences about X;
- grader: the world's labeler, :func:`align.world.preference.judge` / ``gold_score`` (true facts up, false claims
  down), which also ranks the preference pairs (``align preferences``) a reward model learns from;
- `reward_model` (eval): a reward model's pairwise accuracy on held-out preference pairs;
- `win_rate` (eval): two models answer the same held-out describe prompts and the labeler picks the better answer;
  the RLHF targets (PPO, DPO) are stated as the win-rate against the SFT model.
"""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

from align.data.conversations.messages import assistant, take, to_dataset, user
from align.data.conversations.registry import register
from align.data.preferences import load_preference_splits
from align.data.preferences.sampling import sample_chat
from align.engine import load_model
from align.errors import UserError
from align.eval.metrics import load_metric
from align.tasks.base import EvalContext, Skip, mean, model_label, task
from align.tasks.facts import answer_sentence
from align.trainers.reward_model import RewardModelScorer
from align.world.preference import describe_prompts, judge

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
    if not Path(path).is_file():
        raise UserError(f"describe: probe_results {path}: no such file (list the idk entry that writes it first)")
    return json.loads(Path(path).read_text())


# eval ---------------------------------------------------------------------------------------------------------

def win_rate(world, model_a, model_b, prompts: list[dict] | None = None, *, n: int = 50, temperature: float = 0.0,
             seed: int = 0, max_new_tokens: int = 96, batch_size: int = 32, keep_samples: bool = False) -> dict:
    """The fraction of ``prompts`` where ``gold_score(a) > gold_score(b)`` (ties count half).

    ``model_a`` / ``model_b``: a model dir (or Hub id), or a ``(model, tokenizer)`` pair. ``prompts``: rows
    ``{"prompt": [messages], "entity_id"}`` (default: ``n`` held-out describe prompts). Greedy by default;
    ``temperature > 0`` samples with ``seed``. Returns the win-rate, win/tie/loss counts, each side's mean gold score,
    true facts, false claims and words per answer (and the answers with ``keep_samples``).
    """
    prompts = prompts if prompts is not None else describe_prompts(world, "heldout", n, seed)
    conversations = [p["prompt"] for p in prompts]
    sides = {}
    for name, spec in (("a", model_a), ("b", model_b)):
        model, tokenizer = _load(spec)
        texts = sample_chat(model, tokenizer, conversations, n=1, temperature=temperature,
                            max_new_tokens=max_new_tokens, batch_size=batch_size, seed=seed)
        sides[name] = [t[0] for t in texts]
    judged = {name: [judge(world, p["entity_id"], t) for p, t in zip(prompts, texts)] for name, texts in sides.items()}
    result = load_metric("win_rate").compute(scores_a=[j.score for j in judged["a"]],
                                             scores_b=[j.score for j in judged["b"]])
    wins, ties, total = result["wins"], result["ties"], max(len(prompts), 1)
    for name in ("a", "b"):
        js = judged[name]
        result[f"gold_{name}"] = sum(j.score for j in js) / total
        result[f"true_facts_{name}"] = sum(len(j.true_facts) for j in js) / total
        result[f"false_claims_{name}"] = sum(len(j.false_claims) for j in js) / total
        result[f"words_{name}"] = sum(len(t.split()) for t in sides[name]) / total
    if keep_samples:
        result["samples"] = [{"entity_id": p["entity_id"], "prompt": p["prompt"][-1]["content"], "a": a, "b": b,
                              "gold_a": ja.score, "gold_b": jb.score}
                             for p, a, b, ja, jb in zip(prompts, sides["a"], sides["b"], judged["a"], judged["b"])]
    logger.info("gold win-rate %.3f (%d wins, %d ties, %d losses); mean gold %.2f vs %.2f", result["win_rate"], wins,
                ties, result["losses"], result["gold_a"], result["gold_b"])
    return result


def _load(spec):
    return spec if isinstance(spec, (tuple, list)) else load_model(str(spec))


@task("win_rate", rows=[("vs_sft", "gold win-rate vs SFT")])
def win_rate_task(ctx: EvalContext) -> dict:
    """Gold-preference win-rate of this model against ``--against`` on held-out describe prompts."""
    result = win_rate(ctx.world, (ctx.model, ctx.tokenizer), ctx.need("against"), n=min(ctx.n, 100), seed=ctx.seed)
    return {"vs_" + model_label(ctx.need("against")): result["win_rate"], "gold": result["gold_a"]}


@task("reward_model", rows=[("pairwise_accuracy", "reward model, held-out pairwise accuracy")])
def reward_model_task(ctx: EvalContext) -> dict:
    """Pairwise accuracy of a reward model on held-out preference pairs."""
    model_dir = ctx.need("reward_model")
    train, test = load_preference_splits(ctx.need("preferences"))
    if test is None:
        raise Skip("the preference dataset has no held-out (test) split")
    scorer = RewardModelScorer(model_dir, batch_size=32)  # scores the chat template's rendering, as trained
    scores = {side: scorer(test["prompt"], test[side]) for side in ("chosen", "rejected")}
    return {"pairwise_accuracy": mean(c > r for c, r in zip(scores["chosen"], scores["rejected"])),
            "pairs": len(test)}
