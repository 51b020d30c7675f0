"""Accuracy with a 95% Wilson score interval: the tiny world's held-out sets are small (identity has 19
questions), so a point estimate alone overstates what a few points' difference means."""

import math

import datasets
import evaluate

_DESCRIPTION = "Fraction of predictions equal to their references, with n and a 95% Wilson score interval."
_INPUTS = """
Args:
    predictions (list of int): predicted labels (for graded answers: 1 correct, 0 wrong).
    references (list of int): reference labels (for graded answers: all 1).
Returns:
    accuracy (float, nan when empty), n (int), ci95_low (float), ci95_high (float).
"""


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    if n == 0:
        return float("nan"), float("nan")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


class Accuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation="", inputs_description=_INPUTS,
            features=datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}),
        )

    def _compute(self, predictions, references):
        n = len(predictions)
        right = sum(int(p == r) for p, r in zip(predictions, references))
        low, high = wilson_interval(right, n)
        return {"accuracy": right / n if n else float("nan"), "n": n, "ci95_low": low, "ci95_high": high}
