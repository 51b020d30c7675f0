"""The evaluate metric modules shipped in align.eval.metrics load by path offline and compute the right values."""

from __future__ import annotations

import math

import pytest


def test_every_shipped_metric_loads_offline(monkeypatch):
    import evaluate

    from align.eval.metrics import METRICS, METRICS_DIR, load_metric

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert set(METRICS) == {"accuracy", "pairwise_accuracy", "win_rate"}
    for name in METRICS:
        module = load_metric(name)
        assert isinstance(module, evaluate.EvaluationModule)
        assert module.name == name and (METRICS_DIR / name / f"{name}.py").is_file()
    with pytest.raises(ValueError, match="unknown metric 'rouge'"):
        load_metric("rouge")


def test_accuracy_and_its_wilson_interval():
    from align.eval.metrics import accuracy, load_metric

    result = load_metric("accuracy").compute(predictions=[1, 0, 2, 2], references=[1, 1, 2, 0])
    assert result["accuracy"] == 0.5 and result["n"] == 4
    graded = accuracy([True] * 7 + [False] * 12)  # 7 of 19, like the identity set
    assert graded["accuracy"] == pytest.approx(7 / 19)
    # Wilson 95% interval for 7/19 (statsmodels' proportion_confint(7, 19, method="wilson")): (0.1915, 0.5896)
    assert graded["ci95_low"] == pytest.approx(0.1915, abs=1e-4)
    assert graded["ci95_high"] == pytest.approx(0.5896, abs=1e-4)
    none_right = accuracy([False] * 19)
    assert none_right["accuracy"] == 0 and none_right["ci95_low"] == 0 and 0.1 < none_right["ci95_high"] < 0.2
    empty = accuracy([])
    assert empty["n"] == 0 and math.isnan(empty["accuracy"])


def test_pairwise_accuracy_counts_ties_as_wrong():
    from align.eval.metrics import load_metric

    result = load_metric("pairwise_accuracy").compute(chosen_rewards=[1.0, 0.5, 2.0, -1.0],
                                                      rejected_rewards=[0.0, 0.5, 1.0, 0.0])
    assert result["accuracy"] == 0.5 and result["n"] == 4
    assert result["mean_margin"] == pytest.approx((1.0 + 0.0 + 1.0 - 1.0) / 4)


def test_win_rate_counts_ties_half():
    from align.eval.metrics import load_metric

    result = load_metric("win_rate").compute(scores_a=[2.0, 1.0, 0.0, -1.0, 3.0], scores_b=[1.0, 1.0, 1.0, 0.0, 0.0])
    assert (result["wins"], result["ties"], result["losses"], result["n"]) == (2, 1, 2, 5)
    assert result["win_rate"] == pytest.approx(2.5 / 5)
