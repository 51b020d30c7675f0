"""DPO: the SFT model learns from preference pairs directly (trl.DPOTrainer), the SFT model as reference.

    align preferences --model runs/tiny-world/sft --world runs/tiny-world/crawl --out runs/tiny-world/preferences
    python recipes/dpo.py --config recipes/tiny-world/dpo.yaml
    accelerate launch recipes/dpo.py --config recipes/tiny-world/dpo.yaml --use_peft true

Any YAML key can be overridden on the command line (``--beta 0.05``); unknown keys are errors.
"""

from align.config import parse_recipe_args
from align.dpo import build_trainer, gold_win_rate, make_parser
from align.errors import exit_on_user_error
from align.logging_utils import setup_logging
from align.preference_training import count_dropped_pairs, load_training_pairs
from align.training import StageRun


def train(script_args, training_args, model_args) -> dict:
    """Train the policy with DPO, save it; returns the metrics (with the gold win-rate when asked)."""
    run = StageRun("dpo", script_args, training_args, model_args)

    # 1. preference pairs (any format align.data.preferences reads), maybe some held out
    counts: dict[str, int] = {}
    pairs, heldout = load_training_pairs(script_args, training_args, counts)

    # 2. TRL's DPOTrainer: the SFT model is the policy and, frozen, the reference
    trainer = build_trainer(script_args, training_args, model_args, pairs, heldout)
    counts.update(count_dropped_pairs(trainer, pairs, heldout))  # longer than max_length
    metrics = {**run.train(trainer, evaluate=heldout is not None), **counts}

    # 3. with world and win_rate_prompts: the policy against the reference, judged by the world's gold labeler
    if script_args.win_rate_prompts and trainer.is_world_process_zero():
        metrics.update(gold_win_rate(script_args, trainer, model_args.model_name_or_path))
    run.save(trainer, metrics)
    return metrics


@exit_on_user_error
def main(argv: list[str] | None = None) -> None:
    setup_logging()
    train(*parse_recipe_args(make_parser(), argv, __doc__))


if __name__ == "__main__":
    main()
