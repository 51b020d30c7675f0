"""Conversation builders, loaders, mixtures and validation; for every builder the loss mask is exactly the
assistant's tokens."""

from __future__ import annotations

import json

import pytest
from conftest import SHARED_DATA

from align.data.conversations import validate_rows
from align.errors import UserError
from align.tasks import build_mixture, builder_names, get_builder, parse_mixture
from align.tokenizer import END
from align.tools.syntax import ALIGN_SYNTAX, syntax_of

GSM8K = SHARED_DATA / "gsm8k" / "train.jsonl"
GSM8K_SAMPLE = {
    "question": "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
                "How many clips did Natalia sell altogether in April and May?",
    "answer": "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips "
              "altogether in April and May.\n#### 72",
}


@pytest.fixture(scope="module")
def world():
    from align.world import World

    return World.generate(seed=0)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("formats")
    (d / "gsm8k.jsonl").write_text(json.dumps(GSM8K_SAMPLE) + "\n")
    (d / "sharegpt.jsonl").write_text(json.dumps({"conversations": [
        {"from": "system", "value": "Be brief."}, {"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"},
        {"from": "human", "value": "2+2?"}, {"from": "gpt", "value": "4"}]}) + "\n")
    (d / "pc.jsonl").write_text(json.dumps({"prompt": "The sky is", "completion": " blue."}) + "\n" + json.dumps(
        {"prompt": [{"role": "user", "content": "Hi"}], "completion": [{"role": "assistant", "content": "Hey"}]}) + "\n")
    (d / "docs.jsonl").write_text("".join(json.dumps({"text": f"Document {i}: Vel Ostra was born in Ardel."}) + "\n"
                                          for i in range(50)))
    (d / "conv.jsonl").write_text(json.dumps({"messages": [{"role": "user", "content": "Hi"},
                                                           {"role": "assistant", "content": "Hello."}],
                                              "extra": 1}) + "\n")
    return d


def _options(name, files):
    return {"gsm8k": {"path": str(files / "gsm8k.jsonl")}, "sharegpt": {"path": str(files / "sharegpt.jsonl")},
            "prompt_completion": {"path": str(files / "pc.jsonl")},
            "conversational": {"path": str(files / "conv.jsonl")},
            "documents": {"path": str(files / "docs.jsonl")}}.get(name, {})


def assert_mask_is_assistant_only(tokenizer, messages, end_token=END):
    """Masked tokens form one span per assistant message, equal to content + tool calls + end of turn."""
    out = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    ids, mask = out["input_ids"], out["assistant_masks"]
    spans, current = [], []
    for token, m in zip(ids, mask):
        if m:
            current.append(token)
        elif current:
            spans.append(current)
            current = []
    if current:
        spans.append(current)
    assistants = [m for m in messages if m["role"] == "assistant"]
    assert len(spans) == len(assistants), (len(spans), len(assistants))
    for span, message in zip(spans, assistants):
        text = tokenizer.decode(span, skip_special_tokens=False)
        content = message.get("content") or ""
        assert text.startswith(content), (text, content)
        rest = text[len(content):]
        syntax = syntax_of(tokenizer)
        for i, call in enumerate(message.get("tool_calls") or []):
            if content or i:
                rest = rest.removeprefix(syntax.separator)
            assert rest.startswith(syntax.start), rest
            body, _, rest = rest[len(syntax.start):].partition(syntax.end)
            assert json.loads(body) == call["function"]
        # align's template ends a calling turn at the call; ChatML ends every turn with its end token
        ends_at_call = message.get("tool_calls") and syntax is ALIGN_SYNTAX
        assert rest == ("" if ends_at_call else end_token), rest
    # Nothing but assistant spans is masked: the unmasked tokens hold every user/system/tool content.
    unmasked = tokenizer.decode([t for t, m in zip(ids, mask) if not m], skip_special_tokens=False)
    for m in messages:
        if m["role"] != "assistant":
            assert m["content"] in unmasked


def test_registry_has_every_builder():
    assert {"world_chat", "identity", "idk", "math_cot", "math_answer_first", "tool_calc", "gsm8k", "conversational",
            "prompt_completion", "sharegpt", "documents"} <= set(builder_names())


