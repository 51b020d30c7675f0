"""Verifiable rewards for GRPO, with TRL's signature ``f(prompts, completions, completion_ids, **columns)``.

    from align.rewards import build_reward_funcs
    funcs, weights = build_reward_funcs([{"name": "math_accuracy"}, {"name": "answer_format", "weight": 0.2}])
    GRPOTrainer(..., reward_funcs=funcs, args=GRPOConfig(reward_weights=weights, ...))

Every reward returns one finite float or None ("not applicable") per completion and never raises on model
text. Modules: ``parsing`` (final answers), ``math``, ``format``, ``tools``, ``shaping``, ``code`` (+ ``sandbox``).
"""

from align.rewards import code, format, math, shaping, tools  # noqa: F401 - importing registers the rewards
from align.rewards.base import completion_text
from align.rewards.registry import REWARDS, build_reward_funcs, get_reward, register
from align.rewards.sandbox import SandboxResult, run_python

__all__ = ["REWARDS", "SandboxResult", "build_reward_funcs", "completion_text", "get_reward", "register",
           "run_python"]
