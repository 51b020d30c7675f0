"""DPO: the SFT model learns from preference pairs directly (trl.DPOTrainer), the SFT model as reference.

    align preferences --model runs/tiny-world/sft --world runs/tiny-world/crawl --out runs/tiny-world/preferences
    python recipes/dpo.py --config recipes/tiny-world/dpo.yaml
    accelerate launch recipes/dpo.py --config recipes/tiny-world/dpo.yaml --use_peft true

Any YAML key can be overridden on the command line (``--beta 0.05``); unknown keys are errors.
"""

from align.config import parse_recipe_args
from align.dpo import make_parser, run_dpo
from align.errors import exit_on_user_error
from align.logging_utils import setup_logging


@exit_on_user_error
def main(argv: list[str] | None = None) -> None:
    setup_logging()
    script_args, training_args, model_args = parse_recipe_args(make_parser(), argv, __doc__)
    run_dpo(script_args, training_args, model_args)


if __name__ == "__main__":
    main()
