"""SFT: the recipe trains (full, LoRA, QLoRA), masks non-assistant tokens, resumes, and rejects bad data
before the first step; the chat engine stops at end of turn and runs tool calls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_resumed_exactly, load_recipe, run_cli, run_recipe

from align.tokenizer import END, TOOL_CALL, TOOL_CALL_END, TOOL_OUTPUT, TOOL_OUTPUT_END

FAST = ["--bf16", "false", "--report_to", "none", "--per_device_train_batch_size", "4", "--max_length", "192",
        "--logging_steps", "1", "--disable_tqdm", "true", "--dataset_num_proc", "1", "--warmup_steps", "0"]


@pytest.fixture(scope="module")
def mixture_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("mix") / "mixture.yaml"
    path.write_text("- {builder: world_chat, n: 24}\n- {builder: identity, n: 8}\n- {builder: tool_calc, n: 8}\n")
    return str(path)


def _sft(argv):
    return run_recipe("sft", argv)


def _losses(output_dir) -> list[float]:
    state = json.loads((Path(output_dir) / "trainer_state.json").read_text())
    return [entry["loss"] for entry in state["log_history"] if "loss" in entry]


# chat engine (a scripted model: deterministic and instant) -----------------------------------------------------

class ScriptedModel:
    """Stands in for a causal LM: each ``generate`` call emits the next scripted text, token by token, and
    stops at the first stop id like ``generate`` does."""

    def __init__(self, tokenizer, replies: list[str]):
        import torch

        self.tokenizer, self.replies, self.prompts = tokenizer, list(replies), []
        self.device = torch.device("cpu")
        self.config = type("Config", (), {"max_position_embeddings": 4096})()

    def generate(self, input_ids, streamer, eos_token_id, max_new_tokens, **kwargs):
        import torch

        self.prompts.append(self.tokenizer.decode(input_ids[0], skip_special_tokens=False))
        ids = self.tokenizer(self.replies.pop(0), add_special_tokens=False)["input_ids"]
        streamer.put(input_ids[0])  # the prompt (skipped by the streamer)
        for token in ids[:max_new_tokens]:
            streamer.put(torch.tensor([token]))
            if token in eos_token_id:
                break
        streamer.end()


def test_chat_stops_at_end_of_turn_and_runs_tool_calls(tokenizer):
    from align.chat_engine import ChatSession
    from align.engine import SamplingConfig

    call = json.dumps({"name": "calculator", "arguments": {"expression": "123 * 456"}})
    model = ScriptedModel(tokenizer, [
        f"Let me compute.{TOOL_CALL}{call}{TOOL_CALL_END}",
        f"The answer is 56088.{END} never shown",
        f"Bye.{END}",
    ])
    session = ChatSession(model, tokenizer, SamplingConfig(temperature=0.0), system="Be brief.")
    events = list(session.send("What is 123 * 456?"))
    kinds = [e.kind for e in events]
    assert ("tool_call" in kinds) and events[kinds.index("tool_output")].text == "56088"
    assert events[-1].kind == "end" and events[-1].text == "eos"
    visible = "".join(e.text for e in events if e.kind == "text")
    assert visible == "Let me compute.The answer is 56088." and "never shown" not in visible
    # The tool's output was fed back before the model continued, inside the tool-output tokens.
    assert model.prompts[1].endswith(f"{TOOL_OUTPUT}56088{TOOL_OUTPUT_END}")
    assert [m["role"] for m in session.messages] == ["system", "user", "assistant", "tool", "assistant"]
    assert session.reply("Thanks") == "Bye."  # multi-turn: the history is rendered again
    assert "The answer is 56088." in model.prompts[2]


def test_chat_hostile_tool_call_is_refused(tokenizer):
    from align.chat_engine import ChatSession

    hostile = json.dumps({"name": "calculator", "arguments": {"expression": "__import__('os').system('ls')"}})
    loop = f"{TOOL_CALL}{json.dumps({'name': 'calculator', 'arguments': {'expression': '9**9**9'}})}{TOOL_CALL_END}"
    model = ScriptedModel(tokenizer, [f"{TOOL_CALL}{hostile}{TOOL_CALL_END}", f"Sorry.{END}"] + [loop] * 3)
    session = ChatSession(model, tokenizer, max_tool_calls=2)
    outputs = [e.text for e in session.send("hack") if e.kind == "tool_output"]
    assert outputs == ["error: unsupported syntax: Call"]
    events = list(session.send("again"))
    assert [e.text for e in events if e.kind == "tool_output"] == ["error: exponent larger than 1000"] * 3
    assert events[-1].text == "tool_limit"


# the SFT recipe -------------------------------------------------------------------------------------------------

def test_collated_batch_masks_everything_but_the_assistant(tokenizer, tiny_model_dir, mixture_file, tmp_path):
    from align.config import parse_recipe_args
    from align.sft import build_trainer, load_model, load_sft_dataset, make_parser, prepare_tokenizer

    script_args, training_args, model_args = parse_recipe_args(make_parser(), [
        "--model_name_or_path", tiny_model_dir, "--mixture", mixture_file, "--output_dir", str(tmp_path), *FAST])
    tok, added = prepare_tokenizer(script_args, model_args)
    assert added == []  # align's tokenizer already has a template with generation markers
    dataset = load_sft_dataset(script_args)
    trainer = build_trainer(load_model(model_args, tok), tok, training_args, dataset)
    batch = next(iter(trainer.get_train_dataloader()))
    for ids, labels in zip(batch["input_ids"].tolist(), batch["labels"].tolist()):
        trained = [t for t, label in zip(ids, labels) if label != -100]
        text = tok.decode(trained, skip_special_tokens=False)
        assert trained and text.endswith(END)
        for marker in ("<|user|>", "<|system|>", "<|assistant|>", TOOL_OUTPUT, "<|pad|>"):
            assert marker not in text


def test_sft_loss_goes_down_and_resumes(tiny_model_dir, mixture_file, tmp_path):
    out = tmp_path / "sft"
    args = ["--model_name_or_path", tiny_model_dir, "--mixture", mixture_file, "--output_dir", str(out),
            "--learning_rate", "1e-2", "--save_steps", "8", *FAST]
    _sft([*args, "--max_steps", "16"])
    losses = _losses(out)
    assert len(losses) == 16
    assert sum(losses[-4:]) / 4 < sum(losses[:4]) / 4 - 0.5, losses
    assert (out / "model.safetensors").is_file() and (out / "checkpoint-16").is_dir()
    from transformers import AutoTokenizer, GenerationConfig

    tok = AutoTokenizer.from_pretrained(out)
    assert tok.convert_tokens_to_ids(END) in GenerationConfig.from_pretrained(out).eos_token_id
    _sft([*args, "--max_steps", "18", "--resume_from_checkpoint", "last"])
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 18 and len(_losses(out)) == 18  # continued from step 16, not from scratch


def test_lora_trains_saves_loads_and_merges(tiny_model_dir, mixture_file, tmp_path):
    import torch
    from peft import AutoPeftModelForCausalLM
    from transformers import AutoModelForCausalLM

    out = tmp_path / "lora"
    _sft(["--model_name_or_path", tiny_model_dir, "--mixture", mixture_file, "--output_dir", str(out),
          "--use_peft", "true", "--lora_r", "4", "--lora_alpha", "8", "--lora_target_modules", "q_proj", "v_proj",
          "--learning_rate", "1e-2", "--max_steps", "4", "--merge_lora", "true", *FAST])
    assert (out / "adapter_config.json").is_file() and (out / "adapter_model.safetensors").is_file()
    assert not (out / "model.safetensors").exists()  # adapters only
    adapter = AutoPeftModelForCausalLM.from_pretrained(out)
    merged = AutoModelForCausalLM.from_pretrained(out / "merged")
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    x = torch.tensor([[1, 5, 9, 42, 7]])
    with torch.no_grad():
        a, m, b = adapter(x).logits, merged(x).logits, base(x).logits
    assert torch.allclose(a, m, atol=1e-4)
    assert not torch.allclose(a, b, atol=1e-4)  # the adapter changed the model


def test_qlora_trains_on_this_machine(tiny_model_dir, mixture_file, tmp_path):
    from peft import AutoPeftModelForCausalLM

    out = tmp_path / "qlora"
    _sft(["--model_name_or_path", tiny_model_dir, "--mixture", mixture_file, "--output_dir", str(out),
          "--use_peft", "true", "--load_in_4bit", "true", "--lora_r", "4", "--lora_target_modules", "q_proj",
          "v_proj", "--learning_rate", "1e-2", "--max_steps", "2", "--merge_lora", "true", *FAST])
    assert (out / "adapter_model.safetensors").is_file() and (out / "merged" / "model.safetensors").is_file()
    assert AutoPeftModelForCausalLM.from_pretrained(out) is not None


def test_malformed_row_fails_before_training(tiny_model_dir, tmp_path, capsys):
    recipe = load_recipe("sft")
    data = tmp_path / "chat.jsonl"
    rows = [{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]},
            {"messages": [{"content": "Hi"}, {"role": "assistant", "content": "Hello."}]}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, _, err = run_cli(recipe.main, ["--model_name_or_path", tiny_model_dir, "--dataset_name", str(data),
                                  "--output_dir", str(tmp_path / "out"), *FAST], capsys)
    assert code == 2
    assert err.strip() == f"error: {data}: row 2: messages[0].role: missing"
    assert not (tmp_path / "out").exists()


def test_prompt_completion_trains_on_completions_only(tiny_model_dir, tmp_path):
    from align.config import parse_recipe_args
    from align.sft import build_trainer, load_model, load_sft_dataset, make_parser, prepare_tokenizer

    data = tmp_path / "pc.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"Count {i}:", "completion": f" {i} {i + 1} {i + 2}"}) + "\n"
                            for i in range(8)))
    script_args, training_args, model_args = parse_recipe_args(make_parser(), [
        "--model_name_or_path", tiny_model_dir, "--dataset_name", str(data), "--output_dir", str(tmp_path), *FAST])
    tok, _ = prepare_tokenizer(script_args, model_args)
    trainer = build_trainer(load_model(model_args, tok), tok, training_args, load_sft_dataset(script_args))
    batch = next(iter(trainer.get_train_dataloader()))
    for ids, labels in zip(batch["input_ids"].tolist(), batch["labels"].tolist()):
        text = tok.decode([t for t, label in zip(ids, labels) if label != -100], skip_special_tokens=False)
        assert "Count" not in text and text.strip()[0].isdigit(), text


def test_chatml_for_a_model_without_chat_template(tiny_model_dir, tmp_path):
    import shutil

    from transformers import AutoTokenizer

    from align.chat_template import IM_END, IM_START
    from align.config import parse_recipe_args
    from align.sft import load_model, make_parser, peft_config_for, prepare_tokenizer

    bare = tmp_path / "bare"
    shutil.copytree(tiny_model_dir, bare)
    tok = AutoTokenizer.from_pretrained(bare)
    tok.chat_template = None
    tok.save_pretrained(bare)
    (bare / "chat_template.jinja").unlink(missing_ok=True)
    script_args, _, model_args = parse_recipe_args(make_parser(), [
        "--model_name_or_path", str(bare), "--output_dir", str(tmp_path / "o"), "--use_peft", "true", *FAST])
    tok, added = prepare_tokenizer(script_args, model_args)
    assert IM_START in added and IM_END in added and tok.eos_token == IM_END
    model = load_model(model_args, tok)
    assert model.get_input_embeddings().weight.shape[0] >= len(tok)
    im_end = tok.convert_tokens_to_ids(IM_END)
    assert model.config.eos_token_id == im_end and im_end in model.generation_config.eos_token_id
    assert peft_config_for(model_args, tok, added).trainable_token_indices == {
        "embed_tokens": tok.convert_tokens_to_ids(added)}


def test_assistant_scoring_hooks_run(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from align.tasks.identity import score_identity_questions
    from align.tasks.idk import score_facts
    from align.tasks.math import score_math_problems
    from align.world import World

    model, tok = AutoModelForCausalLM.from_pretrained(tiny_model_dir), AutoTokenizer.from_pretrained(tiny_model_dir)
    world = World.generate(seed=0)
    assert score_identity_questions(model, tok, max_new_tokens=4, limit=2)["identity_n"] == 2
    facts = score_facts(model, tok, world, n=2, max_new_tokens=4)
    assert facts["known_n"] == 2 and 0 <= facts["unknown_hallucination_rate"] <= 1
    assert score_math_problems(model, tok, world, n=2, tools=True, max_new_tokens=4)["math_n"] == 2


def test_packing_keeps_the_assistant_mask(tiny_model_dir, mixture_file, tmp_path):
    from align.config import parse_recipe_args
    from align.sft import build_trainer, load_model, load_sft_dataset, make_parser, prepare_tokenizer

    script_args, training_args, model_args = parse_recipe_args(make_parser(), [
        "--model_name_or_path", tiny_model_dir, "--mixture", mixture_file, "--output_dir", str(tmp_path),
        "--packing", "true", *FAST])
    tok, _ = prepare_tokenizer(script_args, model_args)
    trainer = build_trainer(load_model(model_args, tok), tok, training_args, load_sft_dataset(script_args))
    batch = next(iter(trainer.get_train_dataloader()))
    assert "position_ids" in batch and (batch["position_ids"][0] == 0).sum() > 1  # several conversations per row
    trained = [t for t, label in zip(batch["input_ids"].flatten().tolist(), batch["labels"].flatten().tolist())
               if label != -100]
    text = tok.decode(trained, skip_special_tokens=False)
    assert END in text and "<|user|>" not in text and "<|assistant|>" not in text


def test_batched_replies_match_the_chat_engine(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from align.chat_engine import ChatSession
    from align.engine import SamplingConfig
    from align.eval.batch_chat import ask_batch

    model, tok = AutoModelForCausalLM.from_pretrained(tiny_model_dir), AutoTokenizer.from_pretrained(tiny_model_dir)
    questions = ["Who are you?", "What is 2 + 2? Please answer.", "Tell me about the town of Frobmoor today."]
    batched = ask_batch(model, tok, questions, max_new_tokens=12)
    one_by_one = [ChatSession(model, tok, SamplingConfig(max_new_tokens=12, temperature=0.0), tools={}).reply(q)
                  for q in questions]
    assert batched == one_by_one


class ScriptedBatchModel:
    """A batch ``generate`` that appends each conversation's next scripted reply (chosen by its first question)."""

    def __init__(self, tokenizer, scripts: dict[str, list[str]]):
        import torch

        self.tokenizer, self.scripts = tokenizer, {k: list(v) for k, v in scripts.items()}
        self.device, self.training = torch.device("cpu"), False
        self.config = type("Config", (), {"max_position_embeddings": 4096})()

    def eval(self):
        return self

    def train(self, mode=True):
        return self

    def generate(self, input_ids, attention_mask, max_new_tokens, eos_token_id, pad_token_id, **kwargs):
        import torch

        rows = []
        for ids in input_ids:
            prompt = self.tokenizer.decode(ids, skip_special_tokens=False)
            key = next(k for k in self.scripts if k in prompt)
            rows.append(self.tokenizer(self.scripts[key].pop(0), add_special_tokens=False)["input_ids"])
        width = max(map(len, rows))
        new = torch.tensor([r + [pad_token_id] * (width - len(r)) for r in rows])
        return torch.cat([input_ids, new], dim=1)


