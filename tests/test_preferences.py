"""Preference data: the gold labeler's rules, the describe SFT builder, K-sample ranking into pairs, loaders of
real formats, and one-line errors for bad rows; the gold win-rate."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli

from align.errors import UserError


@pytest.fixture(scope="module")
def world():
    from align.world import World

    return World.generate(seed=0)


def _entity(world, kind="person"):
    from align.world.preference import describe_entities

    return next(e for e in describe_entities(world) if world.entities[e].kind == kind)


def _true(world, entity_id) -> list[str]:
    from align.tasks.facts import answer_sentence

    return [answer_sentence(world, f) for f in world.facts_about(entity_id)]


def _false(world, entity_id) -> list[str]:
    """One wrong-valued sentence per fact: another entity's value of the same relation."""
    from align.tasks.facts import answer_sentence
    from align.world import templates

    out = []
    for fact in world.facts_about(entity_id):
        other = next(f for f in world.facts.values() if f.relation == fact.relation and f.answer != fact.answer)
        text = answer_sentence(world, other)
        out.append(text.replace(templates.ref(world.entities[other.subject]), templates.ref(world.entities[entity_id])))
    return out


# the gold labeler -------------------------------------------------------------------------------------------------

def test_gold_rewards_true_facts_and_punishes_false_claims(world):
    from align.world.preference import gold_score, judge

    e = _entity(world)
    true, false = _true(world, e), _false(world, e)
    scores = [gold_score(world, e, " ".join(true[:k])) for k in range(4)]
    assert scores == sorted(scores) and scores[1] == 1.0 and scores[3] == 3.0, scores
    assert gold_score(world, e, false[0]) == -1.5
    assert gold_score(world, e, f"{true[0]} {false[1]}") == pytest.approx(1.0 - 1.5)
    assert judge(world, e, false[0]).false_claims and not judge(world, e, false[0]).true_facts
    # a wrong canonical value is false even beside a right alias; right values beside wrong aliases are true
    animal = _entity(world, "animal")
    diet = next(f for f in world.facts_about(animal) if f.relation == "diet")
    name = world.entities[animal].name
    omnivore = f"The {name} is an omnivore that eats both plants and meat."
    assert gold_score(world, animal, omnivore) == (1.0 if diet.answer == "omnivore" else -1.5)


def test_gold_punishes_repetition_rambling_and_not_naming(world):
    from align.world.preference import gold_score, judge

    e = _entity(world)
    true = _true(world, e)
    once = gold_score(world, e, true[0])
    assert gold_score(world, e, f"{true[0]} {true[0]}") == once - 0.5  # the same sentence again
    again = true[0].replace("was born in", "was born and raised in")
    if again != true[0]:
        assert judge(world, e, f"{true[0]} {again}").repeated == 1  # the same claim, reworded
    filler = " ".join(["It is a nice place to visit."] * 1 + [f"Sentence number {i} says nothing at all." for i in range(5)])
    rambling = judge(world, e, f"{true[0]} {filler}")
    assert rambling.sentences == 7 and rambling.score == once - 0.5 * 3
    other = next(x for x in world.entities.values() if x.kind == "person" and x.id != e)
    stolen = true[0].replace(world.entities[e].name, other.name)  # this entity's fact, said of someone else
    assert judge(world, e, f"{true[0]} {stolen}").off_topic == 1
    assert gold_score(world, e, f"{true[0]} {stolen}") == once - 0.5
    assert gold_score(world, e, "I'm Wren, an AI assistant.") == -0.5  # not named, nothing said
    assert gold_score(world, e, "") == -0.5


def test_describe_builder_answers_with_true_facts_of_train_entities(world):
    from align.tasks import get_builder
    from align.world.preference import describe_entities, judge

    rows = get_builder("describe")(world, n=40, seed=1)
    assert len(rows) == 40
    heldout = set(describe_entities(world, "heldout"))
    for row in rows:
        meta = json.loads(row["meta"])
        assert meta["entity_id"] not in heldout and 1 <= len(meta["fact_ids"]) <= 3
        verdict = judge(world, meta["entity_id"], row["messages"][1]["content"])
        assert sorted(verdict.true_facts) == sorted(meta["fact_ids"]) and not verdict.false_claims
        assert verdict.score == len(meta["fact_ids"])


