"""The pretraining recipe: loss goes down, exact resume, bits-per-byte, bad inputs fail fast."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_resumed_exactly, run_cli

ROOT = Path(__file__).resolve().parents[1]


def _load_recipe():
    spec = importlib.util.spec_from_file_location("pretrain_recipe", ROOT / "recipes" / "pretrain.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


pretrain_main = _load_recipe()


def tiny_args(corpus, tokenizer_dir, out, *extra):
    return [
        "--dataset_name", corpus, "--tokenizer_name_or_path", tokenizer_dir, "--output_dir", str(out),
        "--depth", "2", "--width", "64", "--heads", "2", "--context_length", "128", "--block_size", "64",
        "--per_device_train_batch_size", "8", "--learning_rate", "3e-3", "--warmup_steps", "2",
        "--logging_steps", "1", "--eval_steps", "10", "--save_steps", "10", "--report_to", "none",
        "--disable_tqdm", "true", "--eval_fraction", "0.05", "--seed", "0",
        *extra,
    ]


def train_losses(out_dir) -> dict[int, float]:
    state = json.loads((Path(out_dir) / "trainer_state.json").read_text())
    return {row["step"]: row["loss"] for row in state["log_history"] if "loss" in row}


def test_loss_goes_down_and_model_saves(corpus_file, tokenizer_dir, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run_cli(pretrain_main, tiny_args(corpus_file, tokenizer_dir, out, "--max_steps", "40",
                                                     "--sample_prompts", "The town"), capsys)
    assert code == 0, err
    losses = train_losses(out)
    first, last = [losses[s] for s in (1, 2, 3)], [losses[s] for s in (38, 39, 40)]
    assert sum(last) / 3 < 0.7 * sum(first) / 3
    results = json.loads((out / "all_results.json").read_text())
    assert 0 < results["eval_bpb"] < 8
    # bits-per-byte is the eval loss rescaled by the held-out set's bytes per token
    assert math.isfinite(results["eval_loss"])
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert {s["step"] for s in samples} >= {10, 20, 30, 40}

    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(out)
    tok = AutoTokenizer.from_pretrained(out)
    assert (out / "model.safetensors").exists()
    assert tok.chat_template and tok.eos_token == "<|end|>"
    assert tok.eos_token_id in model.generation_config.eos_token_id

    # the base records how it held documents out, so evaluation scores it on the same held-out documents
    from align.data.text import HeldoutSplit, load_text_dataset
    from align.tasks import EvalContext

    split = HeldoutSplit.read(out)
    assert split == HeldoutSplit(fraction=0.05, max_documents=1000, seed=0)
    ctx = EvalContext(model, tok, world=None, data=corpus_file, seed=7, heldout_split=split)
    heldout, training = ctx.heldout_documents(limit=10**6), ctx.training_documents(None)
    docs = list(load_text_dataset(corpus_file, "text")["text"])
    assert len(heldout) == round(0.05 * len(docs)) and not set(heldout) & set(training)
    assert sorted(heldout + training) == sorted(docs)


def test_continued_pretraining_with_lora_saves_a_merged_model(corpus_file, tokenizer_dir, tmp_path, capsys):
    """LoRA continued pretraining of an existing model: the saved base is a plain model dir (adapters merged) that
    differs from the start only through the adapters, and it computes what the trained peft model computed."""
    import torch
    from conftest import make_tiny_model_dir
    from transformers import AutoModelForCausalLM

    start = make_tiny_model_dir(tokenizer_dir, tmp_path / "start")
    out = tmp_path / "run"
    args = tiny_args(corpus_file, tokenizer_dir, out, "--max_steps", "20", "--model_name_or_path", start,
                     "--use_peft", "true", "--lora_r", "8", "--lora_alpha", "16", "--lora_target_modules",
                     "all-linear", "--bf16", "false")
    code, _, err = run_cli(pretrain_main, args, capsys)
    assert code == 0, err
    losses = train_losses(out)
    assert losses[20] < losses[1]
    assert (out / "model.safetensors").is_file() and not (out / "adapter_config.json").exists()
    before, after = (AutoModelForCausalLM.from_pretrained(p).state_dict() for p in (start, out))
    assert before.keys() == after.keys()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert changed and all(k.endswith("proj.weight") for k in changed), changed  # only LoRA's targets moved
    assert json.loads((out / "all_results.json").read_text())["eval_loss"] < losses[1]


def test_resume_continues_identical_loss_sequence(corpus_file, tokenizer_dir, tmp_path, capsys):
    import shutil

    full, resumed = tmp_path / "full", tmp_path / "resumed"
    args = ["--max_steps", "20", "--eval_strategy", "no"]
    assert run_cli(pretrain_main, tiny_args(corpus_file, tokenizer_dir, full, *args), capsys)[0] == 0
    # An interrupted run: the same config stopped after its step-10 checkpoint...
    shutil.copytree(full / "checkpoint-10", resumed / "checkpoint-10")
    # ...resumed from it.
    code, _, err = run_cli(pretrain_main, tiny_args(corpus_file, tokenizer_dir, resumed, *args,
                                                    "--resume_from_checkpoint", "last"), capsys)
    assert code == 0, err
    assert_resumed_exactly(full, resumed, 10)


def test_bits_per_byte_matches_manual_computation(tokenizer):
    import numpy as np
    import torch
    from transformers import EvalPrediction

    from align.eval.bits_per_byte import BitsPerByte
    from align.tokenizer import token_byte_lengths

    text = "The river market sells red bread."
    ids = [tokenizer.bos_token_id] + tokenizer(text, add_special_tokens=False)["input_ids"]
    labels = torch.tensor([ids])
    torch.manual_seed(0)
    logits = torch.randn(1, len(ids), len(tokenizer))
    bpb = BitsPerByte(token_byte_lengths(tokenizer))
    sums = bpb.preprocess_logits(logits, labels)
    got = bpb.compute(EvalPrediction(predictions=sums.numpy(), label_ids=None))["bpb"]
    logp = torch.log_softmax(logits[0, :-1], dim=-1)
    nats = -sum(logp[i, ids[i + 1]].item() for i in range(len(ids) - 1))
    assert got == pytest.approx(nats / (math.log(2) * len(text.encode())), rel=1e-5)
    assert not np.isnan(got)


def test_packing_drops_no_document(tokenizer):
    from datasets import Dataset

    from align.data.packing import pack_documents

    docs = [f"doc {i} " + "word " * (i * 7) for i in range(25)]
    packed = pack_documents(Dataset.from_dict({"text": docs}), tokenizer, block_size=16, batch_size=10)
    tokens = [t for block, labels in zip(packed["input_ids"], packed["labels"]) for t, lab in zip(block, labels)
              if lab != -100]
    expected = []
    for doc in docs:
        expected += [tokenizer.bos_token_id] + tokenizer(doc, add_special_tokens=False)["input_ids"]
    assert tokens == expected
    assert all(len(block) == 16 for block in packed["input_ids"])


@pytest.mark.parametrize(
    "case, expected",
    [
        ("missing_column", "no 'text' column"),
        ("empty", "empty"),
        ("nonexistent", "no such file"),
        ("unknown_key", "unknown config key"),
        ("block_too_big", "larger than the model's context length"),
        ("missing_config", "no such file"),
    ],
)
def test_bad_inputs_fail_fast_with_one_line(case, expected, corpus_file, tokenizer_dir, tmp_path, capsys):
    data = corpus_file
    extra: list[str] = ["--max_steps", "1"]
    if case == "missing_column":
        data = str(tmp_path / "bad.jsonl")
        Path(data).write_text('{"content": "hello"}\n')
    elif case == "empty":
        data = str(tmp_path / "empty.txt")
        Path(data).write_text("")
    elif case == "nonexistent":
        data = str(tmp_path / "missing" / "data.parquet")
    elif case == "unknown_key":
        config = tmp_path / "c.yaml"
        config.write_text("learning_rat: 0.1\n")
        extra += ["--config", str(config)]
    elif case == "block_too_big":
        extra += ["--block_size", "4096"]
    elif case == "missing_config":
        extra += ["--config", str(tmp_path / "nope.yaml")]
    out = tmp_path / "out"
    code, _, err = run_cli(pretrain_main, tiny_args(data, tokenizer_dir, out, *extra), capsys)
    assert code == 2
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and expected in lines[0], err
    assert "Traceback" not in err
    assert not (out / "model.safetensors").exists()


def test_unknown_key_exits_nonzero_as_a_script(tmp_path):
    """The real entry point: one line on stderr, exit status 2, no traceback."""
    config = tmp_path / "c.yaml"
    config.write_text("dataset_name: x.jsonl\nnot_a_key: 1\n")
    proc = subprocess.run([sys.executable, str(ROOT / "recipes/pretrain.py"), "--config", str(config)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "error: unknown config key(s): ['--not_a_key', '1']" in proc.stderr
