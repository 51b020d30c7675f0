"""RLHF with PPO: the SFT policy against a reward model, KL-anchored to itself, gold reward measured alongside.

    python recipes/ppo.py --config recipes/tiny-world/ppo.yaml
    accelerate launch --config_file accelerate_configs/multi-process-cpu.yaml recipes/ppo.py --config recipes/tiny-world/ppo.yaml

Any YAML key can be overridden on the command line (``--kl_coef 0.1``); unknown keys are errors.
"""

import logging
import os

from align.config import recipe_main
from align.plots import plot_reward_hacking
from align.ppo import build_rewards, build_trainer, check_args, load_prompts, make_parser
from align.training import StageRun

logger = logging.getLogger("align.recipes.ppo")


def train(script_args, training_args, model_args) -> dict:
    """Train the policy, save it (the best held-out one with ``load_best_policy_at_end``) with the reward-hacking
    plot; returns the metrics."""
    check_args(script_args, model_args)
    run = StageRun("ppo", script_args, training_args, model_args)

    # 1. prompts: the world's "describe an entity" task (held-out entities and phrasings), or a dataset's
    with training_args.main_process_first(desc="building the prompts"):
        world, prompts, heldout = load_prompts(script_args, training_args.seed)
    logger.info("%d training prompts, %d held out", len(prompts), len(heldout) if heldout is not None else 0)
    if heldout is None and training_args.eval_every:
        logger.warning("no held-out prompts: evaluation and early stopping are off")
        training_args.eval_every, training_args.patience = 0, None

    # 2. the proxy reward (a reward model, or reward functions) and the gold one it is checked against
    reward_model, reward_fn, gold_fn = build_rewards(script_args, world)

    # 3. align's PPO trainer: rollouts, rewards with a KL penalty, GAE, clipped policy and value updates
    trainer = build_trainer(script_args, training_args, model_args, prompts, heldout, reward_model, reward_fn,
                            gold_fn)
    metrics = run.train(trainer)
    if trainer.is_world_process_zero():
        plot = plot_reward_hacking(trainer.state.log_history,
                                   os.path.join(training_args.output_dir, "reward_hacking.png"))
        if plot:
            logger.info("reward-hacking curve: %s", plot)
    run.save(trainer, metrics)
    return metrics


main = recipe_main(make_parser, train, __doc__)  # parse the YAML and flags, train; errors as one line


if __name__ == "__main__":
    main()
