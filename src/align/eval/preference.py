"""Gold win-rate: two models answer the same held-out "describe" prompts; the world's labeler picks the better
answer. The RLHF targets (PPO, DPO) are stated as the win-rate against the SFT model."""

from __future__ import annotations

import logging

from align.data.preferences.sampling import sample_chat
from align.engine import load_model
from align.eval.metrics import load_metric
from align.world.preference import describe_prompts, judge

logger = logging.getLogger(__name__)


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
    if isinstance(spec, (tuple, list)):
        return spec

    return load_model(str(spec))
