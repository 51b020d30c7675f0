"""Distributed launch: SFT and GRPO really run as 2 processes on a CPU (gloo) and match the 1-process run's losses
at equal global batch; every accelerate config in accelerate_configs/ loads."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CPU_CONFIG = ROOT / "accelerate_configs" / "multi-process-cpu.yaml"
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _launch(script: Path, argv: list[str], processes: int, env: dict | None = None) -> str:
    """Run a recipe in ``processes`` processes (``accelerate launch`` with the 2-process CPU config, or plain
    python); returns its stderr, where the recipe logs its world size."""
    if processes == 1:
        cmd = [sys.executable, str(script)]
    else:
        cmd = [str(Path(sys.executable).parent / "accelerate"), "launch", "--config_file", str(CPU_CONFIG),
               "--num_processes", str(processes), "--main_process_port", str(_free_port()), str(script)]
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", **(env or {})}
    result = subprocess.run([*cmd, *argv], capture_output=True, text=True, env=full_env, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    sizes = {int(n) for n in re.findall(r"world size (\d+): global batch", result.stderr)}
    assert sizes == {processes}, f"expected world size {processes}, the run logged {sizes}"
    return result.stderr


def _logged(output_dir: Path, *keys: str) -> list[tuple[float, ...]]:
    history = json.loads((output_dir / "trainer_state.json").read_text())["log_history"]
    return [tuple(row[k] for k in keys) for row in history if "loss" in row]


def _assert_close(one: list[tuple], two: list[tuple], rel: float, abs_: float):
    assert len(one) == len(two) > 0, (one, two)
    for step, (a, b) in enumerate(zip(one, two), start=1):
        assert a == pytest.approx(b, rel=rel, abs=abs_), f"step {step}: 1 process {a}, 2 processes {b}"


def test_sft_two_processes_match_one_at_equal_global_batch(tiny_model_dir, tmp_path):
    mixture = tmp_path / "mixture.yaml"
    mixture.write_text("- {builder: world_chat, n: 24}\n- {builder: identity, n: 8}\n")
    # A high learning rate so the later steps' losses depend on the earlier (all-reduced) updates.
    common = ["--model_name_or_path", tiny_model_dir, "--mixture", str(mixture), "--bf16", "false",
              "--report_to", "none", "--max_length", "192", "--logging_steps", "1", "--disable_tqdm", "true",
              "--dataset_num_proc", "1", "--warmup_steps", "0", "--max_steps", "4", "--save_strategy", "no",
              "--eval_strategy", "no", "--seed", "0", "--learning_rate", "3e-3"]
    runs = {}
    for processes, per_device in ((1, 4), (2, 2)):
        out = tmp_path / f"sft-{processes}"
        _launch(ROOT / "recipes" / "sft.py", [*common, "--per_device_train_batch_size", str(per_device),
                                              "--output_dir", str(out)], processes)
        runs[processes] = _logged(out, "loss", "grad_norm")
    assert runs[1][-1][0] < runs[1][0][0] - 0.1, runs[1]  # it trained
    _assert_close(runs[1], runs[2], rel=1e-4, abs_=1e-6)


def test_grpo_two_processes_match_one_at_equal_global_batch(tiny_model_dir, tmp_path):
    # Sampling is made independent of the process split (see tests/launch/grpo_same_samples.py), so both runs
    # draw the same completions; beta > 0 makes the loss non-zero from the second step on.
    common = ["--model_name_or_path", tiny_model_dir, "--bf16", "false", "--report_to", "none",
              "--logging_steps", "1", "--disable_tqdm", "true", "--num_generations", "4",
              "--max_completion_length", "12", "--train_problems", "32", "--heldout_problems", "8",
              "--heldout_every", "0", "--save_strategy", "no", "--max_steps", "4", "--learning_rate", "3e-3",
              "--seed", "0", "--beta", "0.1", "--rewards", json.dumps([{"name": "even_token_ids"}])]
    runs = {}
    for processes, per_device in ((1, 8), (2, 4)):
        out = tmp_path / f"grpo-{processes}"
        _launch(ROOT / "tests" / "launch" / "grpo_same_samples.py",
                [*common, "--per_device_train_batch_size", str(per_device), "--output_dir", str(out)], processes,
                env={"ALIGN_TEST_NUM_GENERATIONS": "4"})
        runs[processes] = _logged(out, "loss", "grad_norm", "reward", "kl")
    assert len({row[2] for row in runs[1]}) > 1, runs[1]  # rewards vary: real samples, not one repeated answer
    assert max(row[0] for row in runs[1]) > 1e-4, runs[1]
    _assert_close(runs[1], runs[2], rel=1e-3, abs_=1e-6)


@pytest.mark.parametrize("path", sorted((ROOT / "accelerate_configs").glob("*.yaml")), ids=lambda p: p.stem)
def test_accelerate_configs_load(path):
    from accelerate.commands.config.config_args import load_config_from_file

    config = load_config_from_file(str(path))
    assert config.num_processes >= 2 and config.compute_environment.value == "LOCAL_MACHINE"
    expected = {"ddp": "MULTI_GPU", "multi-process-cpu": "MULTI_GPU", "fsdp": "FSDP",
                "deepspeed-zero2": "DEEPSPEED", "deepspeed-zero3": "DEEPSPEED"}
    assert config.distributed_type.value == expected[path.stem]
    if path.stem == "fsdp":
        assert config.fsdp_config["fsdp_version"] == 2
    if path.stem.startswith("deepspeed"):
        assert config.deepspeed_config["zero_stage"] == int(path.stem[-1])
