"""Held-out early stopping and the best policy, as a ``TrainerCallback`` of :class:`.PPOTrainer`.

After each evaluation (``on_evaluate``, metrics ``eval/<stop_metric>_reward``): a gain of more than ``min_delta``
makes this the best policy (saved to ``<output_dir>/best`` with ``save_best_policy``); ``patience`` evaluations
without one stop training. At the end (``on_train_end``) ``load_best_policy_at_end`` puts the best policy back,
so the final save is the best one. The bookkeeping (``state``) goes into each checkpoint's ``ppo_state.json``.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable

from transformers import TrainerCallback

logger = logging.getLogger(__name__)


class BestPolicyCallback(TrainerCallback):
    """``save_policy(dir)`` writes the policy; ``restore_policy(dir)`` loads it back (every process)."""

    def __init__(self, save_policy: Callable[[str], None], restore_policy: Callable[[str], None]):
        self.save_policy, self.restore_policy = save_policy, restore_policy
        self.state: dict = {"metric": None, "step": None, "bad_evals": 0}

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        value = (metrics or {}).get(f"eval/{args.stop_metric}_reward")
        if value is None or math.isnan(value):
            return
        best = self.state
        if best["metric"] is None or value > best["metric"] + args.min_delta:
            best.update(metric=value, step=state.global_step, bad_evals=0)
            if args.save_best_policy:
                self.save_policy(os.path.join(args.output_dir, "best"))
            return
        best["bad_evals"] += 1
        if args.patience is not None and best["bad_evals"] >= args.patience:
            logger.info("early stopping at step %d: held-out %s reward %.4f, best %.4f at step %d",
                        state.global_step, args.stop_metric, value, best["metric"], best["step"])
            control.should_training_stop = True

    def on_train_end(self, args, state, control, **kwargs):
        best_dir = os.path.join(args.output_dir, "best")
        step = self.state["step"]
        if args.load_best_policy_at_end and step is not None and step != state.global_step and os.path.isdir(best_dir):
            self.restore_policy(best_dir)
            logger.info("the policy is the best one again: step %d, %s %.4f", step, args.stop_metric,
                        self.state["metric"])

    def summary(self, args) -> dict:
        """The best held-out value and its step, for the training metrics (empty before any evaluation)."""
        if self.state["step"] is None:
            return {}
        return {f"best_eval_{args.stop_metric}_reward": self.state["metric"], "best_step": self.state["step"]}