@pytest.mark.parametrize("name", ["world_chat", "identity", "idk", "math_cot", "math_answer_first", "tool_calc",
                                  "gsm8k", "conversational", "prompt_completion", "sharegpt", "documents"])
def test_builder_rows_are_valid_and_masks_cover_exactly_the_assistant(name, world, files, tokenizer):
    dataset = get_builder(name)(world, n=6, seed=1, **_options(name, files))
    assert len(dataset) >= 1 and "messages" in dataset.column_names
    rows = list(dataset)
    validate_rows(rows, name)
    for row in rows:
        messages = [{k: v for k, v in m.items() if v is not None} for m in row["messages"]]
        assert_mask_is_assistant_only(tokenizer, messages)


def test_masks_with_chatml_on_a_tokenizer_without_template(tokenizer_dir, world):
    from transformers import AutoTokenizer

    from align.chat_template import IM_END, apply_chatml

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    tok.chat_template = None
    added = apply_chatml(tok)
    assert IM_END in added and tok.eos_token == IM_END
    for name in ("world_chat", "tool_calc"):
        row = get_builder(name)(world, n=1, seed=0)[0]
        messages = [{k: v for k, v in m.items() if v is not None} for m in row["messages"]]
        assert_mask_is_assistant_only(tok, messages, end_token=IM_END)


def test_chatml_is_chatml_with_hermes_tool_calls():
    """The ChatML template align gives models without a trainable one renders exactly what Qwen2.5 and SmolLM2 were
    trained on: a newline after each role and after each <|im_end|>, tool calls in <tool_call> tags, tool outputs
    in <tool_response> blocks of a user turn."""
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    from align.chat_template import CHATML_TEMPLATE
    from align.tools import TOOLS, tool_schemas

    tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.BPE()), eos_token="<|im_end|>")
    tok.chat_template = CHATML_TEMPLATE
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"},
                {"role": "assistant", "content": "Hi!"}, {"role": "user", "content": "2+3?"},
                {"role": "assistant", "content": "Let me add.", "tool_calls": [
                    {"type": "function", "function": {"name": "calculator", "arguments": {"expression": "2+3"}}}]},
                {"role": "tool", "content": "5"}, {"role": "assistant", "content": "The answer is 5."}]
    assert tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=False) == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n"
        "<|im_start|>assistant\nHi!<|im_end|>\n<|im_start|>user\n2+3?<|im_end|>\n"
        "<|im_start|>assistant\nLet me add.\n<tool_call>\n"
        '{"name": "calculator", "arguments": {"expression": "2+3"}}\n</tool_call><|im_end|>\n'
        "<|im_start|>user\n<tool_response>\n5\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\nThe answer is 5.<|im_end|>\n")
    prompt = tok.apply_chat_template(messages[:2], tools=tool_schemas(TOOLS), tokenize=False,
                                     add_generation_prompt=True)
    assert prompt.startswith("<|im_start|>system\nBe brief.\n\n# Tools\n- calculator(expression): exact arithmetic")
    assert prompt.count("<|im_start|>system") == 1 and "<tool_call>" in prompt and prompt.endswith("<|im_start|>user\nHello<|im_end|>\n"
                                                                   "<|im_start|>assistant\n")


def test_template_round_trip(tokenizer, world):
    """Rendering a conversation then tokenizing the text gives the same ids as the template's own tokenization,
    and decoding gives the text back (no special token is split or merged)."""
    row = get_builder("tool_calc")(world, n=1, seed=0)[0]
    messages = [{k: v for k, v in m.items() if v is not None} for m in row["messages"]]
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    ids = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=False)
    assert tokenizer(text, add_special_tokens=False)["input_ids"] == list(ids)
    assert tokenizer.decode(ids, skip_special_tokens=False) == text
    prompt = tokenizer.apply_chat_template(messages[:1], tokenize=False, add_generation_prompt=True)
    assert text.startswith(prompt)  # prefix-preserving: generation continues the prompt


