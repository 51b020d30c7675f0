"""``evaluate`` metric modules shipped inside the package, loaded by path so they work offline (Hub-hosted
metrics such as ``evaluate.load("accuracy")`` need the network).

    from align.eval.metrics import load_metric
    load_metric("accuracy").compute(predictions=[1, 0, 1], references=[1, 1, 1])

Each module is a folder ``<name>/<name>.py`` holding one ``evaluate.Metric``; ``evaluate.load(path)`` takes the
folder as is.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

METRICS_DIR = Path(__file__).resolve().parent
METRICS = sorted(p.name for p in METRICS_DIR.iterdir() if (p / f"{p.name}.py").is_file())


@cache
def load_metric(name: str):
    """The shipped metric ``name`` as an ``evaluate.EvaluationModule`` (loaded once per process)."""
    import evaluate

    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r} (shipped: {', '.join(METRICS)})")
    return evaluate.load(str(METRICS_DIR / name))


def accuracy(right: list[bool]) -> dict:
    """Accuracy of graded answers (``right[i]``: answer i was correct) with its 95% Wilson interval."""
    return load_metric("accuracy").compute(predictions=[int(bool(r)) for r in right], references=[1] * len(right))
