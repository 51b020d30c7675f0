"""Every recipe of a real open model family (recipes/smollm2, recipes/qwen2.5) runs a few steps on CPU.

The Hub models are stood in for by tiny random-weight models of the same architectures (SmolLM2: Llama with tied
embeddings and grouped-query attention; Qwen2.5: Qwen2 with q/k/v biases) whose tokenizers carry the real special
tokens, EOS conventions and chat templates (tests/fixtures/*-chat-template.jinja). Each config runs as written —
LoRA, 4-bit, activation checkpointing, chat-template handling — with only the model, data size, batch, lengths,
precision and step count made small.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, RECIPES_DIR, run_recipe, save_stand_in

from align.chat_template import CHATML_TEMPLATE, IM_END

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ("smollm2", "qwen2.5")
CONFIGS = sorted(p for family in FAMILIES for p in (ROOT / "recipes" / family).glob("*.yaml"))

# Small runs: the model, data size, batch, lengths, step count; nothing a config is about.
COMMON = ["--report_to", "none", "--max_steps", "2", "--logging_steps", "1", "--disable_tqdm", "true",
          "--gradient_accumulation_steps", "1", "--save_strategy", "no"]
SMALL = {
    "pretrain": ["--block_size", "64", "--per_device_train_batch_size", "2", "--eval_fraction", "0.05",
                 "--per_device_eval_batch_size", "2", "--sample_max_new_tokens", "4"],
    "sft": ["--max_length", "160", "--per_device_train_batch_size", "2", "--dataset_num_proc", "1"],
    "reward_model": ["--max_length", "128", "--per_device_train_batch_size", "2", "--per_device_eval_batch_size", "4",
               "--dataset_num_proc", "1"],
    "grpo": ["--num_generations", "2", "--per_device_train_batch_size", "4", "--max_completion_length", "8",
             "--train_problems", "8", "--heldout_problems", "2", "--heldout_every", "1"],
}


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory) -> dict[str, str]:
    """Model dirs standing in for the Hub ids the configs name."""
    root = tmp_path_factory.mktemp("stand-ins")
    return {"HuggingFaceTB/SmolLM2-135M": save_stand_in("smollm2", root / "smollm2"),
            "Qwen/Qwen2.5-0.5B": save_stand_in("qwen2.5", root / "qwen2.5"),
            "Qwen/Qwen2.5-0.5B-Instruct": save_stand_in("qwen2.5", root / "qwen2.5-instruct", instruct=True)}


# data ----------------------------------------------------------------------------------------------------------

def small_mixture(config: Path, out: Path) -> str:
    """The config's mixture, same builders and options, three rows each."""
    mixture = yaml.safe_load(config.read_text())["mixture"]
    out.write_text(yaml.safe_dump([{**entry, "n": 3} for entry in mixture]))
    return str(out)


