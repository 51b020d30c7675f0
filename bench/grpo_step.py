"""Where a GRPO step's time goes: generation, reward computation, the rest of scoring (old-policy /
reference log-probs) and the policy update — for the tiny-world config.

    python bench/grpo_step.py --config recipes/tiny-world/grpo.yaml --steps 6

Timers wrap GRPOTrainer's own methods (``_generate``, ``_calculate_rewards``, ``_generate_and_score_completions``,
``training_step``); the first step is reported apart (warm-up). Figures are printed, not checked.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from align.errors import exit_on_user_error  # noqa: E402


def timed(obj, name: str, totals: dict) -> None:
    """Replace ``obj.name`` with a wrapper that adds its wall time to ``totals[name]``."""
    original = getattr(obj, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[name] += time.perf_counter() - start

    setattr(obj, name, wrapper)


@exit_on_user_error
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="recipes/tiny-world/grpo.yaml")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("overrides", nargs="*", help="extra recipe arguments, e.g. --model_name_or_path DIR")
    args = parser.parse_args(argv)

    from transformers import TrainerCallback

    from align.config import parse_recipe_args
    from align.grpo import build_trainer, load_problems, make_parser
    from align.logging_utils import setup_logging

    setup_logging("WARNING")
    out = tempfile.mkdtemp(prefix="grpo-bench-")
    script_args, training_args, model_args = parse_recipe_args(make_parser(), [
        "--config", args.config, "--output_dir", out, "--max_steps", str(args.steps), "--save_strategy", "no",
        "--heldout_every", "0", "--disable_tqdm", "true", "--report_to", "none", *args.overrides])
    train, heldout = load_problems(script_args, training_args.seed)
    per_step: list[dict] = []
    totals: dict = defaultdict(float)

    class StepTimes(TrainerCallback):
        def on_step_end(self, *_, **__):
            per_step.append(dict(totals))
            totals.clear()

    trainer = build_trainer(script_args, training_args, model_args, train, heldout, [StepTimes()])
    for name in ("_generate", "_calculate_rewards", "_generate_and_score_completions", "training_step"):
        timed(trainer, name, totals)
    start = time.perf_counter()
    trainer.train()
    wall = time.perf_counter() - start

    def split(step: dict) -> dict:
        rollout = step.get("_generate_and_score_completions", 0.0)
        generation, rewards = step.get("_generate", 0.0), step.get("_calculate_rewards", 0.0)
        total = step.get("training_step", 0.0)
        return {"generation": generation, "rewards": rewards, "scoring (logprobs)": rollout - generation - rewards,
                "policy update": total - rollout, "step": total}

    rows = [split(s) for s in per_step]
    steady = rows[1:] or rows
    batch = training_args.per_device_train_batch_size
    print(f"GRPO step, {args.config}: {batch} completions/step ({training_args.num_generations} per prompt), "
          f"max {training_args.max_completion_length} new tokens, bf16={training_args.bf16}")
    print(f"{'part':<22}{'first step':>12}{'mean (steps 2+)':>17}{'share':>8}")
    mean_step = sum(r["step"] for r in steady) / len(steady)
    for key in ("generation", "rewards", "scoring (logprobs)", "policy update", "step"):
        mean = sum(r[key] for r in steady) / len(steady)
        print(f"{key:<22}{rows[0][key]:>11.2f}s{mean:>16.2f}s{mean / mean_step:>8.0%}")
    print(f"wall time for {len(rows)} steps: {wall:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
