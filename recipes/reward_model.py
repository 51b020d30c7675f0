"""Reward model: a scalar head on the SFT model, trained on preference pairs (Bradley–Terry, trl.RewardTrainer).

    align preferences --model runs/tiny-world/sft --world runs/tiny-world/crawl --out runs/tiny-world/preferences
    python recipes/reward_model.py --config recipes/tiny-world/reward_model.yaml
    accelerate launch recipes/reward_model.py --config recipes/tiny-world/reward_model.yaml --use_peft true

Any YAML key can be overridden on the command line (``--learning_rate 1e-4``); unknown keys are errors.
"""

from align.config import recipe_main
from align.preference_training import load_training_pairs
from align.reward_model import build_trainer, heldout_pairwise_accuracy, make_parser
from align.training import StageRun


def train(script_args, training_args, model_args) -> dict:
    """Train the reward model, measure held-out pairwise accuracy, save; returns the metrics."""
    run = StageRun("reward_model", script_args, training_args, model_args)

    # 1. preference pairs (any format align.data.preferences reads), some held out; counts: the pairs left out, and why
    counts: dict[str, int] = {}
    pairs, heldout = load_training_pairs(script_args, training_args, counts)

    # 2. TRL's RewardTrainer (Bradley–Terry loss) on the SFT model with a score head; held-out pairwise accuracy
    trainer = build_trainer(script_args, training_args, model_args, pairs, heldout, counts)
    metrics = run.train(trainer, evaluate=heldout is not None)
    if heldout is not None:
        metrics.update(heldout_pairwise_accuracy(trainer))
    metrics.update(counts)
    run.save(trainer, metrics, merge_lora=script_args.merge_lora, sequence_classification=True)
    return metrics


main = recipe_main(make_parser, train, __doc__)  # parse the YAML and flags, train; errors as one line


if __name__ == "__main__":
    main()