# building pairs ---------------------------------------------------------------------------------------------------

def test_ranked_pairs_keep_margins_and_skip_empty_or_duplicate_answers():
    from align.data.preferences import ranked_pairs

    golds, texts = [2.0, -1.5, 0.0, 2.0, 5.0], ["a", "b", "c", "a", ""]
    assert ranked_pairs(golds, texts, "best_worst", 0.5) == [(0, 1)]
    assert sorted(ranked_pairs(golds, texts, "all", 1.0)) == [(0, 1), (0, 2), (2, 1)]
    assert ranked_pairs([1.0, 1.2], ["x", "y"], "best_worst", 0.5) == []


def test_builder_writes_valid_pairs_ranked_by_gold(world, tiny_model_dir, tmp_path, monkeypatch):
    import align.data.preferences.sampling as sampling
    from align.data.preferences import PreferenceBuildConfig, build_preferences, load_preference_splits
    from align.world.preference import gold_score

    def scripted(model, tokenizer, conversations, n, **kwargs):
        # A policy whose K answers differ in truth: true facts, a false claim, repetition, a non-answer.
        out = []
        for conversation in conversations:
            eid = max((e for e in world.entities.values() if e.name in conversation[-1]["content"]),
                      key=lambda e: len(e.name)).id
            true, false = _true(world, eid), _false(world, eid)
            out.append([" ".join(true[:2]), false[0], f"{true[0]} {true[0]} {true[0]}", "I'm Wren."][:n])
        return out

    monkeypatch.setattr(sampling, "sample_chat", scripted)
    out = tmp_path / "prefs"
    config = PreferenceBuildConfig(model=tiny_model_dir, out=str(out), world="0", prompts=6, heldout_prompts=3,
                                   samples=4, pairs="all", min_margin=0.5)
    summary = build_preferences(config)
    assert summary["splits"]["train"]["prompts"] == 6 and summary["splits"]["test"]["prompts"] == 3
    rows = [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]
    assert rows and len(rows) == summary["splits"]["train"]["pairs"]
    for row in rows:
        assert set(row) >= {"prompt", "chosen", "rejected", "entity_id", "chosen_gold", "rejected_gold"}
        assert row["prompt"][0]["role"] == "user" and row["chosen"][0]["role"] == "assistant"
        assert row["chosen_gold"] >= row["rejected_gold"] + 0.5
        assert gold_score(world, row["entity_id"], row["chosen"][0]["content"]) == row["chosen_gold"]
    train, test = load_preference_splits(str(out))
    assert len(train) == len(rows) and test is not None and len(test) > 0
    assert len((out / "samples.jsonl").read_text().splitlines()) == (6 + 3) * 4
    with pytest.raises(UserError, match="--overwrite"):
        build_preferences(config)


def test_preferences_command(world, tiny_model_dir, tmp_path, monkeypatch, capsys):
    import align.data.preferences.sampling as sampling
    from align.cli import main

    def scripted(model, tokenizer, conversations, n, **kwargs):
        return [["I'm Wren.", conversation[-1]["content"].split(" about ")[-1].rstrip(".?") + " is nice."][:n]
                for conversation in conversations]

    monkeypatch.setattr(sampling, "sample_chat", scripted)
    out = tmp_path / "cli"
    code, stdout, err = run_cli(main, ["preferences", "--model", tiny_model_dir, "--out", str(out), "--prompts", "4",
                                       "--heldout_prompts", "0", "--samples", "2"], capsys)
    assert code == 0, err
    assert "train: " in stdout and (out / "train.jsonl").is_file() and not (out / "test.jsonl").exists()
    code, _, err = run_cli(main, ["preferences", "--model", tiny_model_dir, "--out", str(out), "--samples", "1"],
                           capsys)
    assert code == 2 and err.strip() == "error: samples must be at least 2 to rank answers, got 1"


