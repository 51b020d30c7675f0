"""The report card: one column per model (BASE / SFT / RL / RLHF …), one row per measured task, plus the
experiment plots, written as markdown + PNGs from what the stages left in ``runs/<run>/``.

Inputs (each optional; what is missing is left out): ``eval/*.json`` (written by ``align eval --out``),
``base/trainer_state.json`` (pretraining curves), ``grpo/trainer_state.json`` (the R1 curve),
``ppo/trainer_state.json`` (PPO: proxy vs gold reward), ``timings.tsv`` (stage wall times from the speedrun).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from align.errors import UserError
from align.eval.task_names import TASK_NAMES
from align.plots import plot_heldout_curve, plot_reward_hacking, plot_two_axes, pyplot, save_figure, series
from align.run_layout import RunLayout
from align.tasks import ROWS

logger = logging.getLogger(__name__)

COLUMN_ORDER = ["BASE", "SFT", "SFT-ablation", "RL", "RLHF", "DPO"]

def load_results(run: Path) -> list[dict]:
    results = []
    for path in sorted(RunLayout(run).stage("eval").glob("*.json")):
        try:
            results.append(json.loads(path.read_text()))
        except json.JSONDecodeError as err:
            raise UserError(f"{path}: not valid JSON ({err.msg})") from err
    order = {name: i for i, name in enumerate(COLUMN_ORDER)}
    return sorted(results, key=lambda r: (order.get(r.get("name"), len(order)), r.get("name", "")))


def eval_table(results: list[dict]) -> list[str]:
    """The report card's table as markdown lines: one column per result (``align eval`` JSON), one row per task
    that any of them measured."""
    names = [r["name"] for r in results]
    lines = ["| task | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    rows = [(f"{task}/{row.metric}", row) for task in TASK_NAMES for row in ROWS[task]]  # in task order
    for key, row in rows:
        values = [r["metrics"].get(key) for r in results]
        if all(v is None for v in values):
            continue
        cells = ["—" if v is None or v != v else row.fmt.format(v) for v in values]
        lines.append(f"| {row.label} | " + " | ".join(cells) + " |")
    return lines


def _history(run: Path, stage: str) -> list[dict]:
    path = RunLayout(run).trainer_state(stage)
    return json.loads(path.read_text())["log_history"] if path.is_file() else []


def _plot_pretraining(history: list[dict], path: Path) -> Path | None:
    steps, loss = series(history, "loss")
    if not steps:
        return None
    eval_steps, bpb = series(history, "eval_bpb")
    return plot_two_axes((steps, loss, "-", "tab:blue", "train loss (nats/token)"),
                         (eval_steps, bpb, "o-", "tab:green", "held-out bits per byte"), path, "Pretraining")


def _plot_bars(title: str, bars: dict[str, float], path: Path, ylabel: str) -> Path | None:
    if not bars:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.bar(list(bars), list(bars.values()), color=["tab:blue", "tab:orange", "tab:green", "tab:red"][: len(bars)])
    ax.set_ylim(0, 1)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    for i, value in enumerate(bars.values()):
        ax.text(i, value + 0.02, f"{value:.0%}", ha="center")
    return save_figure(fig, path)


def write_report(run: str | Path | list, out: str | Path | None = None) -> Path:
    """Write ``report.md`` and its plots into ``out`` (default ``runs/<run>/report``); returns the markdown path.

    Several runs (the tiny base's and a real base's speedruns) make one card with a column set per run, headed by
    the run's name, and each run's plots and stage times; ``out`` then defaults to the first run's report dir."""
    runs = [Path(r) for r in (run if isinstance(run, (list, tuple)) else [run])]
    for path in runs:
        if not path.is_dir():
            raise UserError(f"{path}: no such run directory")
    out = Path(out) if out else RunLayout(runs[0]).stage("report")
    out.mkdir(parents=True, exist_ok=True)
    several = len(runs) > 1
    results = []
    for path in runs:
        for result in load_results(path):
            results.append({**result, "name": f"{path.name} {result['name']}"} if several else result)
    title = ", ".join(f"`{r}`" for r in runs)
    lines = [f"# Report card: {title}", ""]
    if results:
        lines += eval_table(results)
        lines += ["", "Models: " + "; ".join(f"**{r['name']}** `{r['model']}`" for r in results), ""]
    else:
        lines += ["No evaluations yet (`align eval --model DIR --out runs/<run>/eval/NAME.json`).", ""]
    for path in runs:
        lines += _run_sections(path, out, prefix=f"{path.name}: " if several else "",
                               stem=f"{path.name}-" if several else "")
    report = out / "report.md"
    report.write_text("\n".join(lines))
    logger.info("report card: %s", report)
    return report


def _run_sections(run: Path, out: Path, prefix: str, stem: str) -> list[str]:
    """One run's plots and stage times (``prefix`` in titles and ``stem`` in file names tell runs apart)."""
    by_name = {r["name"]: r["metrics"] for r in load_results(run)}
    plots = [("Pretraining loss and held-out bits per byte",
              _plot_pretraining(_history(run, "base"), out / f"{stem}pretraining.png")),
             ("GRPO: held-out accuracy and completion length (the R1 curve)",
              plot_heldout_curve(_history(run, "grpo"), out / f"{stem}grpo_curve.png")),
             ("PPO: proxy (reward-model) reward vs gold reward, and KL to the SFT model",
              plot_reward_hacking(_history(run, "ppo"), out / f"{stem}ppo_reward_hacking.png"))]
    if "SFT" in by_name and "SFT-ablation" in by_name:
        plots.append(("Hallucination on unknown entities, with and without the \"I don't know\" data",
                      _plot_bars("Hallucination rate", {
                          "with idk data": by_name["SFT"].get("hallucination/rate", float("nan")),
                          "without": by_name["SFT-ablation"].get("hallucination/rate", float("nan"))},
                          out / f"{stem}hallucination.png", "hallucination rate")))
        plots.append(("Math on multi-step problems: thinking first (SFT) vs answer first (SFT-ablation)",
                      _plot_bars("Multi-step math", {
                          "thinking first": by_name["SFT"].get("math/multi_step", float("nan")),
                          "answer first": by_name["SFT-ablation"].get("math/multi_step", float("nan"))},
                          out / f"{stem}thinking_first.png", "accuracy")))
    lines = []
    for title, path in plots:
        if path is not None:
            lines += [f"## {prefix}{title}", "", f"![{prefix}{title}]({Path(path).name})", ""]
    timings = RunLayout(run).timings
    if timings.is_file():
        rows = [line.split("\t") for line in timings.read_text().splitlines() if line.strip()]
        lines += [f"## {prefix}Stage times", "", "| stage | seconds |", "|---|---:|"]
        lines += [f"| {r[0]} | {r[1]} |" for r in rows if len(r) >= 2]
        lines.append("")
    return lines
