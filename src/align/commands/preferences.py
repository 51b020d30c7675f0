"""`align preferences --model DIR --out DIR`: sample K answers per "describe" prompt, rank them with the world's
gold labeler, write chosen/rejected pairs for the reward model and DPO."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    from align.data.preferences.config import PAIRINGS, PreferenceBuildConfig

    defaults = PreferenceBuildConfig(model="", out="")
    p = subparsers.add_parser(
        "preferences", help="preference pairs from a model's ranked samples (tiny-world 'describe' task)",
        description="Samples --samples answers per prompt from --model, ranks them with the world's gold labeler "
        "(align.world.preference.gold_score) and writes OUT/train.jsonl and OUT/test.jsonl (held-out entities) in "
        "TRL's preference format, OUT/samples.jsonl (every sample, judged) and OUT/summary.json.")
    p.add_argument("--model", required=True, help="the policy to sample from (an SFT model dir)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--world", default=defaults.world, help="seed, world.json or crawl dir (default: %(default)s)")
    p.add_argument("--prompts", type=int, default=defaults.prompts, help="train prompts (default: %(default)s)")
    p.add_argument("--heldout-prompts", type=int, default=defaults.heldout_prompts,
                   help="held-out prompts for test.jsonl; 0: none (default: %(default)s)")
    p.add_argument("--samples", type=int, default=defaults.samples, help="answers per prompt, K (default: %(default)s)")
    p.add_argument("--temperature", type=float, default=defaults.temperature)
    p.add_argument("--top-p", type=float, default=defaults.top_p)
    p.add_argument("--max-new-tokens", type=int, default=defaults.max_new_tokens)
    p.add_argument("--batch-size", type=int, default=defaults.batch_size, help="sequences per generate call")
    p.add_argument("--pairs", choices=PAIRINGS, default=defaults.pairs,
                   help="all: every pair of a prompt's answers; best_worst: one pair per prompt (default: %(default)s)")
    p.add_argument("--min-margin", type=float, default=defaults.min_margin,
                   help="smallest gold-score gap of a kept pair (default: %(default)s)")
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--overwrite", action="store_true", help="rebuild an OUT that already holds pairs")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from align.data.preferences.build import PreferenceBuildConfig, build_preferences

    config = PreferenceBuildConfig(
        model=args.model, out=args.out, world=args.world, prompts=args.prompts, heldout_prompts=args.heldout_prompts,
        samples=args.samples, temperature=args.temperature, top_p=args.top_p, max_new_tokens=args.max_new_tokens,
        batch_size=args.batch_size, pairs=args.pairs, min_margin=args.min_margin, seed=args.seed,
        overwrite=args.overwrite)
    summary = build_preferences(config)
    for split, stats in summary["splits"].items():
        sys.stdout.write(f"{split}: {stats['pairs']} pairs from {stats['prompts']} prompts x {config.samples} samples "
                         f"(mean gold {stats['mean_gold']:+.2f}, mean margin {stats['mean_pair_margin']:.2f})\n")
    sys.stdout.write(f"{summary['seconds']:.0f}s -> {args.out}\n")
    return 0
