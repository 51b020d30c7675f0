"""Win-rate of model A against model B from per-prompt judge scores (ties count half)."""

import datasets
import evaluate

_DESCRIPTION = "Fraction of prompts where A's score beats B's, ties counting half; with win/tie/loss counts."
_INPUTS = """
Args:
    scores_a (list of float): the judge's score of model A's answer to each prompt.
    scores_b (list of float): the judge's score of model B's answer to the same prompt.
Returns:
    win_rate (float, nan when empty), wins, ties, losses, n (int).
"""


class WinRate(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation="", inputs_description=_INPUTS,
            features=datasets.Features({"scores_a": datasets.Value("float64"), "scores_b": datasets.Value("float64")}),
        )

    def _compute(self, scores_a, scores_b):
        n = len(scores_a)
        wins = sum(a > b for a, b in zip(scores_a, scores_b))
        ties = sum(a == b for a, b in zip(scores_a, scores_b))
        return {"win_rate": (wins + 0.5 * ties) / n if n else float("nan"), "wins": wins, "ties": ties,
                "losses": n - wins - ties, "n": n}
