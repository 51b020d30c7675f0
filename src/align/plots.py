"""Experiment plots (PNG, matplotlib's Agg backend) from a trainer's ``log_history``."""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | Path) -> Path:
    """Lay out, write as PNG (creating the directory) and close ``fig``."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def series(log_history: list[dict], key: str) -> tuple[list[int], list[float]]:
    """(steps, values) of one logged metric."""
    points = [(row["step"], row[key]) for row in log_history if key in row and "step" in row]
    return [s for s, _ in points], [v for _, v in points]


def plot_two_axes(left: tuple, right: tuple | None, path: str | Path, title: str = "",
                  left_ylim: tuple | None = None) -> Path:
    """One curve on each y axis against steps; each side is ``(steps, values, style, color, ylabel)``."""
    plt = pyplot()
    fig, left_axis = plt.subplots(figsize=(6, 3.5))
    steps, values, style, color, ylabel = left
    left_axis.plot(steps, values, style, color=color)
    left_axis.set_xlabel("step")
    left_axis.set_ylabel(ylabel, color=color)
    if left_ylim:
        left_axis.set_ylim(*left_ylim)
    if right and right[0]:
        steps, values, style, color, ylabel = right
        right_axis = left_axis.twinx()
        right_axis.plot(steps, values, style, color=color)
        right_axis.set_ylabel(ylabel, color=color)
    if title:
        left_axis.set_title(title)
    return save_figure(fig, path)


def plot_heldout_curve(log_history: list[dict], path: str | Path, title: str = "") -> Path | None:
    """Held-out accuracy (left axis) and mean completion length (right axis) against steps; None without data."""
    steps, accuracy = series(log_history, "heldout/accuracy")
    if not steps:
        return None
    length_steps, length = series(log_history, "heldout/completion_length")
    return plot_two_axes((steps, accuracy, "o-", "tab:blue", "held-out accuracy"),
                         (length_steps, length, "s--", "tab:orange", "mean completion length (tokens)"), path, title,
                         left_ylim=(0, 1))


def plot_reward_hacking(log_history: list[dict], path: str | Path, title: str = "") -> Path | None:
    """The over-optimisation plot of RLHF: proxy (reward model) and gold (true preference) reward on the left axis,
    KL to the reference on the right, against steps. Training curves are lines, held-out evaluations
    (``eval/*``) markers. None without data."""
    curves = {key: series(log_history, key) for key in (
        "objective/proxy_reward", "objective/gold_reward", "objective/kl", "eval/proxy_reward", "eval/gold_reward",
        "eval/kl")}
    if not any(steps for steps, _ in curves.values()):
        return None
    plt = pyplot()
    fig, left = plt.subplots(figsize=(7, 4))
    right = left.twinx()
    styles = {"objective/proxy_reward": (left, "-", "tab:blue", "proxy reward (train)"),
              "objective/gold_reward": (left, "-", "tab:green", "gold reward (train)"),
              "objective/kl": (right, "-", "tab:red", "KL (train)"),
              "eval/proxy_reward": (left, "o--", "tab:blue", "proxy reward (held-out)"),
              "eval/gold_reward": (left, "s--", "tab:green", "gold reward (held-out)"),
              "eval/kl": (right, "^--", "tab:red", "KL (held-out)")}
    handles = []
    for key, (axis, style, color, label) in styles.items():
        steps, values = curves[key]
        if steps:
            alpha = 0.5 if key.startswith("objective/") else 1.0
            handles += axis.plot(steps, values, style, color=color, label=label, alpha=alpha, markersize=4)
    left.set_xlabel("step")
    left.set_ylabel("reward")
    right.set_ylabel("KL to the reference (nats)", color="tab:red")
    left.legend(handles=handles, loc="best", fontsize=7)
    left.set_title(title or "Reward over-optimisation: proxy vs gold reward, and KL")
    return save_figure(fig, path)