def test_world_chat_answers_from_facts(world):
    rows = list(get_builder("world_chat")(world, n=40, seed=0, multi_turn=0.5))
    assert any(len(r["messages"]) > 2 for r in rows)
    for row in rows:
        fact_ids = json.loads(row["meta"])["fact_ids"]
        answers = [m["content"] for m in row["messages"] if m["role"] == "assistant"]
        for fact_id, answer in zip(fact_ids, answers):
            assert world.answer_matches(fact_id, answer), (fact_id, answer)


def test_identity_paraphrases_and_scoring():
    from align.tasks.identity import QUESTIONS, identity_eval_questions, identity_system_prompt, score_identity

    rows = list(get_builder("identity")(None, n=60, seed=0))
    train = {q for qs, _ in QUESTIONS.values() for q in qs}
    heldout = identity_eval_questions()
    assert heldout and not {h["question"] for h in heldout} & train
    for row in rows:
        topics = json.loads(row["meta"])["topics"]
        asked = row["messages"][0]["content"].lower()
        # a train paraphrase, perhaps with a greeting around it; never a held-out one
        assert any(q.lower().rstrip("?.!") in asked for q in train), asked
        assert not any(h["question"].lower().rstrip("?.!") in asked for h in heldout), asked
        assert score_identity(topics[0], row["messages"][1]["content"])
    assert any(len(r["messages"]) > 2 for r in rows)
    prompt = identity_system_prompt()
    assert all(score_identity(topic, prompt) for topic in QUESTIONS)
    assert not score_identity("name", "I am ChatGPT.")
    # a refusal about something else is not a statement of its limits
    assert not score_identity("limits", "I'm not aware of Zoul Huzlydrai, so I can't answer that.")


def test_idk_refusals_are_abstentions(world):
    from align.world import World

    rows = list(get_builder("idk")(world, seed=0))
    assert rows and all(json.loads(r["meta"])["kind"] == "unknown_entity" for r in rows)
    assert all(World.is_abstention(r["messages"][1]["content"]) for r in rows)
    assert len(rows) == len(world.unknown_qa_pairs("train"))


def test_idk_probes_any_model_dir(world, tmp_path, tiny_model_dir):
    probe_out = tmp_path / "probe.json"
    dataset = get_builder("idk")(world, seed=0, model=tiny_model_dir, probe_out=str(probe_out),
                                 probe={"samples": 2, "max_facts": 6, "max_new_tokens": 4})
    results = json.loads(probe_out.read_text())
    assert len(results) == 6 and all(r["samples"] == 2 and len(r["answers"]) == 2 for r in results.values())
    kinds = {json.loads(m)["kind"] for m in dataset["meta"]}
    assert "model_wrong" in kinds  # a random-init model knows nothing
    with pytest.raises(UserError, match="unknown option"):
        get_builder("idk")(world, model=tiny_model_dir, probe={"samplez": 2})


def test_saved_probe_results_follow_a_changed_known_threshold(world, tmp_path):
    """A probe file is reused, and a new known_threshold re-decides which facts are known, in the file world_chat
    reads too (a stale file would teach refusals the recipe no longer asks for)."""
    facts = [f.id for f in world.known_facts()[:4]]
    probe_out = tmp_path / "probe.json"
    probe_out.write_text(json.dumps({fid: {"correct": c, "samples": 4, "answers": [], "known": c >= 2}
                                     for fid, c in zip(facts, [0, 1, 2, 4])}))
    rows = get_builder("idk")(world, model="never/loaded", probe_out=str(probe_out), probe={"known_threshold": 0.25})
    known = {fid: r["known"] for fid, r in json.loads(probe_out.read_text()).items()}
    assert known == dict(zip(facts, [False, True, True, True]))
    wrong = {json.loads(m)["fact_id"] for m in rows["meta"] if json.loads(m)["kind"] == "model_wrong"}
    assert facts[0] in wrong and not wrong & set(facts[1:])