def test_batched_replies_run_tool_calls_round_by_round(tokenizer):
    from align.eval.batch_chat import ask_batch
    from align.tools import TOOLS

    call = '{"name": "calculator", "arguments": {"expression": "123 * 456"}}'
    model = ScriptedBatchModel(tokenizer, {
        "multiply": [f"Let me compute.{TOOL_CALL}{call}{TOOL_CALL_END}", f"The answer is 56088.{END}"],
        "hello": [f"Hi there.{END}"],
    })
    replies = ask_batch(model, tokenizer, ["Please multiply 123 by 456.", "hello"], tools=TOOLS)
    assert replies == ["Let me compute.The answer is 56088.", "Hi there."]
    assert model.scripts == {"multiply": [], "hello": []}  # the tool round asked only the conversation that called


def test_resume_reproduces_the_uninterrupted_run_with_length_grouping(tiny_model_dir, mixture_file, tmp_path):
    """The shipped sft.yaml groups batches by length. An interrupted run resumed from a checkpoint in its second epoch
    (40 rows, 10 steps an epoch) logs the same losses as the run that never stopped: the resumed epoch's batches are
    those of the uninterrupted run, not a new draw."""
    import shutil

    args = ["--model_name_or_path", tiny_model_dir, "--mixture", mixture_file, "--learning_rate", "1e-2",
            "--train_sampling_strategy", "group_by_length", "--max_steps", "16", "--save_steps", "12", *FAST]
    _sft([*args, "--output_dir", str(tmp_path / "straight")])
    shutil.copytree(tmp_path / "straight" / "checkpoint-12", tmp_path / "resumed" / "checkpoint-12")
    _sft([*args, "--output_dir", str(tmp_path / "resumed"), "--resume_from_checkpoint", "last"])
    assert_resumed_exactly(tmp_path / "straight", tmp_path / "resumed", 12)


