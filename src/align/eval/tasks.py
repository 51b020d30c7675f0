"""`align eval` tasks: each measures one behaviour against the tiny world's ground truth.

A task is ``fn(ctx: EvalContext) -> dict[str, float]`` registered under a name; its metrics are named
``<task>/<metric>`` in the results. Tasks that need something the context lacks (a reward model, a GSM8K file,
a second model) are skipped with a logged reason instead of failing the whole evaluation.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from align.data.conversations import identity_system_prompt
from align.data.conversations.math_problems import ANSWER_FIRST_INSTRUCTION
from align.data.preferences import load_preference_splits
from align.data.prompts import gsm8k_prompts
from align.data.text import HeldoutSplit, load_text_dataset
from align.errors import UserError
from align.eval.assistant import score_facts, score_identity_questions, score_math_problems
from align.eval.batch_chat import ask_batch, reply_batch
from align.eval.knowledge import BUCKETS, bucket_of, cloze_recall
from align.eval.preference import win_rate
from align.eval.probes import (
    bits_per_byte,
    copying_accuracy,
    in_context_question,
    jagged_correct,
    jagged_items,
    verbatim_continuation,
)
from align.rewards import get_reward
from align.trainers.reward_model import RewardModelScorer
from align.world.crawl import read_exposure
from align.world.quotes import exposure_buckets, read_quotes

logger = logging.getLogger(__name__)

TASKS: dict[str, Callable] = {}
"""name -> task, one for each of :data:`align.eval.task_names.TASK_NAMES`."""


class Skip(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The task cannot run with what the context has."""


def task(name: str):
    def register(fn):
        TASKS[name] = fn
        return fn
    return register


@dataclass
class EvalContext:
    model: object
    tokenizer: object
    world: object
    crawl: str | None = None
    data: str | None = None
    n: int = 100
    seed: int = 0
    options: dict = field(default_factory=dict)
    """Task inputs: reward_model, preferences, against (model dir), gsm8k (jsonl path)."""
    heldout_split: HeldoutSplit | None = None
    """How pretraining split ``data`` (recorded in the base model dir); None: the pretrain recipe's defaults."""

    def need(self, key: str):
        value = getattr(self, key, None) if key in ("crawl", "data") else self.options.get(key)
        if not value:
            raise Skip(f"needs --{key.replace('_', '-')}")
        return value

    @cached_property
    def pretraining_split(self):
        """(train, held-out) documents of ``data`` as pretraining split them: the split recorded in the base model
        dir (``heldout_split``), else the pretrain recipe's defaults with this context's seed. Read once: bpb and
        regurgitation both need it."""
        split = self.heldout_split or HeldoutSplit(seed=self.seed)
        return split.apply(load_text_dataset(self.need("data"), "text"))

    def heldout_documents(self, limit: int = 200) -> list[str]:
        """The documents pretraining held out."""
        _, heldout = self.pretraining_split
        if heldout is None:
            raise Skip("too few documents to hold any out")
        return list(heldout["text"])[:limit]

    def training_documents(self, limit: int | None = 200) -> list[str]:
        """The documents pretraining trained on, shuffled; all of them when ``limit`` is None."""
        train, _ = self.pretraining_split
        return list(train.shuffle(seed=self.seed)["text"])[:limit]


def run_tasks(ctx: EvalContext, names: list[str]) -> dict:
    unknown = [n for n in names if n not in TASKS]
    if unknown:
        raise UserError(f"unknown eval task(s) {', '.join(unknown)} (tasks: {', '.join(TASKS)})")
    results: dict = {}
    skipped: dict = {}
    for name in names:
        try:
            metrics = TASKS[name](ctx)
        except Skip as why:
            skipped[name] = str(why)
            logger.info("%s: skipped (%s)", name, why)
            continue
        for key, value in metrics.items():
            results[f"{name}/{key}"] = value
        logger.info("%s: %s", name, ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                              for k, v in metrics.items()))
    return {"metrics": results, "skipped": skipped}


# tasks --------------------------------------------------------------------------------------------------------

