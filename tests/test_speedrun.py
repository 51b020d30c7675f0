"""The speedrun at smoke scale: every stage runs in order, the report card is written, a rerun skips finished
stages, and a failing stage stops the run with one message and leaves the finished stages in place."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["crawl", "data", "tokenizer", "base", "sft", "preferences", "reward_model", "grpo", "ppo", "eval"]


def test_the_speedrun_and_the_recipes_name_stage_dirs_as_the_run_layout_does():
    """One list of stage dirs (align.run_layout): the speedrun's stages and every ${run}/<dir> a recipe names."""
    import re

    import yaml

    from align.run_layout import OTHER_STAGES
    from align.run_layout import STAGES as LAYOUT

    script = (ROOT / "recipes" / "speedrun.sh").read_text()
    speedrun = re.findall(r"^\s*stage (\w+) ", script, flags=re.M)
    assert speedrun == [s for s in LAYOUT if s != "report"] and set(STAGES) <= set(speedrun)
    named = set()
    for config in (ROOT / "recipes").glob("*/*.yaml"):
        named |= set(re.findall(r"\$\{run\}/([\w.-]+)", config.read_text()))
        if "${run}" in config.read_text():
            assert yaml.safe_load(config.read_text()).get("run"), f"{config}: uses ${{run}} but has no run key"
    files = {"sft-probe.json"}  # the SFT probe's results sit in the run dir itself
    assert named and named - files <= set(LAYOUT + OTHER_STAGES), named - files - set(LAYOUT + OTHER_STAGES)


def _speedrun(out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OUT": str(out), "SCALE": "smoke", "HF_HUB_OFFLINE": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(["bash", str(ROOT / "recipes" / "speedrun.sh")], env=env, capture_output=True, text=True,
                          timeout=1200)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("speedrun") / "run"
    return out, _speedrun(out)


def test_every_stage_runs_and_the_report_card_is_written(smoke_run):
    out, proc = smoke_run
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    for stage in STAGES:
        assert (out / stage / ".done").is_file(), stage
        assert f"== {stage}: done in" in proc.stdout
    report = (out / "report" / "report.md").read_text()
    assert "| task | BASE | SFT | RL | RLHF |" in report
    for png in ("pretraining.png", "grpo_curve.png", "ppo_reward_hacking.png"):
        assert (out / "report" / png).is_file(), png
    names = {json.loads(p.read_text())["name"] for p in (out / "eval").glob("*.json")}
    assert names == {"BASE", "SFT", "RL", "RLHF"}


def test_rerun_skips_finished_stages_and_a_failure_keeps_them(smoke_run):
    out, first = smoke_run
    assert first.returncode == 0
    again = _speedrun(out)
    assert again.returncode == 0
    assert all(f"== {stage}: done already, skipped" in again.stdout for stage in STAGES)
    (out / "eval" / ".done").unlink()
    (out / "sft" / "config.json").write_text("{not json")  # the SFT model is now unreadable
    broken = _speedrun(out)
    assert broken.returncode == 1
    assert "== eval: FAILED; finished stages are kept" in broken.stderr
    assert all((out / stage / ".done").is_file() for stage in STAGES[:-1])
