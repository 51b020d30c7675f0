"""A directory given as a model that holds none — only a tokenizer, only the checkpoints of an interrupted run — is
one line saying what it holds and what is missing, in `align generate/chat/eval` and as a recipe's
``model_name_or_path``; a real model dir, a checkpoint and an output dir beside its checkpoints still load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import load_recipe, run_cli


@pytest.fixture
def dirs(tmp_path, tokenizer_dir, tiny_model_dir) -> dict[str, Path]:
    tokenizer_only = tmp_path / "tokenizer"
    shutil.copytree(tokenizer_dir, tokenizer_only)
    interrupted = tmp_path / "interrupted"
    for step in (5, 10):  # an output dir whose run stopped before the final save
        shutil.copytree(tiny_model_dir, interrupted / f"checkpoint-{step}")
    no_weights = tmp_path / "no-weights"
    shutil.copytree(tiny_model_dir, no_weights)
    (no_weights / "model.safetensors").unlink()
    return {"tokenizer": tokenizer_only, "interrupted": interrupted, "no_weights": no_weights}


def _messages(d: dict[str, Path]) -> dict[str, str]:
    return {
        "tokenizer": f"{d['tokenizer']}: holds a tokenizer (tokenizer.json, tokenizer_config.json) but no model: a "
                     "model dir also has config.json and weights (model.safetensors)",
        "interrupted": f"{d['interrupted']}: no model yet, only checkpoints of an unfinished run (latest: "
                       f"{d['interrupted'] / 'checkpoint-10'}): finish the run with --resume_from_checkpoint last, "
                       f"or give {d['interrupted'] / 'checkpoint-10'} itself",
        "no_weights": f"{d['no_weights']}: has config.json but no weights (model.safetensors or pytorch_model.bin)",
    }


@pytest.mark.parametrize("kind", ["tokenizer", "interrupted", "no_weights"])
@pytest.mark.parametrize("verb", [["generate", "The"], ["chat"], ["eval", "--tasks", "identity"]])
def test_cli_names_what_the_model_dir_lacks(dirs, capsys, kind, verb):
    from align.cli import main

    code, _, err = run_cli(main, [verb[0], "--model", str(dirs[kind]), *verb[1:]], capsys)
    assert code == 2 and err.startswith(f"error: {_messages(dirs)[kind]}") and err.count("\n") == 1, err


@pytest.mark.parametrize("kind", ["tokenizer", "interrupted"])
@pytest.mark.parametrize("stage", ["sft", "reward_model", "grpo", "dpo", "ppo", "pretrain"])
def test_recipe_model_name_or_path_names_what_the_dir_lacks(dirs, tmp_path, capsys, kind, stage):
    code, _, err = run_cli(load_recipe(stage).main, ["--model_name_or_path", str(dirs[kind]), "--output_dir",
                                                     str(tmp_path / "out"), "--report_to", "none"], capsys)
    assert code == 2 and err == f"error: model_name_or_path {_messages(dirs)[kind]}\n"
    assert not (tmp_path / "out").exists()


def test_model_dirs_checkpoints_and_adapters_pass(dirs, tiny_model_dir, tmp_path):
    from align.model_dir import check_model_dir

    check_model_dir(tiny_model_dir)
    check_model_dir(str(dirs["interrupted"] / "checkpoint-10"))
    finished = tmp_path / "finished"  # an output dir holds the final model beside its checkpoints
    shutil.copytree(dirs["interrupted"], finished)
    for name in ("config.json", "model.safetensors"):
        shutil.copy(Path(tiny_model_dir) / name, finished / name)
    check_model_dir(str(finished))
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    (adapter / "adapter_model.safetensors").write_bytes(b"")
    check_model_dir(str(adapter))
    check_model_dir("HuggingFaceTB/SmolLM2-135M")  # a Hub id: the loader's to resolve
