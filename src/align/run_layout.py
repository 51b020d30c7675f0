"""Where a run's stages write: ``runs/<run>/<stage>/``. The recipes name these dirs as ``${run}/<stage>`` (see
:mod:`align.config`), ``recipes/speedrun.sh`` runs its stages under these names, and the report reads them from here;
a test keeps the three in step."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from align.errors import UserError

STAGES = ("crawl", "data", "tokenizer", "convert", "base", "sft", "preferences", "reward_model", "grpo", "ppo", "eval",
          "report")
"""Every stage's directory name, in the order the speedrun runs them (``convert``: only for a real base model)."""
OTHER_STAGES = ("sft-ablation", "dpo")
"""Stages a recipe offers outside the speedrun, in the same run directory."""
TIMINGS = "timings.tsv"
"""Each finished stage's wall time (``stage<TAB>seconds``), written by the speedrun."""


@dataclass(frozen=True)
class RunLayout:
    """The directories of one run."""

    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root))

    def stage(self, name: str) -> Path:
        if name not in STAGES + OTHER_STAGES:
            raise UserError(f"unknown stage {name!r} (stages: {', '.join(STAGES + OTHER_STAGES)})")
        return self.root / name

    def trainer_state(self, name: str) -> Path:
        """The ``trainer_state.json`` a training stage leaves (its logged history)."""
        return self.stage(name) / "trainer_state.json"

    @property
    def timings(self) -> Path:
        return self.root / TIMINGS
