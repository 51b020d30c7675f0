"""GRPO / RLOO recipe: trains against align.rewards, logs the held-out curve, learns a verifiable toy task,
and rejects bad input with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_resumed_exactly, load_recipe, run_cli, run_recipe

FAST = ["--bf16", "false", "--report_to", "none", "--logging_steps", "1", "--disable_tqdm", "true",
        "--num_generations", "4", "--per_device_train_batch_size", "8", "--max_completion_length", "12",
        "--train_problems", "32", "--heldout_problems", "8", "--save_strategy", "no"]


def _grpo(argv):
    return run_recipe("grpo", argv)


def _history(out) -> list[dict]:
    return json.loads((Path(out) / "trainer_state.json").read_text())["log_history"]


def test_grpo_trains_on_world_problems_and_logs_the_heldout_curve(tiny_model_dir, tmp_path):
    out = tmp_path / "grpo"
    metrics = _grpo(["--model_name_or_path", tiny_model_dir, "--output_dir", str(out), "--max_steps", "2",
                     "--heldout_every", "1", *FAST])
    history = _history(out)
    curve = [row for row in history if "heldout/accuracy" in row]
    assert [row["step"] for row in curve] == [0, 1, 2]
    assert all(0 <= row["heldout/accuracy"] <= 1 and row["heldout/completion_length"] > 0 for row in curve)
    assert any("rewards/math_accuracy/mean" in row for row in history)
    assert (out / "grpo_curve.png").stat().st_size > 1000
    assert (out / "model.safetensors").is_file()
    assert "heldout_accuracy_end" in metrics


def test_rloo_runs_with_the_same_rewards(tiny_model_dir, tmp_path):
    out = tmp_path / "rloo"
    _grpo(["--model_name_or_path", tiny_model_dir, "--output_dir", str(out), "--max_steps", "1",
           "--algorithm", "rloo", "--heldout_every", "0", *FAST])
    assert any("rewards/math_accuracy/mean" in row for row in _history(out))
    assert (out / "model.safetensors").is_file()


def test_grpo_raises_a_verifiable_reward(tiny_model_dir, tmp_path, toy_reward):
    out = tmp_path / "toy"
    rewards = json.dumps([{"name": toy_reward}])
    _grpo(["--model_name_or_path", tiny_model_dir, "--output_dir", str(out), "--max_steps", "16",
           "--heldout_every", "0", "--rewards", rewards, "--learning_rate", "1e-2", *FAST])
    means = [row["reward"] for row in _history(out) if "reward" in row]
    assert len(means) == 16, means
    assert sum(means[-3:]) / 3 > sum(means[:3]) / 3 + 0.1, means


def test_unknown_reward_is_one_line(tiny_model_dir, tmp_path, capsys):
    code, _, err = run_cli(load_recipe("grpo").main, ["--model_name_or_path", tiny_model_dir, "--output_dir", str(tmp_path / "x"),
                                  "--rewards", json.dumps([{"name": "nope"}]), "--max_steps", "1", *FAST], capsys)
    assert code != 0 and "nope" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_gsm8k_prompts_name_the_bad_row(tmp_path):
    from align.errors import UserError
    from align.tasks.math import gsm8k_prompts

    path = tmp_path / "gsm.jsonl"
    path.write_text(json.dumps({"question": "1+1?", "answer": "1+1=2\n#### 2"}) + "\n"
                    + json.dumps({"question": "2+2?", "answer": "it is 4"}) + "\n")
    with pytest.raises(UserError, match=r"gsm.jsonl: row 2: answer: no final '#### N' line"):
        gsm8k_prompts(str(path))
    path.write_text(json.dumps({"question": "1+1?", "answer": "1+1=2\n#### 2"}) + "\n")
    assert gsm8k_prompts(str(path))[0]["answer"] == "2"


def test_resume_reproduces_the_uninterrupted_run(tiny_model_dir, tmp_path, toy_reward):
    """Resumed from its step-2 checkpoint, a run samples the same completions and logs the same rewards and losses
    as the run that never stopped."""
    import shutil

    args = ["--model_name_or_path", tiny_model_dir, "--max_steps", "4", "--heldout_every", "0", "--rewards",
            json.dumps([{"name": toy_reward}]), "--learning_rate", "1e-2", *FAST, "--save_strategy", "steps",
            "--save_steps", "2"]
    _grpo([*args, "--output_dir", str(tmp_path / "straight")])
    shutil.copytree(tmp_path / "straight" / "checkpoint-2", tmp_path / "resumed" / "checkpoint-2")
    _grpo([*args, "--output_dir", str(tmp_path / "resumed"), "--resume_from_checkpoint", "last"])
    assert_resumed_exactly(tmp_path / "straight", tmp_path / "resumed", 2, keys=("loss", "reward", "completions/mean_length"))
