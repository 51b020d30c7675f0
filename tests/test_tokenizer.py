"""The BPE tokenizer: round trips, special tokens, the chat template and its assistant mask."""

from __future__ import annotations

import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from align import tokenizer as tok_mod
from align.cli import main as align_main

ROUND_TRIP = [
    "Hello, world! Plain ASCII text.",
    "Emoji: 😀🙂👍🏽 and flags 🇫🇷",
    "中文和日本語のテキスト、한국어도.",
    "def f(x):\n\treturn {'a': x ** 2}  # code\n",
    "Long numbers: 12345678901234567890 and 3.14159265358979",
    "  leading and trailing spaces  \n\n",
    "",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_round_trip(tokenizer, text):
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids) == text


def test_digits_split_into_short_groups(tokenizer):
    pieces = tokenizer.tokenize("1234567")
    assert "".join(pieces) == "1234567"
    assert all(len(p) <= 2 for p in pieces)


def test_special_tokens_are_single_ids(tokenizer):
    for token in tok_mod.SPECIAL_TOKENS:
        ids = tokenizer(f"x{token}y", add_special_tokens=False)["input_ids"]
        assert tokenizer.convert_tokens_to_ids(token) in ids
        assert len(ids) == 3


def test_literal_special_strings_stay_text_when_split(tokenizer):
    special_ids = {tokenizer.convert_tokens_to_ids(t) for t in tok_mod.SPECIAL_TOKENS}
    text = "user wrote <|end|><|assistant|> inside their message"
    ids = tokenizer(text, add_special_tokens=False, split_special_tokens=True)["input_ids"]
    assert not special_ids & set(ids)
    assert tokenizer.decode(ids) == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_plain_text_never_produces_special_tokens(tokenizer, text):
    special_ids = {tokenizer.convert_tokens_to_ids(t) for t in tok_mod.SPECIAL_TOKENS}
    ids = tokenizer(text, add_special_tokens=False, split_special_tokens=True)["input_ids"]
    assert not special_ids & set(ids)
    assert tokenizer.decode(ids) == text


def test_saved_dir_loads_with_auto_tokenizer(tokenizer):
    assert tokenizer.eos_token == tok_mod.END
    assert tokenizer.bos_token == tok_mod.BOS
    assert tokenizer.pad_token == tok_mod.PAD
    assert tokenizer.chat_template == tok_mod.CHAT_TEMPLATE


CONVERSATION = [
    {"role": "system", "content": "You are Ada."},
    {"role": "user", "content": "What is 48/2?"},
    {
        "role": "assistant",
        "content": "Let me compute.",
        "tool_calls": [{"type": "function", "function": {"name": "calculator", "arguments": {"expression": "48/2"}}}],
    },
    {"role": "tool", "content": "24"},
    {"role": "assistant", "content": "It is 24."},
    {"role": "user", "content": "Thanks!"},
    {"role": "assistant", "content": "You're welcome."},
]


def test_chat_template_renders(tokenizer):
    text = tokenizer.apply_chat_template(CONVERSATION, tokenize=False)
    assert text == (
        "<|system|>You are Ada.<|end|><|user|>What is 48/2?<|end|>"
        '<|assistant|>Let me compute.<|tool_call|>{"name": "calculator", "arguments": {"expression": "48/2"}}'
        "<|/tool_call|><|tool_output|>24<|/tool_output|>It is 24.<|end|>"
        "<|user|>Thanks!<|end|><|assistant|>You're welcome.<|end|>"
    )
    prompt = tokenizer.apply_chat_template(CONVERSATION[:2], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<|user|>What is 48/2?<|end|><|assistant|>")


def test_assistant_mask_covers_exactly_the_assistant_tokens(tokenizer):
    out = tokenizer.apply_chat_template(
        CONVERSATION, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    ids, mask = out["input_ids"], out["assistant_masks"]
    assistant = [i for i, m in zip(ids, mask) if m]
    other = [i for i, m in zip(ids, mask) if not m]
    # Expected: every assistant message's text, tool call and closing END; nothing else.
    expected_assistant = tokenizer(
        'Let me compute.<|tool_call|>{"name": "calculator", "arguments": {"expression": "48/2"}}<|/tool_call|>'
        "It is 24.<|end|>You're welcome.<|end|>",
        add_special_tokens=False,
    )["input_ids"]
    expected_other = tokenizer(
        "<|system|>You are Ada.<|end|><|user|>What is 48/2?<|end|><|assistant|><|tool_output|>24<|/tool_output|>"
        "<|user|>Thanks!<|end|><|assistant|>",
        add_special_tokens=False,
    )["input_ids"]
    assert assistant == expected_assistant
    assert other == expected_other


def test_unknown_role_is_rejected(tokenizer):
    with pytest.raises(Exception, match="unknown role: narrator"):
        tokenizer.apply_chat_template([{"role": "narrator", "content": "x"}], tokenize=False)


def test_compression_is_reported(tokenizer_dir):
    import json
    from pathlib import Path

    report = json.loads((Path(tokenizer_dir) / "align_tokenizer.json").read_text())
    assert report["heldout_bytes_per_token"] > 1.5
    assert report["vocab_size"] == 512


def test_byte_lengths_match_decoded_text(tokenizer):
    text = "Café 😀 costs 12 euros."
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    lengths = tok_mod.token_byte_lengths(tokenizer)
    assert sum(lengths[i] for i in ids) == len(text.encode("utf-8"))
    assert lengths[tokenizer.eos_token_id] == 0


def test_show_prints_tokens_and_ids(tokenizer_dir, tokenizer, capsys):
    code, out, _ = run_cli(align_main, ["tokenizer", "show", "--tokenizer", tokenizer_dir, "--no_color", "a 😀"], capsys)
    assert code == 0
    ids = tokenizer("a 😀", add_special_tokens=False)["input_ids"]
    assert " ".join(map(str, ids)) in out
    assert "[a]" in out


def test_train_cli_rejects_missing_data(tmp_path, capsys):
    code, _, err = run_cli(
        align_main, ["tokenizer", "train", "--data", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "t")], capsys
    )
    assert code == 2
    assert err.count("\n") == 1 and "nope.jsonl" in err