def test_skip_invalid_rows_leaves_bad_conversations_out_and_counts_them(tmp_path, caplog):
    from align.errors import UserError
    from align.sft import SFTScriptArguments, load_sft_dataset

    good = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]}
    rows = [good, {"messages": [{"role": "user", "content": "Hi"}]}, good, {"messages": []}, good]
    data = tmp_path / "chat.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(UserError, match=r"chat.jsonl: row 2: messages: no assistant message"):
        load_sft_dataset(SFTScriptArguments(dataset_name=str(data)))
    counts = {}
    with caplog.at_level("WARNING", logger="align"):
        dataset = load_sft_dataset(SFTScriptArguments(dataset_name=str(data), skip_invalid_rows=True), counts=counts)
    assert len(dataset) == 3 and counts == {"train_rows_skipped_invalid": 2}
    assert (f"{data}: skipped 2 of 5 rows (skip_invalid_rows): 1 × messages: no assistant message (nothing to "
            "learn) (row 2); 1 × messages: no messages (row 4)") in caplog.text


@pytest.fixture(scope="module")
def chatml_tokenizer():
    """SmolLM2-Instruct's tokenizer conventions with align's ChatML (Hermes tool calls as plain-text tags)."""
    from conftest import family_tokenizer

    from align.chat_template import CHATML_TEMPLATE

    tok = family_tokenizer("smollm2", instruct=True)
    tok.chat_template = CHATML_TEMPLATE
    return tok