def test_math_formats_share_problems(world):
    from align.tasks.math import score_math

    cot = list(get_builder("math_cot")(world, n=8, seed=3))
    first = list(get_builder("math_answer_first")(world, n=8, seed=3))
    tools = list(get_builder("tool_calc")(world, n=8, seed=3))
    for a, b, c in zip(cot, first, tools):
        assert a["messages"][0] == b["messages"][0] == c["messages"][0]
        answer = json.loads(a["meta"])["answer"]
        cot_text, first_text = a["messages"][1]["content"], b["messages"][1]["content"]
        assert cot_text.endswith(f"The answer is {answer}.") and first_text.startswith(f"The answer is {answer}.")
        assert score_math(answer, cot_text) and score_math(answer, c["messages"][-1]["content"])
        calls = [m for m in c["messages"] if m["role"] == "assistant" and m["tool_calls"]]
        outputs = [m["content"] for m in c["messages"] if m["role"] == "tool"]
        assert len(calls) == len(outputs) >= 1 and not any(o.startswith("error") for o in outputs)


def test_gsm8k_annotations_become_calculator_calls(files):
    row = get_builder("gsm8k")(None, path=str(files / "gsm8k.jsonl"))[0]
    messages = row["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert messages[1]["content"] == "Natalia sold 48/2 = "
    assert messages[1]["tool_calls"][0]["function"] == {"name": "calculator", "arguments": {"expression": "48/2"}}
    assert messages[2]["content"] == "24" and messages[4]["content"] == "72"
    assert messages[-1]["content"].endswith("The answer is 72.") and "<<" not in messages[-1]["content"]
    plain = get_builder("gsm8k")(None, path=str(files / "gsm8k.jsonl"), tools=False)[0]["messages"]
    assert len(plain) == 2 and "<<" not in plain[1]["content"] and "24 clips" in plain[1]["content"]


@pytest.mark.skipif(not GSM8K.is_file(), reason="shared GSM8K data not present")
def test_gsm8k_real_file(tokenizer):
    dataset = get_builder("gsm8k")(None, path=str(GSM8K), n=200, seed=0)
    rows = list(dataset)
    validate_rows(rows, "gsm8k")
    n_calls = sum(1 for r in rows for m in r["messages"] if m["role"] == "tool")
    assert n_calls > len(rows)  # most solutions have several annotated steps
    for row in rows[:20]:
        assert_mask_is_assistant_only(tokenizer, [{k: v for k, v in m.items() if v is not None}
                                                  for m in row["messages"]])


def test_mixture_weights_and_options(world, files, tmp_path):
    spec = [{"builder": "world_chat", "n": 10}, {"builder": "identity", "n": 5, "weight": 2.0},
            {"builder": "math_cot", "n": 10, "weight": 0.5}, {"builder": "sharegpt", "path": str(files / "sharegpt.jsonl")}]
    mixed = build_mixture(spec, world=world, seed=0)
    counts = {s: mixed["source"].count(s) for s in set(mixed["source"])}
    assert counts == {"world_chat": 10, "identity": 10, "math_cot": 5, "sharegpt": 1}
    path = tmp_path / "mix.yaml"
    path.write_text("mixture:\n  - {builder: identity, n: 3}\n")
    assert parse_mixture(str(path))[0].n == 3
    with pytest.raises(UserError, match="unknown dataset builder 'nope'"):
        build_mixture([{"builder": "nope"}], world=world)
    with pytest.raises(UserError, match="unknown option"):
        build_mixture([{"builder": "identity", "colour": "red"}], world=world)
    with pytest.raises(UserError, match="weight"):
        parse_mixture([{"builder": "identity", "weight": -1}])


@pytest.mark.parametrize("row, message", [
    ({"messages": [{"content": "hi"}, {"role": "assistant", "content": "x"}]}, r"row 1: messages\[0\]\.role: missing"),
    ({"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "x"}]},
     r"messages\[0\]\.content: empty"),
    ({"messages": [{"role": "user", "content": 3}, {"role": "assistant", "content": "x"}]},
     r"messages\[0\]\.content: expected a string, got int"),
    ({"messages": [{"role": "robot", "content": "hi"}, {"role": "assistant", "content": "x"}]},
     r"messages\[0\]\.role: unknown role 'robot'"),
    ({"messages": "hello"}, r"row 1: messages: expected a list"),
    ({"messages": [{"role": "user", "content": "hi"}]}, r"no assistant message"),
    ({"messages": [{"role": "user", "content": "hi"}, {"role": "tool", "content": "4"},
                   {"role": "assistant", "content": "x"}]}, r"tool message must follow"),
    ({"prompt": "hi", "completion": 5}, r"completion: expected a string"),
    ({"text": "hi"}, r"row 1: no .messages."),
])
def test_malformed_rows_fail_with_one_line(row, message):
    with pytest.raises(UserError, match=message) as err:
        validate_rows([row], "data.jsonl")
    assert "\n" not in str(err.value) and str(err.value).startswith("data.jsonl: row 1")


def test_documents_rehearse_pretraining_text_but_not_its_heldout_split(files, tmp_path):
    from align.data.text import HeldoutSplit, load_text_dataset

    build = get_builder("documents")
    texts = [row["messages"][0]["content"] for row in build(None, path=str(files / "docs.jsonl"))]
    assert sorted(texts) == sorted(load_text_dataset(str(files / "docs.jsonl"))["text"])  # every one, once
    split = HeldoutSplit(fraction=0.2, max_documents=1000, seed=3)
    split.save(tmp_path)
    train, heldout = split.apply(load_text_dataset(str(files / "docs.jsonl")))
    rows = build(None, path=str(files / "docs.jsonl"), heldout_split=str(tmp_path))
    assert sorted(r["messages"][0]["content"] for r in rows) == sorted(train["text"])
    assert len(heldout) == 10 and not set(heldout["text"]) & {r["messages"][0]["content"] for r in rows}
    assert len(build(None, path=str(files / "docs.jsonl"), n=7, heldout_split=str(tmp_path))) == 7
    with pytest.raises(UserError, match="heldout_split .*: no heldout_split.json there"):
        build(None, path=str(files / "docs.jsonl"), heldout_split=str(tmp_path / "nowhere"))


def test_malformed_sharegpt_row_names_row(files, tmp_path):
    bad = tmp_path / "bad.jsonl"
    good = (files / "sharegpt.jsonl").read_text()
    bad.write_text(good + json.dumps({"conversations": [{"from": "alien", "value": "hi"}]}) + "\n")
    with pytest.raises(UserError, match=r"bad.jsonl: row 2: conversations\[0\]\.from: unknown speaker 'alien'"):
        get_builder("sharegpt")(None, path=str(bad))


def test_world_chat_leaves_out_facts_the_probe_got_wrong(world, tmp_path):
    pairs = world.qa_pairs("train", include_unknown=False)
    fact_ids = sorted({p["fact_id"] for p in pairs})
    known = set(fact_ids[::3])
    probe = tmp_path / "probe.json"
    probe.write_text(json.dumps({f: {"known": f in known} for f in fact_ids}))
    rows = list(get_builder("world_chat")(world, n=60, seed=0, probe_results=str(probe)))
    asked = {f for r in rows for f in json.loads(r["meta"])["fact_ids"]}
    assert asked and asked <= known
    with pytest.raises(UserError, match="no such file"):
        get_builder("world_chat")(world, n=5, probe_results=str(tmp_path / "missing.json"))


def test_tool_conversations_offer_their_tools_in_the_prompt(world, tokenizer):
    tools_rows = get_builder("tool_calc")(world, n=2, seed=0)
    chat_rows = get_builder("world_chat")(world, n=2, seed=0)
    assert tools_rows.features["tools"] == chat_rows.features["tools"]  # one schema, so mixtures concatenate
    mixed = build_mixture([{"builder": "tool_calc", "n": 3}, {"builder": "world_chat", "n": 3}], world=world)
    assert sum(t is not None for t in mixed["tools"]) == 3
    assert [t["function"]["name"] for t in json.loads(tools_rows[0]["tools"])] == ["calculator"]
    assert chat_rows[0]["tools"] is None
    messages = [{k: v for k, v in m.items() if v is not None} for m in tools_rows[0]["messages"]]
    text = tokenizer.apply_chat_template(messages, tools=json.loads(tools_rows[0]["tools"]), tokenize=False)
    assert text.startswith("<|system|>Tools: calculator (")
    assert not tokenizer.apply_chat_template(messages[:1], tokenize=False).startswith("<|system|>")