def preference_dir(out: Path, implicit_prompt: bool) -> str:
    """Pairs in an `align preferences` dir (explicit prompt) or as UltraFeedback rows (implicit prompt)."""
    out.mkdir(exist_ok=True)
    for split, n in (("train", 8), ("test", 4)):
        rows = []
        for i in range(n):
            prompt = [{"role": "user", "content": f"Tell me about town {i}."}]
            good = [{"role": "assistant", "content": f"Town {i} lies by the river."}]
            bad = [{"role": "assistant", "content": "I'm not sure."}]
            rows.append({"chosen": prompt + good, "rejected": prompt + bad, "score_chosen": 8.0,
                         "score_rejected": 2.0} if implicit_prompt else {"prompt": prompt, "chosen": good,
                                                                          "rejected": bad})
        (out / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(out)


def gsm8k_file(out: Path) -> str:
    rows = [{"question": f"Sam has {a} apples and buys {b} more. How many apples does Sam have?",
             "answer": f"Sam has {a} + {b} = <<{a}+{b}={a + b}>>{a + b} apples.\n#### {a + b}"}
            for a, b in ((3, 4), (10, 5), (7, 8), (2, 9), (6, 6), (12, 1), (4, 4), (9, 3), (5, 11), (8, 2))]
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(out)


# running a config ----------------------------------------------------------------------------------------------

def stage_of(config: Path) -> str:
    return config.stem.split("-")[0]


def precision(config: Path) -> list[str]:
    """fp32 on the CPU, except QLoRA: it trains in bf16 as on a GPU (CPU autocast), 4-bit weights computing in bf16."""
    return [] if config.stem.endswith("qlora") else ["--bf16", "false"]


def run_config(config: Path, argv: list[str]) -> dict:
    """Its stage's recipe on ``config`` plus ``argv``."""
    return run_recipe(stage_of(config), ["--config", str(config), *precision(config), *argv])


def losses(output_dir) -> list[float]:
    state = json.loads((Path(output_dir) / "trainer_state.json").read_text())
    return [row["loss"] for row in state["log_history"] if "loss" in row]


@pytest.fixture(scope="module")
def sft_runs(stand_ins, tmp_path_factory) -> dict[Path, Path]:
    """Each SFT config run once (their outputs start the reward and GRPO runs of the same family)."""
    return {}


def run_sft_config(config: Path, stand_ins, sft_runs, tmp_path_factory) -> Path:
    if config in sft_runs:
        return sft_runs[config]
    spec = yaml.safe_load(config.read_text())
    work = tmp_path_factory.mktemp(f"{config.parent.name}-{config.stem}")
    out = work / "out"
    run_config(config, ["--model_name_or_path", stand_ins[spec["model_name_or_path"]], "--output_dir", str(out),
                        "--mixture", small_mixture(config, work / "mixture.yaml"), *COMMON, *SMALL["sft"]])
    sft_runs[config] = out
    return out


def config_id(config: Path) -> str:
    return f"{config.parent.name}/{config.name}"


def test_every_family_config_is_run_here():
    assert {c.parent.name for c in CONFIGS} == set(FAMILIES)
    for family in FAMILIES:  # SFT, reward model and GRPO, each with a QLoRA variant
        names = {c.stem for c in CONFIGS if c.parent.name == family}
        assert {"sft", "sft-qlora", "reward_model", "reward_model-qlora", "grpo", "grpo-qlora"} <= names, family
    assert all((RECIPES_DIR / f"{stage_of(c)}.py").is_file() for c in CONFIGS)


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_config_suits_one_24gb_gpu(config):
    spec = yaml.safe_load(config.read_text())
    header = config.read_text().split("\nmodel_name_or_path:")[0]  # its launch line, and why it fits
    assert f"recipes/{stage_of(config)}.py --config recipes/{config_id(config)}" in header and "24 GB" in header
    assert spec["bf16"] is True and spec.get("report_to") == "trackio"
    if stage_of(config) != "pretrain":
        assert spec.get("activation_checkpointing") is True
    if config.stem.endswith("qlora"):
        assert spec["use_peft"] and spec["load_in_4bit"] and spec["bnb_4bit_quant_type"] == "nf4"
        assert spec["lora_target_modules"] and spec["lora_r"] and spec["lora_alpha"]


@pytest.mark.parametrize("config", [c for c in CONFIGS if stage_of(c) == "sft"], ids=config_id)
def test_sft_config_runs_with_the_familys_chat_template(config, stand_ins, sft_runs, tmp_path_factory):
    from transformers import AutoTokenizer, GenerationConfig

    spec = yaml.safe_load(config.read_text())
    out = run_sft_config(config, stand_ins, sft_runs, tmp_path_factory)
    assert len(losses(out)) == 2
    tok = AutoTokenizer.from_pretrained(out)
    im_end = tok.convert_tokens_to_ids(IM_END)
    # generation stops at the end of an assistant turn, not at the base model's end of document
    assert tok.eos_token == IM_END
    assert im_end in GenerationConfig.from_pretrained(out).eos_token_id
    if config.parent.name == "smollm2":  # SmolLM2's template cannot mark the assistant's tokens: ChatML
        assert tok.chat_template == CHATML_TEMPLATE
    else:  # Qwen2.5's own template is kept (TRL marks the assistant's tokens while training)
        assert tok.chat_template == (FIXTURES / "qwen2.5-chat-template.jinja").read_text()
    if spec.get("use_peft"):
        adapter = json.loads((out / "adapter_config.json").read_text())
        assert adapter["r"] == spec["lora_r"] and set(adapter["target_modules"]) == set(spec["lora_target_modules"])
        assert (out / "merged" / "model.safetensors").is_file() == bool(spec.get("merge_lora"))
        if config.parent.name == "smollm2":
            # ChatML's tokens are SmolLM2's own: nothing added, no embedding copy in the adapter
            from safetensors import safe_open

            with safe_open(out / "adapter_model.safetensors", "pt") as f:
                assert all("lora_" in name for name in f.keys()), list(f.keys())
        if spec.get("merge_lora"):  # plain generate on the merged dir stops at the end of a turn
            merged = json.loads((out / "merged" / "config.json").read_text())
            assert merged["eos_token_id"] == im_end
            assert im_end in GenerationConfig.from_pretrained(out / "merged").eos_token_id
    else:
        assert (out / "model.safetensors").is_file()


@pytest.mark.parametrize("family", FAMILIES)
def test_assistant_only_loss_covers_the_reply_and_its_end_of_turn(family, stand_ins, tmp_path):
    """The family's template, as SFT prepares it: the loss sees the assistant's reply and <|im_end|>, nothing else."""
    from datasets import Dataset

    from align.config import parse_recipe_args
    from align.sft import build_trainer, load_model, make_parser, prepare_tokenizer

    config = ROOT / "recipes" / family / "sft.yaml"
    model_id = yaml.safe_load(config.read_text())["model_name_or_path"]
    script_args, training_args, model_args = parse_recipe_args(make_parser(), [
        "--config", str(config), "--model_name_or_path", stand_ins[model_id], "--output_dir", str(tmp_path),
        "--eval_strategy", "no", *precision(config), *COMMON, *SMALL["sft"]])
    tok, added = prepare_tokenizer(script_args, model_args)
    rows = [{"messages": [{"role": "user", "content": "Where is the market?"},
                          {"role": "assistant", "content": "North of the bridge."},
                          {"role": "user", "content": "And the school?"},
                          {"role": "assistant", "content": "By the lake."}]}]
    model = load_model(model_args, tok)
    trainer = build_trainer(model, tok, training_args, Dataset.from_list(rows))
    batch = next(iter(trainer.get_train_dataloader()))
    ids, labels = batch["input_ids"][0].tolist(), batch["labels"][0].tolist()
    trained = tok.decode([t for t, label in zip(ids, labels) if label != -100], skip_special_tokens=False)
    assert trained.replace("\n", "") == f"North of the bridge.{IM_END}By the lake.{IM_END}", trained
    assert tok.convert_tokens_to_ids(IM_END) in model.generation_config.eos_token_id


@pytest.mark.parametrize("config", [c for c in CONFIGS if stage_of(c) == "reward_model"], ids=config_id)
def test_reward_config_runs(config, stand_ins, sft_runs, tmp_path_factory, tmp_path):
    spec = yaml.safe_load(config.read_text())
    model = stand_ins.get(spec["model_name_or_path"])
    if model is None:  # a model this family's SFT recipe makes
        sft = ROOT / "recipes" / config.parent.name / "sft.yaml"
        model = str(run_sft_config(sft, stand_ins, sft_runs, tmp_path_factory) / "merged")
    data = preference_dir(tmp_path / "pairs", implicit_prompt="ultrafeedback" in spec["dataset_name"])
    out = tmp_path / "out"
    metrics = run_config(config, ["--model_name_or_path", model, "--dataset_name", data, "--output_dir", str(out),
                                  *COMMON, *SMALL["reward_model"]])
    assert len(losses(out)) == 2 and 0 <= metrics["eval_accuracy"] <= 1 and metrics["eval_pairs"] == 4
    if spec.get("use_peft"):
        adapter = json.loads((out / "adapter_config.json").read_text())
        assert adapter["task_type"] == "SEQ_CLS" and adapter["r"] == spec["lora_r"]
        assert (out / "merged" / "model.safetensors").is_file()
    else:
        assert (out / "model.safetensors").is_file()


@pytest.mark.parametrize("config", [c for c in CONFIGS if stage_of(c) == "grpo"], ids=config_id)
def test_grpo_config_runs(config, stand_ins, sft_runs, tmp_path_factory, tmp_path):
    spec = yaml.safe_load(config.read_text())
    model = stand_ins.get(spec["model_name_or_path"])
    if model is None:
        sft = ROOT / "recipes" / config.parent.name / "sft.yaml"
        model = str(run_sft_config(sft, stand_ins, sft_runs, tmp_path_factory) / "merged")
    argv = ["--model_name_or_path", model, "--output_dir", str(tmp_path / "out"), *COMMON, *SMALL["grpo"]]
    if spec["problems"] != "world":  # a GSM8K-format file
        problems = gsm8k_file(tmp_path / "gsm8k.jsonl")
        argv += ["--problems", problems, "--heldout_path", problems]
    metrics = run_config(config, argv)
    history = json.loads((tmp_path / "out" / "trainer_state.json").read_text())["log_history"]
    assert any("rewards/math_accuracy/mean" in row for row in history)
    assert "heldout_accuracy_end" in metrics
    saved = "adapter_model.safetensors" if spec.get("use_peft") else "model.safetensors"
    assert (tmp_path / "out" / saved).is_file()


def test_pretrain_config_runs(stand_ins, corpus_file, tmp_path):
    config = ROOT / "recipes" / "smollm2" / "pretrain.yaml"
    out = tmp_path / "out"
    run_config(config, ["--model_name_or_path", stand_ins["HuggingFaceTB/SmolLM2-135M"], "--dataset_name",
                        corpus_file, "--output_dir", str(out), *COMMON, *SMALL["pretrain"]])
    assert len(losses(out)) == 2 and (out / "model.safetensors").is_file()


# the CPU speedrun's real-model recipes (recipes/smollm2-cpu), run in order on the Instruct stand-in -------------

CPU_RECIPES = ROOT / "recipes" / "smollm2-cpu"
CPU_SMALL = {**SMALL, "ppo": ["--rollout_batch_size", "4", "--per_device_train_batch_size", "2",
                              "--num_mini_batches", "2", "--response_length", "6", "--heldout_prompts", "2",
                              "--eval_every", "1"]}


def test_cpu_real_model_recipes_run_in_order(corpus_file, tmp_path):
    """recipes/smollm2-cpu as `BASE=smollm2 bash recipes/speedrun.sh` runs them (--run: every path in one run dir):
    continued pretraining with LoRA (saved merged), SFT with the model's own ChatML tokens (nothing added, merged
    dir stops at <|im_end|>), reward model, GRPO (merged), PPO with a LoRA policy."""
    from transformers import AutoTokenizer, GenerationConfig

    run = tmp_path / "run"
    save_stand_in("smollm2", run / "convert", instruct=True)
    configs = {path.stem: path for path in CPU_RECIPES.glob("*.yaml")}
    assert set(configs) == {"pretrain", "sft", "reward_model", "grpo", "ppo"}
    world = ["--world", "0", "--run", str(run)]

    run_config(configs["pretrain"], ["--run", str(run), "--dataset_name", corpus_file, *COMMON, *SMALL["pretrain"]])
    base_tok = AutoTokenizer.from_pretrained(run / "base")
    assert base_tok.bos_token == "<|endoftext|>"  # documents were separated by it, not by <|im_start|>
    assert not (run / "base" / "adapter_config.json").exists() and (run / "base" / "model.safetensors").is_file()

    # the recipe's builders and options, 3 rows each; a random-weight model knows no fact for probe_results to keep
    mixture = [{k: v for k, v in {**entry, "n": 3}.items() if k != "probe_results"}
               for entry in yaml.safe_load(configs["sft"].read_text())["mixture"]]
    (tmp_path / "mixture.yaml").write_text(yaml.safe_dump(mixture).replace("${run}", str(run)))
    run_config(configs["sft"], ["--mixture", str(tmp_path / "mixture.yaml"), *world, *COMMON, *SMALL["sft"]])
    sft = run / "sft"
    tok = AutoTokenizer.from_pretrained(sft / "merged")
    assert len(tok) == len(base_tok) and tok.eos_token == IM_END and tok.chat_template == CHATML_TEMPLATE
    assert tok.convert_tokens_to_ids(IM_END) in GenerationConfig.from_pretrained(sft / "merged").eos_token_id

    preference_dir(run / "preferences", implicit_prompt=False)
    metrics = run_config(configs["reward_model"], ["--run", str(run), *COMMON, *SMALL["reward_model"]])
    assert (run / "reward_model" / "merged" / "model.safetensors").is_file() and metrics["eval_pairs"] == 4

    metrics = run_config(configs["grpo"], [*world, *COMMON, *SMALL["grpo"]])
    assert "heldout_accuracy_end" in metrics and (run / "grpo" / "merged" / "model.safetensors").is_file()

    run_recipe("ppo", ["--config", str(configs["ppo"]), "--bf16", "false", *world, *COMMON, *CPU_SMALL["ppo"]])
    assert (run / "ppo" / "adapter_config.json").is_file()


def test_bf16_recipes_load_fp32_where_the_cpu_has_no_native_bf16(monkeypatch, caplog):
    """The CPU recipes ask for bf16 weights (native on AMX/AVX512-BF16 CPUs); on an AVX2-only CPU bf16 matmuls are
    emulated (~50x slower than fp32), so the stages load fp32 there and say so."""
    import align.hardware as hardware

    monkeypatch.setattr(hardware, "has_accelerator", lambda: False)
    monkeypatch.setattr(hardware, "bf16_supported", lambda: False)
    with caplog.at_level("WARNING", logger="align.hardware"):
        assert hardware.model_dtype("bfloat16") == "float32"
    assert "no native bf16" in caplog.text
    assert hardware.model_dtype("float16") == "float16"  # only bf16 is swapped
    assert hardware.model_dtype(None) == "float32" and hardware.model_dtype("auto") == "auto"
    monkeypatch.setattr(hardware, "bf16_supported", lambda: True)
    assert hardware.model_dtype("bfloat16") == "bfloat16"
