"""`align preferences --model DIR --out DIR`: sample K answers per "describe" prompt, rank them with the world's
gold labeler, write chosen/rejected pairs for the reward model and DPO."""

from __future__ import annotations

import sys

from align.cli_options import add_verb
from align.data.preferences.config import PreferenceBuildConfig


def register(subparsers) -> None:
    add_verb(subparsers, "preferences", PreferenceBuildConfig, _run,
             help="preference pairs from a model's ranked samples (tiny-world 'describe' task)",
             description="Samples --samples answers per prompt from --model, ranks them with the world's gold labeler "
             "(align.world.preference.gold_score) and writes OUT/train.jsonl and OUT/test.jsonl (held-out entities) "
             "in TRL's preference format, OUT/samples.jsonl (every sample, judged) and OUT/summary.json.")


def _run(config: PreferenceBuildConfig) -> int:
    from align.data.preferences.build import build_preferences

    summary = build_preferences(config)
    for split, stats in summary["splits"].items():
        sys.stdout.write(f"{split}: {stats['pairs']} pairs from {stats['prompts']} prompts x {config.samples} samples "
                         f"(mean gold {stats['mean_gold']:+.2f}, mean margin {stats['mean_pair_margin']:.2f})\n")
    sys.stdout.write(f"{summary['seconds']:.0f}s -> {config.out}\n")
    return 0
