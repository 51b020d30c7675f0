"""DPO recipe: trains a few steps on preference pairs, saves the policy, reports the gold win-rate against the
reference; bad input stops the run with one line."""

from __future__ import annotations

import json

import pytest
from conftest import assert_resumed_exactly, load_recipe, run_cli, run_recipe

FAST = ["--bf16", "false", "--report_to", "none", "--per_device_train_batch_size", "4", "--max_length", "128",
        "--logging_steps", "1", "--disable_tqdm", "true", "--save_strategy", "no", "--eval_strategy", "no",
        "--warmup_steps", "0", "--dataset_num_proc", "1"]


@pytest.fixture(scope="module")
def pairs_file(tmp_path_factory) -> str:
    """Implicit-prompt conversational pairs (the format of trl-lib/ultrafeedback_binarized)."""
    from align.tasks.facts import answer_sentence
    from align.world import World
    from align.world.preference import describe_prompts

    world = World.generate(seed=0)
    rows = []
    for item in describe_prompts(world, "train", 16):
        fact = world.facts_about(item["entity_id"])[0]
        rows.append({"chosen": item["prompt"] + [{"role": "assistant", "content": answer_sentence(world, fact)}],
                     "rejected": item["prompt"] + [{"role": "assistant", "content": "I'm Wren."}]})
    path = tmp_path_factory.mktemp("dpo") / "pairs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_dpo_trains_saves_and_reports_the_gold_win_rate(tiny_model_dir, pairs_file, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM

    out = tmp_path / "dpo"
    metrics = run_recipe("dpo", [
        "--model_name_or_path", tiny_model_dir, "--dataset_name", pairs_file, "--output_dir", str(out),
        "--learning_rate", "1e-3", "--max_steps", "4", "--eval_fraction", "0.25", "--world", "0",
        "--win_rate_prompts", "3", "--win_rate_max_new_tokens", "6", *FAST])
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    assert [row["step"] for row in history if "loss" in row] == [1, 2, 3, 4]
    assert any("rewards/accuracies" in row for row in history)
    saved = json.loads((out / "all_results.json").read_text())
    assert 0 <= saved["win_rate"] <= 1 and "eval_loss" in saved and saved == pytest.approx(metrics)
    policy, ref = AutoModelForCausalLM.from_pretrained(out), AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    x = torch.tensor([[1, 5, 9, 42, 7]])
    with torch.no_grad():
        assert not torch.allclose(policy(x).logits, ref(x).logits, atol=1e-4)  # the policy moved


def test_dpo_bad_input_exits_with_one_line(tiny_model_dir, tmp_path, capsys):
    main = load_recipe("dpo").main
    data = tmp_path / "hh.jsonl"
    rows = [{"chosen": "\n\nHuman: Hi\n\nAssistant: Hello.", "rejected": "\n\nHuman: Hi\n\nAssistant: Go away."},
            {"chosen": "\n\nHuman: Hi\n\nAssistant: Hello.", "rejected": "\n\nHuman: Hey\n\nAssistant: Go away."}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, _, err = run_cli(main, ["--model_name_or_path", tiny_model_dir, "--dataset_name", str(data),
                                  "--output_dir", str(tmp_path / "out"), *FAST], capsys)
    assert code == 2 and err.strip() == f"error: {data}: row 2: rejected: its prompt differs from chosen's at turn 0"
    code, _, err = run_cli(main, ["--model_name_or_path", tiny_model_dir, "--dataset_name", str(data),
                                  "--output_dir", str(tmp_path / "out"), "--win_rate_prompts", "4", *FAST], capsys)
    assert code == 2 and err.strip() == "error: win_rate_prompts needs world (the tiny world whose labeler judges the answers)"
    assert not (tmp_path / "out").exists()


def test_resume_reproduces_the_uninterrupted_run(tiny_model_dir, pairs_file, tmp_path):
    """Resumed from a checkpoint in its second epoch (16 pairs, 4 steps an epoch), a run logs the losses and
    rewards of the run that never stopped."""
    import shutil

    args = ["--model_name_or_path", tiny_model_dir, "--dataset_name", pairs_file, "--learning_rate", "1e-3",
            "--max_steps", "6", *FAST, "--save_strategy", "steps", "--save_steps", "5"]
    run_recipe("dpo", [*args, "--output_dir", str(tmp_path / "straight")])
    shutil.copytree(tmp_path / "straight" / "checkpoint-5", tmp_path / "resumed" / "checkpoint-5")
    run_recipe("dpo", [*args, "--output_dir", str(tmp_path / "resumed"), "--resume_from_checkpoint", "last"])
    assert_resumed_exactly(tmp_path / "straight", tmp_path / "resumed", 5, keys=("loss", "rewards/margins"))
