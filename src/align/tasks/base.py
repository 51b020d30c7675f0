"""What every task module shares: the evaluation context, the registry of eval tasks with their report-card rows,
and the loop that runs them.

An eval task is ``fn(ctx: EvalContext) -> dict[str, float]`` registered with :func:`task` under a name, with the
report card's rows for its metrics; its metrics are named ``<task>/<metric>`` in the results. Tasks that need
something the context lacks (a reward model, a GSM8K file, a second model) raise :class:`Skip` and are left out
with a logged reason instead of failing the whole evaluation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from align.data.text import HeldoutSplit, load_text_dataset
from align.errors import UserError

logger = logging.getLogger(__name__)

TASKS: dict[str, Callable] = {}
"""name -> eval task, one for each of :data:`align.eval.task_names.TASK_NAMES`."""

ROWS: dict[str, list[Row]] = {}
"""name -> the report card's rows for the task's metrics."""


@dataclass(frozen=True)
class Row:
    """One row of the report card: a metric of a task, its label, and how its values print."""

    metric: str
    label: str
    fmt: str = "{:.1%}"


class Skip(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The task cannot run with what the context has."""


def task(name: str, rows: list[tuple] = ()):
    """Register ``fn`` as the eval task ``name``; ``rows``: ``(metric, label[, fmt])`` for the report card."""
    def register(fn):
        TASKS[name] = fn
        ROWS[name] = [Row(*row) for row in rows]
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
            raise Skip(f"needs --{key}")
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


def model_label(path: str) -> str:
    """A model's name in results: its dir's name, or the stage's for a LoRA stage's ``<stage>/merged`` dir."""
    path = Path(path)
    return path.parent.name if path.name == "merged" else path.name


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else float("nan")
