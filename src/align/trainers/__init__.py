"""Trainers TRL does not ship: PPO for RLHF (TRL removed its PPO trainer in 1.13).

    from align.trainers import PPOConfig, PPOTrainer, reward_model_reward
    trainer = PPOTrainer(model="runs/tiny-world/sft", args=PPOConfig(output_dir="out"), train_dataset=prompts,
                         reward_model="runs/tiny-world/reward_model", gold_fn=gold)
    trainer.train()

Modules, one concern each: ``ppo_config`` (settings), ``ppo_trainer`` (the loop), ``rollout`` (sampling and
log-probabilities), ``advantages`` (KL-shaped rewards, GAE, whitening), ``losses`` (clipped PPO losses),
``kl_control`` (fixed/adaptive β), ``value_model`` (the critic), ``reward_model`` (a reward model as a TRL reward
function), ``weights`` (loading saved weights into a live model).
"""

import importlib

_EXPORTS = {"KLController": "kl_control", "PPOConfig": "ppo_config", "PPOTrainer": "ppo_trainer",
            "RewardModelScorer": "reward_model", "reward_model_reward": "reward_model"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    # Lazy: the pure tensor modules (advantages, losses) import without transformers' Trainer.
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"align.trainers.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'align.trainers' has no attribute {name!r}")
