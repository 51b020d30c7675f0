"""Pretrain a base model on any text dataset.

    python recipes/pretrain.py --config recipes/tiny-world/pretrain.yaml
    accelerate launch recipes/pretrain.py --config recipes/tiny-world/pretrain.yaml --max_steps 100

Any YAML key can be overridden on the command line (``--learning_rate 1e-3``); unknown keys are errors.
"""

from align.config import parse_recipe_args
from align.errors import exit_on_user_error
from align.logging_utils import setup_logging
from align.pretraining import make_parser, run_pretraining


@exit_on_user_error
def main(argv: list[str] | None = None) -> None:
    setup_logging()
    script_args, training_args, model_args, shape_args = parse_recipe_args(make_parser(), argv, __doc__)
    run_pretraining(script_args, training_args, model_args, shape_args)


if __name__ == "__main__":
    main()