@task("bpb")
def _bpb(ctx: EvalContext) -> dict:
    documents = ctx.heldout_documents()
    return {"heldout": bits_per_byte(ctx.model, ctx.tokenizer, documents), "documents": len(documents)}


def _exposure(ctx: EvalContext) -> dict[str, int]:
    return {fid: counts["clean_en"] for fid, counts in read_exposure(ctx.need("crawl")).items()}


@task("knowledge")
def _knowledge(ctx: EvalContext) -> dict:
    """Base model: cloze recall; chat model: held-out questions; both bucketed by corpus exposure."""
    exposure = _exposure(ctx)
    if ctx.options.get("kind") == "base":
        result = cloze_recall(ctx.model, ctx.tokenizer, ctx.world, exposure)
        return {"overall": result["overall"], **{f"exposure_{k}": v["recall"] for k, v in result["buckets"].items()}}

    pairs = _known_pairs(ctx)
    replies = ask_batch(ctx.model, ctx.tokenizer, [p["question"] for p in pairs], max_new_tokens=32)
    hits: dict[str, list[bool]] = {label: [] for label, _, _ in BUCKETS}
    for pair, reply in zip(pairs, replies):
        hits[bucket_of(exposure.get(pair["fact_id"], 0))].append(ctx.world.answer_matches(pair["fact_id"], reply))
    all_hits = [h for v in hits.values() for h in v]
    return {"overall": sum(all_hits) / max(len(all_hits), 1),
            **{f"exposure_{k}": sum(v) / len(v) for k, v in hits.items() if v}}


def _known_pairs(ctx: EvalContext) -> list[dict]:
    pairs = [p for p in ctx.world.qa_pairs("heldout") if p["answerable"]]
    return random.Random(ctx.seed).sample(pairs, min(ctx.n * 2, len(pairs)))


@task("knowledge_in_context")
def _knowledge_in_context(ctx: EvalContext) -> dict:
    """The same held-out questions with a source document about the entity in the prompt."""
    rng = random.Random(ctx.seed)
    pairs = _known_pairs(ctx)[: ctx.n]
    replies = ask_batch(ctx.model, ctx.tokenizer, [in_context_question(ctx.world, p, rng) for p in pairs],
                        max_new_tokens=32)
    closed = ask_batch(ctx.model, ctx.tokenizer, [p["question"] for p in pairs], max_new_tokens=32)
    return {"accuracy": _mean(ctx.world.answer_matches(p["fact_id"], r) for p, r in zip(pairs, replies)),
            "closed_book_same_questions": _mean(ctx.world.answer_matches(p["fact_id"], r)
                                                for p, r in zip(pairs, closed))}


@task("hallucination")
def _hallucination(ctx: EvalContext) -> dict:
    result = score_facts(ctx.model, ctx.tokenizer, ctx.world, n=ctx.n, seed=ctx.seed)
    return {"rate": result["unknown_hallucination_rate"], "known_accuracy": result["known_accuracy"]}


@task("identity")
def _identity(ctx: EvalContext) -> dict:
    bare = score_identity_questions(ctx.model, ctx.tokenizer)
    prompted = score_identity_questions(ctx.model, ctx.tokenizer, system=identity_system_prompt())
    # 106 held-out questions: one is ~1 point; the intervals travel with the scores
    return {"no_system": bare["identity_accuracy"], "system": prompted["identity_accuracy"],
            "no_system_ci95": bare["identity_ci95"], "system_ci95": prompted["identity_ci95"]}


@task("math")
def _math(ctx: EvalContext) -> dict:
    """Multi-step problems (levels 2-4) without tools, as the model answers by default and when asked for the answer
    first (thinking first vs answer first in one model, trained on both: ``math_answer_first`` with
    ``instruction: true``); 3+-digit problems without and with the calculator; and the GRPO levels (1-2) that RL
    trains on."""
    def acc(**kwargs) -> float:
        return score_math_problems(ctx.model, ctx.tokenizer, ctx.world, n=ctx.n, seed=ctx.seed, **kwargs)[
            "math_accuracy"]

    return {"multi_step": acc(), "multi_step_answer_first": acc(system=ANSWER_FIRST_INSTRUCTION),
            "levels_1_2": acc(difficulties=(1, 2)), "3digit_mental": acc(min_digits=3),
            "3digit_calculator": acc(min_digits=3, tools=True)}


