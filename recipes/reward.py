"""Reward model: a scalar head on the SFT model, trained on preference pairs (Bradley–Terry, trl.RewardTrainer).

    align preferences --model runs/tiny-world/sft --world runs/tiny-world/crawl --out runs/tiny-world/preferences
    python recipes/reward.py --config recipes/tiny-world/reward.yaml
    accelerate launch recipes/reward.py --config recipes/tiny-world/reward.yaml --use_peft true

Any YAML key can be overridden on the command line (``--learning_rate 1e-4``); unknown keys are errors.
"""

from align.config import parse_recipe_args
from align.errors import exit_on_user_error
from align.logging_utils import setup_logging
from align.reward_model import make_parser, run_reward


@exit_on_user_error
def main(argv: list[str] | None = None) -> None:
    setup_logging()
    script_args, training_args, model_args = parse_recipe_args(make_parser(), argv, __doc__)
    run_reward(script_args, training_args, model_args)


if __name__ == "__main__":
    main()
