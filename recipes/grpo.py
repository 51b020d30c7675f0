"""RL with verifiable rewards: GRPO (or RLOO) from an SFT model.

    python recipes/grpo.py --config recipes/tiny-world/grpo.yaml
    accelerate launch recipes/grpo.py --config recipes/smollm2/grpo.yaml --use_vllm true

Any YAML key can be overridden on the command line (``--learning_rate 1e-4``); unknown keys are errors.
"""

import logging
import os

from align.config import recipe_main
from align.grpo import build_trainer, heldout_callback, heldout_summary, load_policy, load_problems, make_parser
from align.plots import plot_heldout_curve
from align.rewards import build_reward_funcs
from align.training import StageRun

logger = logging.getLogger("align.recipes.grpo")


def train(script_args, training_args, model_args) -> dict:
    """Train the policy, save it with its R1 curve (held-out accuracy and completion length); returns the metrics."""
    run = StageRun(script_args.algorithm, script_args, training_args, model_args)

    # 1. problems with a checkable answer (tiny-world word problems or GSM8K), some held out
    with training_args.main_process_first(desc="building the prompts"):
        problems, heldout = load_problems(script_args, training_args.seed)
    logger.info("%d training problems, %d held out", len(problems), len(heldout))

    # 2. the rewards named in the YAML (align.rewards), checked before the model loads
    reward_funcs, training_args.reward_weights = build_reward_funcs(script_args.rewards)

    # 3. the policy: an SFT model (4-bit base with LoRA adapters for QLoRA)
    model, tokenizer = load_policy(model_args, training_args)

    # 4. TRL's trainer, with the held-out set answered greedily every heldout_every steps
    callback = heldout_callback(script_args, training_args, heldout) if script_args.heldout_every else None
    trainer = build_trainer(script_args, training_args, model_args, model, tokenizer, reward_funcs, problems,
                            [callback] if callback else [])
    if callback is not None:
        callback.trainer = trainer
    metrics = {**run.train(trainer), **heldout_summary(callback)}
    if trainer.is_world_process_zero():
        plot = plot_heldout_curve(trainer.state.log_history, os.path.join(training_args.output_dir, "grpo_curve.png"),
                                  title=f"{script_args.algorithm.upper()}: held-out accuracy and completion length")
        if plot:
            logger.info("R1 curve: %s", plot)
    run.save(trainer, metrics, merge_lora=script_args.merge_lora)
    return metrics


main = recipe_main(make_parser, train, __doc__)  # parse the YAML and flags, train; errors as one line


if __name__ == "__main__":
    main()
