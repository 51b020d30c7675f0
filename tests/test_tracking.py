"""Experiment tracking: trackio by default, wandb offline without an API key, tensorboard event files — all
beside the run, each with the training loss really in it."""

from __future__ import annotations

import importlib
import json
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from align.config import parse_recipe_args
from align.tracking import setup_tracking

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["align.pretraining", "align.sft", "align.reward_model", "align.dpo", "align.grpo", "align.ppo"]
TRACKER_ENV = ["WANDB_MODE", "WANDB_DIR", "WANDB_API_KEY", "WANDB_IDENTITY_TOKEN_FILE", "WANDB_BASE_URL", "NETRC",
               "TRACKIO_DIR", "TENSORBOARD_LOGGING_DIR"]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No tracker settings and no ~/.netrc; whatever the code under test sets is undone afterwards."""
    for name in TRACKER_ENV:
        monkeypatch.setenv(name, "x")  # recorded, so teardown restores the original (or its absence)
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return monkeypatch


@pytest.mark.parametrize("module", STAGES)
def test_every_recipe_reports_to_trackio_unless_told(module, tmp_path):
    parser = importlib.import_module(module).make_parser()
    parsed = parse_recipe_args(parser, ["--output_dir", str(tmp_path)])
    assert parsed[1].report_to == ["trackio"]
    parsed = parse_recipe_args(parser, ["--output_dir", str(tmp_path), "--report_to", "wandb,tensorboard"])
    assert parsed[1].report_to == ["wandb", "tensorboard"]
    assert parse_recipe_args(parser, ["--output_dir", str(tmp_path), "--report_to", "none"])[1].report_to == []


def test_trackio_writes_beside_the_run(clean_env, tmp_path):
    args = SimpleNamespace(report_to=["trackio"], output_dir=str(tmp_path / "my-run" / "sft"), run_name=None,
                           project="huggingface")
    setup_tracking(args)
    assert os.environ["TRACKIO_DIR"] == str(tmp_path / "my-run" / "trackio")
    assert (args.project, args.run_name) == ("my-run", "sft")  # one project per run, one trackio run per stage


def test_wandb_goes_offline_without_an_api_key(clean_env, tmp_path, caplog):
    args = SimpleNamespace(report_to=["wandb"], output_dir=str(tmp_path / "run" / "sft"), run_name=None)
    with caplog.at_level(logging.INFO, logger="align.tracking"):
        setup_tracking(args)
    assert os.environ["WANDB_MODE"] == "offline" and os.environ["WANDB_DIR"] == str(tmp_path / "run")
    assert [r.message for r in caplog.records if "offline" in r.message]  # said once, with where the files go


@pytest.mark.parametrize("credential", ["env", "netrc", "mode"])
def test_wandb_stays_as_set_up(credential, clean_env, tmp_path):
    if credential == "env":
        clean_env.setenv("WANDB_API_KEY", "k" * 40)
    elif credential == "netrc":  # what `wandb login` writes
        netrc = tmp_path / "netrc"
        netrc.write_text("machine api.wandb.ai\n  login user\n  password " + "k" * 40 + "\n")
        netrc.chmod(0o600)
        clean_env.setenv("NETRC", str(netrc))
    else:
        clean_env.setenv("WANDB_MODE", "disabled")
    setup_tracking(SimpleNamespace(report_to=["wandb"], output_dir=str(tmp_path / "run" / "sft"), run_name="x"))
    assert os.environ.get("WANDB_MODE") == ("disabled" if credential == "mode" else None)


def test_each_tracker_logs_the_loss(tokenizer_dir, corpus_file, tmp_path):
    """A 2-step pretraining run reporting to trackio, wandb and tensorboard at once, as a user would start it: in
    its own process (trackio reads TRACKIO_DIR on import), with no tracker environment and no W&B key."""
    env = {k: v for k, v in os.environ.items() if k not in TRACKER_ENV}
    env.update(HOME=str(tmp_path / "home"), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT / "src"))
    out = tmp_path / "run" / "base"
    argv = [sys.executable, str(ROOT / "recipes" / "pretrain.py"), "--dataset_name", corpus_file,
            "--tokenizer_name_or_path", tokenizer_dir, "--output_dir", str(out), "--depth", "1", "--width", "32",
            "--heads", "2", "--block_size", "32", "--max_steps", "2", "--logging_steps", "1",
            "--per_device_train_batch_size", "2", "--eval_strategy", "no", "--save_strategy", "no", "--bf16", "false",
            "--report_to", "trackio,wandb,tensorboard", "--disable_tqdm", "true"]
    done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    state = json.loads((out / "trainer_state.json").read_text())
    losses = [row["loss"] for row in state["log_history"] if "loss" in row]
    assert len(losses) == 2

    # trackio: a local SQLite database per project (the run dir's name), beside the run
    db = sqlite3.connect(tmp_path / "run" / "trackio" / "run.db")
    logged = [json.loads(m) for (m,) in db.execute("SELECT metrics FROM metrics WHERE run_name = 'base'")]
    assert [m["train/loss"] for m in logged if "train/loss" in m] == pytest.approx(losses)

    # wandb: an offline run (no key) under <run>/wandb, its history records holding each loss
    runs = list((tmp_path / "run" / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(runs) == 1, done.stderr[-3000:]
    records = runs[0].read_bytes()
    assert records.count(b"train/loss") >= 2 and all(json.dumps(loss).encode() in records for loss in losses)

    # tensorboard: event files in <output_dir>/runs/
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = sorted((out / "runs").glob("*/events.out.tfevents.*"))
    scalars = []
    for path in events:
        accumulator = EventAccumulator(str(path))
        accumulator.Reload()
        if "train/loss" in accumulator.Tags()["scalars"]:
            scalars += [e.value for e in accumulator.Scalars("train/loss")]
    assert scalars == pytest.approx(losses, rel=1e-5)

    assert not (tmp_path / "home" / ".cache" / "huggingface" / "trackio").exists()  # nothing went to ~
