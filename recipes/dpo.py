"""DPO: the SFT model learns from preference pairs directly (trl.DPOTrainer), the SFT model as reference.

    align preferences --model runs/tiny-world/sft --world runs/tiny-world/crawl --out runs/tiny-world/preferences
    python recipes/dpo.py --config recipes/tiny-world/dpo.yaml
    accelerate launch recipes/dpo.py --config recipes/tiny-world/dpo.yaml --use_peft true

Any YAML key can be overridden on the command line (``--beta 0.05``); unknown keys are errors.
"""

from align.config import recipe_main
from align.dpo import build_trainer, gold_win_rate, make_parser
from align.preference_training import load_training_pairs
from align.training import StageRun


def train(script_args, training_args, model_args) -> dict:
    """Train the policy with DPO, save it; returns the metrics (with the gold win-rate when asked)."""
    run = StageRun("dpo", script_args, training_args, model_args)

    # 1. preference pairs (any format align.data.preferences reads), maybe some held out, and TRL's DPOTrainer:
    #    the SFT model is the policy and, frozen, the reference; counts: the pairs left out, and why
    counts: dict[str, int] = {}
    pairs, heldout = load_training_pairs(script_args, training_args, counts)
    trainer = build_trainer(script_args, training_args, model_args, pairs, heldout, counts)
    metrics = {**run.train(trainer, evaluate=heldout is not None), **counts}

    # 2. with world and win_rate_prompts: the policy against the reference, judged by the world's gold labeler
    if script_args.win_rate_prompts and trainer.is_world_process_zero():
        metrics.update(gold_win_rate(script_args, trainer, model_args.model_name_or_path))
    run.save(trainer, metrics)
    return metrics


main = recipe_main(make_parser, train, __doc__)  # parse the YAML and flags, train; errors as one line


if __name__ == "__main__":
    main()