def test_hermes_tool_calls_run_in_chat_batches_and_rewards(chatml_tokenizer):
    """A ChatML model writes calls as <tool_call> JSON at the end of a turn that ends with <|im_end|>: the chat
    engine, batched evaluation and the tool reward all find and run them."""
    from align.chat_engine import ChatSession
    from align.eval.batch_chat import ask_batch
    from align.rewards.tools import tool_call_correctness
    from align.tools import TOOLS

    tok, end = chatml_tokenizer, "<|im_end|>"
    call = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "123 * 456"}}\n</tool_call>'
    session = ChatSession(ScriptedModel(tok, [f"Let me compute.\n{call}{end}", f"The answer is 56088.{end}"]), tok)
    events = list(session.send("What is 123 * 456?"))
    assert [e.text for e in events if e.kind == "tool_output"] == ["56088"]
    assert "".join(e.text for e in events if e.kind == "text") == "Let me compute.\nThe answer is 56088."
    assert session.messages[1]["content"] == "Let me compute." and session.messages[2] == {"role": "tool",
                                                                                           "content": "56088"}
    # rendered again for the next round exactly as the model wrote it (the template adds the newline back)
    assert f"Let me compute.\n{call}{end}\n<|im_start|>user\n<tool_response>\n56088\n</tool_response>" in \
        session.model.prompts[1]

    model = ScriptedBatchModel(tok, {"multiply": [f"Let me compute.\n{call}{end}", f"The answer is 56088.{end}"],
                                     "hello": [f"Hi there.{end}"]})
    replies = ask_batch(model, tok, ["Please multiply 123 by 456.", "hello"], tools=TOOLS)
    assert replies == ["Let me compute.\nThe answer is 56088.", "Hi there."]
    assert model.scripts == {"multiply": [], "hello": []}

    broken = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "1 +"}}\n</tool_call>'
    rewards = tool_call_correctness(None, [f"{call}", f"{broken}", "<tool_call>\n{\"name\": ", "No call."])
    assert rewards == [1.0, 0.0, 0.0, None]
