"""Preference pairs the RLHF way: a model answers each prompt K times, a labeler ranks the K answers, and the
ranking becomes (chosen, rejected) pairs.

The labeler is simulated: :func:`align.world.preference.gold_score` reads the world's ground truth. Prompts are
the "describe an entity" task (train entities → ``train.jsonl``, held-out entities and phrasings → ``test.jsonl``).
Rows are TRL's explicit-prompt conversational preference format plus metadata::
    {"prompt": [{"role": "user", "content": "Tell me about Vel Ostra."}],
     "chosen": [{"role": "assistant", "content": "..."}], "rejected": [{"role": "assistant", "content": "..."}],
     "entity_id": "E0042", "chosen_gold": 2.0, "rejected_gold": -1.5}

Output directory: ``train.jsonl``, ``test.jsonl`` (what ``recipes/reward_model.py`` and ``recipes/dpo.py`` read),
``samples.jsonl`` (every sample with its gold judgement) and ``summary.json``.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from dataclasses import asdict
from pathlib import Path

from align.data.preferences.config import PAIRINGS, PreferenceBuildConfig
from align.data.preferences.sampling import sample_chat
from align.engine import load_model
from align.errors import UserError
from align.world import load_world
from align.world.preference import describe_prompts, judge

logger = logging.getLogger(__name__)

def ranked_pairs(golds: list[float], texts: list[str], mode: str = "best_worst",
                 min_margin: float = 0.5) -> list[tuple[int, int]]:
    """(chosen, rejected) indices from one prompt's K scored answers: empty and duplicate answers never pair, and
    a pair's gold margin is at least ``min_margin`` (and always positive)."""
    keep = [i for i, t in enumerate(texts) if t.strip() and t not in texts[:i]]
    if mode == "best_worst":
        if len(keep) < 2:
            return []
        best = max(keep, key=lambda i: golds[i])
        worst = min(keep, key=lambda i: golds[i])
        candidates = [(best, worst)]
    elif mode == "all":
        candidates = [(i, j) if golds[i] >= golds[j] else (j, i) for i, j in itertools.combinations(keep, 2)]
    else:
        raise UserError(f"pairs must be one of {', '.join(PAIRINGS)}, got {mode!r}")
    return [(c, r) for c, r in candidates if golds[c] - golds[r] >= max(min_margin, 1e-9)]


def label_split(world, model, tokenizer, prompts: list[dict], config: PreferenceBuildConfig, split: str):
    """Sample, judge and pair one split; returns (pair rows, sample rows)."""
    completions = sample_chat(model, tokenizer, [p["prompt"] for p in prompts], n=config.samples,
                              temperature=config.temperature, top_p=config.top_p,
                              max_new_tokens=config.max_new_tokens, batch_size=config.batch_size,
                              seed=config.seed + (0 if split == "train" else 1))
    pairs, samples = [], []
    for prompt, texts in zip(prompts, completions):
        judgements = [judge(world, prompt["entity_id"], t) for t in texts]
        golds = [j.score for j in judgements]
        samples += [{"split": split, "entity_id": prompt["entity_id"], "prompt": prompt["prompt"], "completion": t,
                     "gold": j.score, "judgement": j.to_dict()} for t, j in zip(texts, judgements)]
        for c, r in ranked_pairs(golds, texts, config.pairs, config.min_margin):
            pairs.append({"prompt": prompt["prompt"], "chosen": [{"role": "assistant", "content": texts[c]}],
                          "rejected": [{"role": "assistant", "content": texts[r]}], "entity_id": prompt["entity_id"],
                          "chosen_gold": golds[c], "rejected_gold": golds[r]})
    return pairs, samples


def build_preferences(config: PreferenceBuildConfig) -> dict:
    """Sample, rank, pair and write (see the module docstring); returns the summary."""
    out = Path(config.out)
    if (out / "train.jsonl").exists() and not config.overwrite:
        raise UserError(f"{out}: already holds preference data (train.jsonl); pass --overwrite to rebuild")
    spec = config.world
    world = load_world(int(spec) if str(spec).lstrip("-").isdigit() else spec)
    model, tokenizer = load_model(config.model)
    started = time.perf_counter()
    summary: dict = {"config": asdict(config), "splits": {}}
    rows: dict[str, tuple[list, list]] = {}
    for split, n, source in (("train", config.prompts, "train"), ("test", config.heldout_prompts, "heldout")):
        if n == 0:
            continue
        prompts = describe_prompts(world, source, n, config.seed)
        t0 = time.perf_counter()
        pairs, samples = label_split(world, model, tokenizer, prompts, config, split)
        rows[split] = (pairs, samples)
        golds = [s["gold"] for s in samples]
        summary["splits"][split] = {
            "prompts": len(prompts), "samples": len(samples), "pairs": len(pairs),
            "mean_gold": round(sum(golds) / len(golds), 4),
            "mean_pair_margin": round(sum(p["chosen_gold"] - p["rejected_gold"] for p in pairs) / max(len(pairs), 1), 4),
            "seconds": round(time.perf_counter() - t0, 1)}
        logger.info("%s: %d prompts x %d samples -> %d pairs (mean gold %.2f) in %.0fs", split, len(prompts),
                    config.samples, len(pairs), summary["splits"][split]["mean_gold"],
                    summary["splits"][split]["seconds"])
    if not rows["train"][0]:
        raise UserError(f"no training pair had a gold margin >= {config.min_margin}: lower min_margin or sample more")
    summary["seconds"] = round(time.perf_counter() - started, 1)
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("train.jsonl", "test.jsonl", "samples.jsonl", "summary.json"):
        (out / stale).unlink(missing_ok=True)
    for split, (pairs, _) in rows.items():
        _write_jsonl(out / f"{split}.jsonl", pairs)
    _write_jsonl(out / "samples.jsonl", [s for _, samples in rows.values() for s in samples])
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
