"""Supervised fine-tuning: turn a base model into an assistant.

    python recipes/sft.py --config recipes/tiny-world/sft.yaml
    accelerate launch recipes/sft.py --config recipes/smollm2/sft.yaml --use_peft true --load_in_4bit true

Any YAML key can be overridden on the command line (``--learning_rate 1e-4``); unknown keys are errors.
"""

from align.config import parse_recipe_args
from align.errors import exit_on_user_error
from align.logging_utils import setup_logging
from align.sft import make_parser, run_sft


@exit_on_user_error
def main(argv: list[str] | None = None) -> None:
    setup_logging()
    script_args, training_args, model_args = parse_recipe_args(make_parser(), argv, __doc__)
    run_sft(script_args, training_args, model_args)


if __name__ == "__main__":
    main()
