"""RLHF with PPO: the SFT policy against a reward model, KL-anchored to itself, gold reward measured alongside.

    python recipes/ppo.py --config recipes/tiny-world/ppo.yaml
    accelerate launch --config_file accelerate_configs/multi-process-cpu.yaml recipes/ppo.py --config recipes/tiny-world/ppo.yaml

Any YAML key can be overridden on the command line (``--kl_coef 0.1``); unknown keys are errors.
"""

from align.config import parse_recipe_args
from align.errors import exit_on_user_error
from align.logging_utils import setup_logging
from align.ppo import make_parser, run_ppo


@exit_on_user_error
def main(argv: list[str] | None = None) -> None:
    setup_logging()
    script_args, training_args, model_args = parse_recipe_args(make_parser(), argv, __doc__)
    run_ppo(script_args, training_args, model_args)


if __name__ == "__main__":
    main()