@task("jagged")
def _jagged(ctx: EvalContext) -> dict:
    items = jagged_items(ctx.world, n=min(ctx.n, 60), seed=ctx.seed)
    replies = ask_batch(ctx.model, ctx.tokenizer, [i["question"] for i in items], max_new_tokens=24)
    out = {}
    for kind in ("count", "reverse", "compare"):
        out[kind] = _mean(jagged_correct(i, r) for i, r in zip(items, replies) if i["kind"] == kind)
    return out


@task("copying")
def _copying(ctx: EvalContext) -> dict:
    """In-context copying of random token sequences: the skill every "use the numbers in the question" task needs."""
    return copying_accuracy(ctx.model, ctx.tokenizer, n=min(ctx.n, 64), seed=ctx.seed)


@task("regurgitation")
def _regurgitation(ctx: EvalContext) -> dict:
    """Verbatim continuation of training documents (seen every epoch) vs held-out ones (never seen), and of the
    crawl's famous passages by how many training documents quote them (once, 2-7, 8+)."""
    training = ctx.training_documents(None)
    out = {"seen": verbatim_continuation(ctx.model, ctx.tokenizer, training[: ctx.n]),
           "unseen": verbatim_continuation(ctx.model, ctx.tokenizer, ctx.heldout_documents(ctx.n))}
    quotes = read_quotes(ctx.crawl) if ctx.crawl else []
    if not quotes:
        logger.info("regurgitation: no quotes.json in the crawl dir (--world), passages by exposure skipped")
        return out
    for bucket, members in exposure_buckets(quotes, training).items():
        if members:  # a passage is ~55 tokens: its intro and first words, then 32 tokens to recite
            out[f"quoted_{bucket}"] = verbatim_continuation(ctx.model, ctx.tokenizer, [q.paragraph for q in members],
                                                            prefix_tokens=16)
    return out


@task("reward_model")
def _reward_model(ctx: EvalContext) -> dict:
    """Pairwise accuracy of a reward model on held-out preference pairs."""
    model_dir = ctx.need("reward_model")
    train, test = load_preference_splits(ctx.need("preferences"))
    if test is None:
        raise Skip("the preference dataset has no held-out (test) split")
    scorer = RewardModelScorer(model_dir, batch_size=32)  # scores the chat template's rendering, as trained
    scores = {side: scorer(test["prompt"], test[side]) for side in ("chosen", "rejected")}
    return {"pairwise_accuracy": _mean(c > r for c, r in zip(scores["chosen"], scores["rejected"])),
            "pairs": len(test)}


@task("win_rate")
def _win_rate(ctx: EvalContext) -> dict:
    """Gold-preference win-rate of this model against ``--against`` on held-out describe prompts."""
    result = win_rate(ctx.world, (ctx.model, ctx.tokenizer), ctx.need("against"), n=min(ctx.n, 100), seed=ctx.seed)
    return {"vs_" + model_label(ctx.need("against")): result["win_rate"], "gold": result["gold_a"]}


@task("gsm8k")
def _gsm8k(ctx: EvalContext) -> dict:
    rows = gsm8k_prompts(ctx.need("gsm8k"), n=ctx.n, seed=ctx.seed)
    replies = reply_batch(ctx.model, ctx.tokenizer, [r["prompt"] for r in rows], max_new_tokens=256)
    scores = get_reward("math_accuracy")(prompts=None, completions=replies, answer=list(rows["answer"]))
    return {"accuracy": _mean(bool(s) for s in scores)}


def model_label(path: str) -> str:
    """A model's name in results: its dir's name, or the stage's for a LoRA stage's ``<stage>/merged`` dir."""
    path = Path(path)
    return path.parent.name if path.name == "merged" else path.name


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else float("nan")
