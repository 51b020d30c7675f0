"""Reward-model pairwise accuracy: how often the chosen answer scores above the rejected one."""

import datasets
import evaluate

_DESCRIPTION = "Fraction of preference pairs whose chosen side gets the higher reward (ties count as wrong)."
_INPUTS = """
Args:
    chosen_rewards (list of float): the reward model's score of each pair's chosen answer.
    rejected_rewards (list of float): the score of the rejected answer of the same pair.
Returns:
    accuracy (float, nan when empty), mean_margin (mean chosen - rejected), n (int).
"""


class PairwiseAccuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation="", inputs_description=_INPUTS,
            features=datasets.Features({"chosen_rewards": datasets.Value("float64"),
                                        "rejected_rewards": datasets.Value("float64")}),
        )

    def _compute(self, chosen_rewards, rejected_rewards):
        n = len(chosen_rewards)
        if n == 0:
            return {"accuracy": float("nan"), "mean_margin": float("nan"), "n": 0}
        margins = [c - r for c, r in zip(chosen_rewards, rejected_rewards)]
        return {"accuracy": sum(m > 0 for m in margins) / n, "mean_margin": sum(margins) / n, "n": n}
