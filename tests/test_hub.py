"""Hub publishing, tested up to the network boundary (``HfApi``'s methods are replaced): the folder that would be
uploaded is complete, its card parses with the right metadata and the report card's eval rows, it loads with
vanilla transformers (the merged LoRA model too, the adapter with peft), checkpoints become revisions, and the
token never reaches stdout, stderr, the logs or the uploaded files — also when an upload fails quoting it."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import load_recipe, run_cli

TOKEN = "hf_TESTsecret0123456789abcdefghijklmnopq"
REQUIRED = {"config.json", "model.safetensors", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "chat_template.jinja", "README.md"}


class FakeHub:
    """Stands in for the Hub: records every call and keeps a copy of each uploaded folder, by revision."""

    def __init__(self, root: Path, fail_upload: str | None = None):
        self.root, self.fail_upload = root, fail_upload
        self.calls: list[tuple] = []
        self.uploads: dict[str, Path] = {}

    def install(self, monkeypatch) -> FakeHub:
        from huggingface_hub import HfApi

        hub = self

        def create_repo(self, repo_id, **kwargs):
            hub.calls.append(("create_repo", repo_id, kwargs))
            return SimpleNamespace(repo_id=repo_id if "/" in repo_id else f"me/{repo_id}")

        def create_branch(self, repo_id, *, branch, **kwargs):
            hub.calls.append(("create_branch", repo_id, branch))

        def upload_folder(self, *, repo_id, folder_path, revision=None, **kwargs):
            hub.calls.append(("upload_folder", repo_id, revision, kwargs))
            if hub.fail_upload:
                raise RuntimeError(hub.fail_upload)
            assert kwargs.get("delete_patterns") == "*"  # the revision becomes exactly the folder
            shutil.rmtree(hub.root / revision, ignore_errors=True)
            hub.uploads[revision] = Path(shutil.copytree(folder_path, hub.root / revision))
            return SimpleNamespace(commit_url=f"https://huggingface.co/{repo_id}/commit/0")

        monkeypatch.setattr(HfApi, "create_repo", create_repo)
        monkeypatch.setattr(HfApi, "create_branch", create_branch)
        monkeypatch.setattr(HfApi, "upload_folder", upload_folder)
        return self


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    return TOKEN


@pytest.fixture
def hub(tmp_path, monkeypatch, token):
    return FakeHub(tmp_path / "hub").install(monkeypatch)


def _no_network(monkeypatch):
    from huggingface_hub import HfApi

    def refuse(*args, **kwargs):
        raise AssertionError("the network boundary was crossed")

    for name in ("create_repo", "create_branch", "upload_folder"):
        monkeypatch.setattr(HfApi, name, refuse)


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def _assert_no_token(*texts: str, folders=()):
    for text in texts:
        assert TOKEN not in text
    for folder in folders:
        folder = Path(folder)
        for path in [folder] if folder.is_file() else folder.rglob("*"):
            if path.is_file():
                assert TOKEN.encode() not in path.read_bytes(), path


def _same_logits(a, b):
    import torch

    x = torch.tensor([[1, 5, 9, 42, 7]])
    with torch.no_grad():
        return torch.allclose(a(x).logits, b(x).logits, atol=1e-4)


def _eval_json(path: Path, model: Path, name: str, accuracy: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"name": name, "model": str(model), "kind": "chat",
                                "metrics": {"knowledge/overall": accuracy, "hallucination/rate": 0.25}}))


# the folder and its card -----------------------------------------------------------------------------------------

def test_dry_run_folder_is_complete_its_card_parses_and_it_loads(tiny_model_dir, tmp_path, monkeypatch, capsys,
                                                                 token):
    from huggingface_hub import ModelCard
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from align.cli import main

    _no_network(monkeypatch)
    model = Path(shutil.copytree(tiny_model_dir, tmp_path / "run" / "sft"))
    (model / "all_results.json").write_text(json.dumps({"train_loss": 1.25, "train_runtime": 3.0}))
    (model / "training_args.bin").write_bytes(b"pickle holding " + TOKEN.encode())  # what the Trainer leaves
    stale = tmp_path / "run" / "eval" / "OLD.json"
    _eval_json(stale, model, "OLD", 0.99)
    os.utime(stale, (time.time() - 3600 * 24 * 365,) * 2)  # scored an earlier model in the same dir
    _eval_json(tmp_path / "run" / "eval" / "SFT.json", model, "SFT", 0.42)
    _eval_json(tmp_path / "run" / "eval" / "BASE.json", tmp_path / "run" / "base", "BASE", 0.10)  # another model

    out = tmp_path / "upload"
    code, stdout, stderr = run_cli(main, ["push", "--model", str(model), "--repo_id", "me/tiny-sft", "--dry_run",
                                          str(out), "--base_model", "HuggingFaceTB/SmolLM2-135M", "--license",
                                          "apache-2.0"], capsys)
    assert code == 0, stderr
    assert REQUIRED <= _files(out) and "training_args.bin" not in _files(out)
    assert "would push" in stdout

    card = ModelCard.load(out / "README.md")
    assert card.data.base_model == "HuggingFaceTB/SmolLM2-135M"
    assert card.data.license == "apache-2.0"
    assert card.data.library_name == "transformers" and card.data.pipeline_tag == "text-generation"
    assert "align" in card.data.tags
    text = card.text
    assert "| task | SFT |" in text and "| closed-book facts, all | 42.0% |" in text  # the report card's row
    assert "OLD" not in text and "BASE" not in text
    for section in ("## Intended use", "## Limitations", "## Training data", "## Use"):
        assert section in text
    assert "| train_loss | 1.25 |" in text

    tokenizer = AutoTokenizer.from_pretrained(out)
    assert tokenizer.chat_template
    assert tokenizer.apply_chat_template([{"role": "user", "content": "Hi"}], add_generation_prompt=True)
    assert _same_logits(AutoModelForCausalLM.from_pretrained(out), AutoModelForCausalLM.from_pretrained(model))
    _assert_no_token(stdout, stderr, folders=[out])


def test_lora_folder_has_the_adapter_and_the_merged_model(tiny_model_dir, tmp_path, monkeypatch, capsys):
    from huggingface_hub import ModelCard
    from peft import AutoPeftModelForCausalLM, LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from align.cli import main
    from align.modeling import merge_lora_adapter

    _no_network(monkeypatch)
    adapter_dir = tmp_path / "run" / "sft-lora"
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False,
                      task_type="CAUSAL_LM")
    get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_dir), lora).save_pretrained(adapter_dir)
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(adapter_dir)
    merge_lora_adapter(str(adapter_dir), str(adapter_dir / "merged"))

    out = tmp_path / "upload"
    code, _, stderr = run_cli(main, ["push", "--model", str(adapter_dir), "--repo_id", "me/tiny-lora",
                                     "--dry_run", str(out)], capsys)
    assert code == 0, stderr
    files = _files(out)
    assert {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "chat_template.jinja",
            "README.md"} <= files
    assert {"merged/config.json", "merged/model.safetensors", "merged/tokenizer.json",
            "merged/chat_template.jinja"} <= files
    card = ModelCard.load(out / "README.md")
    assert card.data.library_name == "peft" and "lora" in card.data.tags
    assert card.data.base_model is None  # a local base: named in the body, not linked in the metadata
    assert 'subfolder="merged"' in card.text and "(local)" in card.text

    adapter = AutoPeftModelForCausalLM.from_pretrained(out)
    merged = AutoModelForCausalLM.from_pretrained(out / "merged")  # on the Hub: subfolder="merged"
    assert _same_logits(adapter, merged)
    assert not _same_logits(merged, AutoModelForCausalLM.from_pretrained(tiny_model_dir))


def test_reward_model_card_is_a_text_classifier(tiny_model_dir, tmp_path, monkeypatch, capsys):
    from huggingface_hub import ModelCard
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from align.cli import main

    _no_network(monkeypatch)
    model_dir = tmp_path / "run" / "rm"
    AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=1).save_pretrained(model_dir)
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(model_dir)
    (model_dir / "align_run.json").write_text(json.dumps({"stage": "reward", "base_model": "runs/x/sft"}))
    out = tmp_path / "upload"
    code, _, stderr = run_cli(main, ["push", "--model", str(model_dir), "--repo_id", "me/rm", "--dry_run", str(out)],
                              capsys)
    assert code == 0, stderr
    card = ModelCard.load(out / "README.md")
    assert card.data.pipeline_tag == "text-classification" and "reward-model" in card.data.tags
    assert "AutoModelForSequenceClassification" in card.text and "reward hacking" in card.text
    assert AutoModelForSequenceClassification.from_pretrained(out).config.num_labels == 1


# the token --------------------------------------------------------------------------------------------------------

def test_a_failing_upload_that_quotes_the_token_is_masked(tiny_model_dir, tmp_path, monkeypatch, capsys, caplog,
                                                          token):
    from align.cli import main
    from align.hub.push import HubError, HubRepo

    FakeHub(tmp_path / "hub", fail_upload=f"401 Client Error: token {TOKEN} is invalid").install(monkeypatch)
    caplog.set_level(logging.DEBUG)
    model = shutil.copytree(tiny_model_dir, tmp_path / "model")
    code, stdout, stderr = run_cli(main, ["push", "--model", str(model), "--repo_id", "me/x"], capsys)
    assert code == 2 and "error: upload to me/x@main" in stderr and "hf_***" in stderr
    _assert_no_token(stdout, stderr, caplog.text)
    assert not any(p.name.startswith(".hub-upload") for p in model.iterdir())  # the staging folder is gone

    with pytest.raises(HubError) as raised:
        HubRepo("me/x", token=TOKEN).upload(model)
    # no chained exception (whose message holds the token) is kept for a traceback to print
    assert TOKEN not in str(raised.value) and raised.value.__suppress_context__ and raised.value.__cause__ is None

    # a checkpoint push that fails in the background: a masked warning, and training goes on
    from align.config import parse_recipe_args
    from align.hub.hook import StageHub
    from align.sft import make_parser

    run = tmp_path / "run"
    shutil.copytree(tiny_model_dir, run / "checkpoint-3")
    script_args, training_args, model_args = parse_recipe_args(make_parser(), [
        "--model_name_or_path", tiny_model_dir, "--output_dir", str(run), "--push_to_hub", "true",
        "--hub_model_id", "me/x", "--report_to", "none"])
    stage_hub = StageHub("sft", script_args, training_args, model_args)
    assert training_args.push_to_hub is False  # taken over from the Trainer
    stage_hub.on_save(training_args, SimpleNamespace(global_step=3, is_world_process_zero=True), None)
    assert stage_hub.wait() == []
    assert "checkpoint push checkpoint-3 failed" in caplog.text and "hf_***" in caplog.text
    _assert_no_token(caplog.text, *capsys.readouterr())


def test_push_without_a_token_fails_before_training(tiny_model_dir, tmp_path, monkeypatch, capsys):
    import huggingface_hub

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    _no_network(monkeypatch)
    out = tmp_path / "sft"
    code, _, stderr = run_cli(load_recipe("sft").main, [
        "--model_name_or_path", tiny_model_dir, "--output_dir", str(out), "--mixture", "[{builder: identity, n: 4}]",
        "--push_to_hub", "true", "--report_to", "none"], capsys)
    assert code == 2 and "no Hugging Face token" in stderr
    assert not out.exists()


# the hook in real recipe runs -------------------------------------------------------------------------------------

FAST_SFT = ["--bf16", "false", "--per_device_train_batch_size", "4", "--max_length", "192", "--logging_steps", "1",
            "--disable_tqdm", "true", "--dataset_num_proc", "1", "--warmup_steps", "0"]


def test_sft_recipe_pushes_its_card_and_a_revision_per_checkpoint(tiny_model_dir, tmp_path, hub, capsys, caplog):
    from huggingface_hub import ModelCard
    from transformers import AutoModelForCausalLM

    from align.cli import main as cli_main

    caplog.set_level(logging.INFO)
    out = tmp_path / "run" / "sft"
    config = tmp_path / "sft.yaml"
    config.write_text(f"model_name_or_path: {tiny_model_dir}\noutput_dir: {out}\n"
                      "mixture:\n  - {builder: identity, n: 16}\n  - {builder: tool_calc, n: 8}\n"
                      "learning_rate: 1.0e-2\nsave_steps: 2\nreport_to: none\n"
                      "push_to_hub: true\nhub_model_id: tiny-sft\nhub_license: apache-2.0\n")
    code, stdout, stderr = run_cli(load_recipe("sft").main, [
        "--config", str(config), "--max_steps", "4", "--hub_token", TOKEN, *FAST_SFT], capsys)
    assert code == 0, stderr

    assert [c[1] for c in hub.calls if c[0] == "create_repo"] == ["tiny-sft"]  # once, before the first step
    assert [c[2] for c in hub.calls if c[0] == "create_branch"] == ["checkpoint-2", "checkpoint-4"]
    assert [c[2] for c in hub.calls if c[0] == "upload_folder"] == ["checkpoint-2", "checkpoint-4", "main"]
    assert all(c[1] == "me/tiny-sft" for c in hub.calls if c[0] != "create_repo")

    final, checkpoint = hub.uploads["main"], hub.uploads["checkpoint-2"]
    assert REQUIRED | {"recipe.yaml", "all_results.json"} <= _files(final)
    assert REQUIRED <= _files(checkpoint) and "optimizer.pt" not in _files(checkpoint)  # every_save: the model only
    card = ModelCard.load(final / "README.md")
    assert card.data.license == "apache-2.0" and {"align", "trl", "sft"} <= set(card.data.tags)
    assert "push_to_hub: true" in card.text and "max_steps: 4" in card.text  # the recipe as run, overrides applied
    assert "hub_token" not in (final / "recipe.yaml").read_text()
    assert "checkpoint at step 2" in ModelCard.load(checkpoint / "README.md").text
    for folder, source in ((final, out), (checkpoint, out / "checkpoint-2")):
        assert _same_logits(AutoModelForCausalLM.from_pretrained(folder), AutoModelForCausalLM.from_pretrained(source))

    # a checkpoint pushed later by hand goes to its own branch too, with the run's card
    code, _, stderr = run_cli(cli_main, ["push", "--model", str(out / "checkpoint-4"), "--repo_id", "me/tiny-sft"],
                              capsys)
    assert code == 0, stderr
    assert hub.calls[-1][:3] == ("upload_folder", "me/tiny-sft", "checkpoint-4")
    assert "checkpoint at step 4" in (hub.uploads["checkpoint-4"] / "README.md").read_text()

    # the output dir keeps the card and records where it went (a later stage links it as its base model)
    assert json.loads((out / "align_run.json").read_text())["hub"] == {"repo_id": "me/tiny-sft", "revision": "main"}
    assert ModelCard.load(out / "README.md").data.license == "apache-2.0"
    assert not any(p.name.startswith(".hub-upload") for p in out.iterdir())
    _assert_no_token(stdout, stderr, caplog.text, folders=[hub.root, out / "README.md", out / "recipe.yaml",
                                                       out / "align_run.json"])


def test_pretraining_recipe_pushes_the_final_model_only_with_hub_strategy_end(corpus_file, tokenizer_dir, tmp_path,
                                                                                hub, capsys, caplog):
    from huggingface_hub import ModelCard
    from transformers import AutoModelForCausalLM, AutoTokenizer

    caplog.set_level(logging.INFO)
    out = tmp_path / "base"
    code, stdout, stderr = run_cli(load_recipe("pretrain").main, [
        "--dataset_name", corpus_file, "--tokenizer_name_or_path", tokenizer_dir, "--output_dir", str(out),
        "--depth", "1", "--width", "32", "--heads", "2", "--context_length", "64", "--block_size", "32",
        "--per_device_train_batch_size", "4", "--max_steps", "4", "--save_steps", "2", "--eval_steps", "4",
        "--report_to", "none", "--disable_tqdm", "true", "--push_to_hub", "true", "--hub_model_id", "me/tiny-base",
        "--hub_strategy", "end", "--hub_private_repo", "true"], capsys)
    assert code == 0, stderr
    assert [c[0] for c in hub.calls] == ["create_repo", "upload_folder"]
    assert hub.calls[0][2]["private"] is True and hub.calls[1][2] == "main"
    final = hub.uploads["main"]
    assert REQUIRED <= _files(final)
    card = ModelCard.load(final / "README.md")
    assert "pretraining" in card.data.tags and card.data.base_model is None
    assert "trained from scratch" in card.text
    assert AutoModelForCausalLM.from_pretrained(final) is not None and AutoTokenizer.from_pretrained(final)
    from align.hub.run_info import base_model_of

    assert base_model_of(str(out))[0] == "me/tiny-base"  # what an SFT run from this dir puts in its card's base_model
    _assert_no_token(stdout, stderr, caplog.text, folders=[hub.root])
