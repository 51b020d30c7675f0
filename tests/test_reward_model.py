"""Reward model recipe: trains on preference pairs, learns an easy preference, saves a sequence classifier with a
pad token, reports held-out pairwise accuracy; LoRA; bad pairs stop the run with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_resumed_exactly, load_recipe, run_cli, run_recipe

FAST = ["--bf16", "false", "--report_to", "none", "--per_device_train_batch_size", "8", "--max_length", "128",
        "--logging_steps", "1", "--disable_tqdm", "true", "--save_strategy", "no", "--eval_strategy", "no",
        "--warmup_steps", "0", "--dataset_num_proc", "1"]


@pytest.fixture(scope="module")
def pairs_dir(tmp_path_factory) -> str:
    """An `align preferences`-style dir: a true fact (chosen) against a non-answer (rejected)."""
    from align.tasks.facts import answer_sentence
    from align.world import World
    from align.world.preference import describe_prompts

    world = World.generate(seed=0)
    out = tmp_path_factory.mktemp("pairs")
    for split, source, n in (("train", "train", 40), ("test", "heldout", 16)):
        rows = []
        for item in describe_prompts(world, source, n):
            fact = world.facts_about(item["entity_id"])[0]
            rows.append({"prompt": item["prompt"],
                         "chosen": [{"role": "assistant", "content": answer_sentence(world, fact)}],
                         "rejected": [{"role": "assistant", "content": "I'm Wren, an AI assistant."}],
                         "entity_id": item["entity_id"], "chosen_gold": 1.0, "rejected_gold": -0.5})
        (out / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(out)


def _reward(argv):
    return run_recipe("reward_model", argv)


def test_reward_model_learns_a_preference_and_saves_a_classifier(tiny_model_dir, pairs_dir, tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from align.trainers.reward_model import RewardModelScorer

    out = tmp_path / "rm"
    metrics = _reward(["--model_name_or_path", tiny_model_dir, "--dataset_name", pairs_dir, "--output_dir", str(out),
                       "--learning_rate", "1e-3", "--max_steps", "12", *FAST])
    saved = json.loads((out / "all_results.json").read_text())
    assert saved["eval_accuracy"] == metrics["eval_accuracy"] and saved["eval_pairs"] == 16
    assert metrics["eval_accuracy"] >= 0.9, metrics  # held-out entities and phrasings
    model = AutoModelForSequenceClassification.from_pretrained(out)
    tok = AutoTokenizer.from_pretrained(out)
    assert model.config.num_labels == 1 and model.config.pad_token_id == tok.pad_token_id is not None
    prompt = [{"role": "user", "content": "Tell me about Vel Ostra."}]
    # scored as align eval's reward_model task scores held-out pairs
    good, bad = RewardModelScorer(str(out))([prompt, prompt], ["Vel Ostra lies in Mamark.", "I'm Wren, an AI assistant."])
    assert good > bad


def test_lora_reward_model_trains_the_score_head_and_merges(tiny_model_dir, pairs_dir, tmp_path):
    from transformers import AutoModelForSequenceClassification

    out = tmp_path / "rm-lora"
    _reward(["--model_name_or_path", tiny_model_dir, "--dataset_name", pairs_dir, "--output_dir", str(out),
             "--use_peft", "true", "--lora_r", "4", "--lora_target_modules", "q_proj", "v_proj", "--max_steps", "2",
             "--merge_lora", "true", *FAST])
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["task_type"] == "SEQ_CLS" and "score" in (config["modules_to_save"] or [])
    merged = AutoModelForSequenceClassification.from_pretrained(out / "merged")
    assert merged.config.num_labels == 1


def test_bad_pair_exits_with_one_line(tiny_model_dir, tmp_path, capsys):
    data = tmp_path / "pairs.jsonl"
    rows = [{"prompt": "Q?", "chosen": "Yes.", "rejected": "No."}, {"prompt": "Q?", "chosen": "Yes.", "rejected": "Yes."}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, _, err = run_cli(load_recipe("reward_model").main, ["--model_name_or_path", tiny_model_dir, "--dataset_name",
                                                         str(data), "--output_dir", str(tmp_path / "out"), *FAST], capsys)
    assert code == 2 and err.strip() == f"error: {data}: row 2: chosen and rejected are the same"
    assert not (tmp_path / "out").exists()


def test_missing_model_or_dataset_exits_with_one_line(tiny_model_dir, pairs_dir, tmp_path, capsys):
    main = load_recipe("reward_model").main
    code, _, err = run_cli(main, ["--model_name_or_path", str(tmp_path / "nope"), "--dataset_name", pairs_dir,
                                  "--output_dir", str(tmp_path / "o"), *FAST], capsys)
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    code, _, err = run_cli(main, ["--model_name_or_path", tiny_model_dir, "--dataset_name", str(Path(tmp_path, "none")),
                                  "--output_dir", str(tmp_path / "o"), *FAST], capsys)
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1, err


def test_resume_reproduces_the_uninterrupted_run(tiny_model_dir, pairs_dir, tmp_path):
    """Resumed from a checkpoint in its second epoch (40 pairs, 5 steps an epoch), a run logs the losses of the run
    that never stopped."""
    import shutil

    args = ["--model_name_or_path", tiny_model_dir, "--dataset_name", pairs_dir, "--learning_rate", "1e-3",
            "--max_steps", "8", *FAST, "--save_strategy", "steps", "--save_steps", "6"]
    _reward([*args, "--output_dir", str(tmp_path / "straight")])
    shutil.copytree(tmp_path / "straight" / "checkpoint-6", tmp_path / "resumed" / "checkpoint-6")
    _reward([*args, "--output_dir", str(tmp_path / "resumed"), "--resume_from_checkpoint", "last"])
    assert_resumed_exactly(tmp_path / "straight", tmp_path / "resumed", 6)


def _hh(*turns: str) -> str:
    return "".join(f"\n\n{'Human' if i % 2 == 0 else 'Assistant'}: {t}" for i, t in enumerate(turns))


@pytest.fixture(scope="module")
def dirty_hh_dir(tmp_path_factory) -> Path:
    """Anthropic-HH-style splits as real ones come: rows with an empty last answer, a garbled transcript, a pair that
    is no preference; held-out pairs too long for max_length 128."""
    out = tmp_path_factory.mktemp("hh")
    good = [{"chosen": _hh(f"Where is town {i}?", f"Town {i} lies by the river."),
             "rejected": _hh(f"Where is town {i}?", "I'm Wren, an AI assistant.")} for i in range(20)]
    train = good[:12]
    train[2] = {"chosen": _hh("Hi", ""), "rejected": _hh("Hi", "Go away.")}  # row 3: empty final turn
    train[6] = {"chosen": "Assistant said" + _hh("Hi", "Hello."), "rejected": _hh("Hi", "No.")}  # row 7: garbled
    train[9] = {"chosen": _hh("Hi", "Same."), "rejected": _hh("Hi", "Same.")}  # row 10: no preference
    long = " ".join(["The river runs past the old mill and the bridge."] * 30)
    test = good[12:] + [{"chosen": _hh("Tell me a story.", long), "rejected": _hh("Tell me a story.", "No.")}] * 2
    for name, rows in (("train", train), ("test", test)):
        (out / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return out


def test_dirty_pairs_stop_the_run_at_the_first_bad_row(tiny_model_dir, dirty_hh_dir, tmp_path, capsys):
    code, _, err = run_cli(load_recipe("reward_model").main, ["--model_name_or_path", tiny_model_dir, "--dataset_name",
                                                         str(dirty_hh_dir), "--output_dir", str(tmp_path / "out"),
                                                         *FAST], capsys)
    assert code == 2 and err == f"error: {dirty_hh_dir / 'train.jsonl'}: row 3: chosen[1].content: empty\n"


def test_skip_invalid_rows_counts_what_it_skips_and_what_max_length_drops(tiny_model_dir, dirty_hh_dir, tmp_path,
                                                                          caplog):
    out = tmp_path / "rm"
    with caplog.at_level("INFO", logger="align"):
        metrics = _reward(["--model_name_or_path", tiny_model_dir, "--dataset_name", str(dirty_hh_dir),
                           "--output_dir", str(out), "--skip_invalid_rows", "true", "--max_steps", "2", *FAST])
    assert (f"{dirty_hh_dir / 'train.jsonl'}: skipped 3 of 12 rows (skip_invalid_rows): "
            "1 × chosen[N].content: empty (row 3); 1 × chosen: text before the first 'Human:' turn (row 7); "
            "1 × chosen and rejected are the same (row 10)") in caplog.text
    assert "max_length 128: dropped 2 of 10 held-out pairs (too long to fit)" in caplog.text
    saved = json.loads((out / "all_results.json").read_text())
    for results in (metrics, saved):
        assert results["train_rows_skipped_invalid"] == 3 and results["test_rows_skipped_invalid"] == 0
        assert results["eval_pairs_dropped_max_length"] == 2 and results["train_pairs_dropped_max_length"] == 0
        assert results["eval_pairs"] == 8