def test_sampling_returns_k_answers_per_prompt(world, tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from align.data.preferences import sample_chat
    from align.world.preference import describe_prompts

    model, tok = AutoModelForCausalLM.from_pretrained(tiny_model_dir), AutoTokenizer.from_pretrained(tiny_model_dir)
    prompts = [p["prompt"] for p in describe_prompts(world, "train", 3)]
    out = sample_chat(model, tok, prompts, n=2, max_new_tokens=6, batch_size=4, seed=0)
    assert len(out) == 3 and all(len(k) == 2 and all(isinstance(t, str) for t in k) for k in out)
    assert tok.padding_side == "right"  # restored


def test_win_rate_of_a_model_against_itself_is_one_half(world, tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from align.tasks.describe import win_rate

    pair = (AutoModelForCausalLM.from_pretrained(tiny_model_dir), AutoTokenizer.from_pretrained(tiny_model_dir))
    result = win_rate(world, pair, pair, n=3, max_new_tokens=6)
    assert result["n"] == 3 and result["ties"] == 3 and result["win_rate"] == 0.5


# real formats -------------------------------------------------------------------------------------------------------

def _write(tmp_path, rows, name="prefs.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def _conv(*turns):
    return [{"role": role, "content": text} for role, text in zip(["user", "assistant"] * 4, turns)]


def test_loaders_read_every_format_into_explicit_prompts(tmp_path):
    from align.data.preferences import load_preferences

    standard = load_preferences(_write(tmp_path, [{"prompt": "Q: 2+2?", "chosen": " 4", "rejected": " 5"}]))
    assert standard[0] == {"prompt": "Q: 2+2?", "chosen": " 4", "rejected": " 5"}
    explicit = load_preferences(_write(tmp_path, [{"prompt": _conv("Hi"), "chosen": [_conv("", "Hello!")[1]],
                                                   "rejected": [_conv("", "Go away.")[1]], "score": 3}]))
    assert explicit[0]["prompt"] == _conv("Hi") and explicit[0]["chosen"][0]["content"] == "Hello!"
    implicit = load_preferences(_write(tmp_path, [{"chosen": _conv("Hi", "Hey", "Name?", "Wren."),
                                                   "rejected": _conv("Hi", "Hey", "Name?", "No.")}]))
    assert implicit[0]["prompt"] == _conv("Hi", "Hey", "Name?")
    assert implicit[0]["chosen"] == [{"role": "assistant", "content": "Wren."}]
    hh = load_preferences(_write(tmp_path, [{"chosen": "\n\nHuman: Hi\n\nAssistant: Hey\n\nHuman: Name?\n\nAssistant: Wren.",
                                             "rejected": "\n\nHuman: Hi\n\nAssistant: Hey\n\nHuman: Name?\n\nAssistant: No."}]))
    assert hh[0]["prompt"] == _conv("Hi", "Hey", "Name?") and hh[0]["rejected"][0]["content"] == "No."


@pytest.mark.parametrize("row, message", [
    ({"prompt": "Q?", "chosen": "A.", "rejected": "A."}, "row 2: chosen and rejected are the same"),
    ({"prompt": "Q?", "chosen": "A.", "rejected": "  "}, "row 2: rejected: empty"),
    ({"prompt": _conv("Q?"), "chosen": [{"role": "assistant", "content": ""}], "rejected": _conv("", "B")[1:]},
     "row 2: chosen[0].content: empty"),
    ({"prompt": "Q?", "chosen": "A."}, "row 2: rejected: missing"),
    ({"chosen": _conv("Q?", "A."), "rejected": _conv("Other?", "B.")},
     "row 2: rejected: its prompt differs from chosen's at message 0"),
    ({"chosen": "\n\nHuman: Q?\n\nAssistant: A.", "rejected": "\n\nHuman: Other?\n\nAssistant: B."},
     "row 2: rejected: its prompt differs from chosen's at turn 0"),
    ({"chosen": "A.", "rejected": "B."}, "row 2: prompt: missing"),
])
def test_bad_rows_are_one_line_naming_file_row_and_field(tmp_path, row, message):
    from align.data.preferences import load_preferences

    good = {"prompt": "Q?", "chosen": "A.", "rejected": "B."}
    if isinstance(row.get("chosen"), list) or "prompt" not in row:
        good = {"prompt": _conv("Q?"), "chosen": _conv("", "A.")[1:], "rejected": _conv("", "B.")[1:]}
        if "prompt" not in row and isinstance(row["chosen"], str):  # HH / plain strings: a valid HH row first
            good = {"chosen": "\n\nHuman: Q?\n\nAssistant: A.", "rejected": "\n\nHuman: Q?\n\nAssistant: B."}
    path = _write(tmp_path, [good, row])
    with pytest.raises(UserError) as err:
        load_preferences(path)
    assert str(err.value).startswith(f"{path}: {message}")
    assert "\n" not in str(err.value)


def test_skip_invalid_groups_reasons_with_the_first_row_numbers(tmp_path, caplog):
    from align.data.preferences import load_preferences

    good = {"prompt": "Q?", "chosen": "A.", "rejected": "B."}
    rows = [good] * 20
    for k in (2, 5, 6, 9, 12, 15, 18):  # rows 3, 6, 7, 10, 13, 16, 19: an empty rejected answer
        rows[k] = {"prompt": "Q?", "chosen": "A.", "rejected": " "}
    rows[10] = {"prompt": "Q?", "chosen": "A.", "rejected": "A."}  # row 11
    path = _write(tmp_path, rows)
    with pytest.raises(UserError, match=r"prefs.jsonl: row 3: rejected: empty$"):
        load_preferences(path)
    with caplog.at_level("WARNING", logger="align"):
        assert len(load_preferences(path, skip_invalid=True)) == 12
    assert (f"{path}: skipped 8 of 20 rows (skip_invalid_rows): 7 × rejected: empty (rows 3, 6, 7, 10, 13, …); "
            "1 × chosen and rejected are the same (row 11)") in caplog.text
    with pytest.raises(UserError, match=r"prefs.jsonl: no valid row: 2 × rejected: empty \(rows 1, 2\)$"):
        load_preferences(_write(tmp_path, [rows[2], rows[2]]), skip_invalid=True)


def test_tie_and_skip_labels_are_left_out_and_counted(tmp_path, caplog):
    from align.data.preferences.formats import read_preference_splits

    pair = {"prompt": _conv("Q?"), "chosen": _conv("", "A.")[1:], "rejected": _conv("", "B.")[1:]}
    tie = {"prompt": _conv("Q?"), "answers": ["A.", "B."], "label": "tie"}
    skip = {"prompt": _conv("Q?"), "answers": ["A.", "C."], "label": "skip"}
    path = _write(tmp_path, [pair, tie, skip, {**pair, "rejected": []}])
    with pytest.raises(UserError, match=r"row 4: rejected: empty"):  # row numbers still count every line
        read_preference_splits(path)
    path = _write(tmp_path, [pair, tie, skip, pair])
    with caplog.at_level("INFO", logger="align"):
        splits = read_preference_splits(path)
    assert len(splits.train) == 2 and dict(splits.skipped["train"].left_out) == {"tie": 1, "skip": 1}
    assert "left out 1 row labelled 'tie', 1 row labelled 'skip'" in caplog.text
    with pytest.raises(UserError, match=r"no data row, only rows labelled 'tie'"):
        read_preference_splits(_write(tmp_path, [tie]))


def test_dpo_takes_skip_invalid_rows_too(tiny_model_dir, tmp_path):
    from align.config import parse_recipe_args
    from align.dpo import make_parser
    from align.preference_training import load_training_pairs

    good = {"prompt": "Q?", "chosen": "A.", "rejected": "B."}
    path = _write(tmp_path, [good, {"prompt": "Q?", "chosen": "", "rejected": "B."}, good])
    script_args, training_args, _ = parse_recipe_args(make_parser(), [
        "--model_name_or_path", tiny_model_dir, "--dataset_name", path, "--output_dir", str(tmp_path / "out"),
        "--skip_invalid_rows", "true", "--report_to", "none"])
    counts = {}
    train, heldout = load_training_pairs(script_args, training_args, counts)
    assert len(train) == 2 and heldout is None and counts == {"train_rows_skipped_invalid": 1}
