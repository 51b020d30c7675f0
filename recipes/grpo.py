"""RL with verifiable rewards: GRPO (or RLOO) from an SFT model.

    python recipes/grpo.py --config recipes/tiny-world/grpo.yaml
    accelerate launch recipes/grpo.py --config recipes/smollm2/grpo.yaml --use_vllm true

Any YAML key can be overridden on the command line (``--learning_rate 1e-4``); unknown keys are errors.
"""

from align.config import parse_recipe_args
from align.errors import exit_on_user_error
from align.grpo import make_parser, run_grpo
from align.logging_utils import setup_logging


@exit_on_user_error
def main(argv: list[str] | None = None) -> None:
    setup_logging()
    script_args, training_args, model_args = parse_recipe_args(make_parser(), argv, __doc__)
    run_grpo(script_args, training_args, model_args)


if __name__ == "__main__":
    main()
