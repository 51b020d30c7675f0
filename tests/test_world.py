"""The seeded world: determinism, facts, questions, grading, math problems, stories, CLI."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from align.world import World, load_world  # noqa: E402
from align.world.mathgen import calc  # noqa: E402
from align.world.schema import KIND_RELATIONS, RELATIONS  # noqa: E402
from align.world.templates import FIRST_PERSON, QUESTIONS, SENTENCES, sentence  # noqa: E402


@pytest.fixture(scope="module")
def world() -> World:
    return World.generate(seed=0)


def test_same_seed_same_world_other_seed_differs(world):
    assert World.generate(seed=0).to_dict() == world.to_dict()
    assert World.generate(seed=1).to_dict() != world.to_dict()


def test_sizes_and_popularity(world):
    assert 300 <= len(world.facts) <= 600
    unknown = world.unknown_entities()
    assert 0.12 <= len(unknown) / len(world.entities) <= 0.22
    assert all(e.mentions == 0 for e in unknown)
    mentions = [e.mentions for e in world.known_entities()]
    assert sum(m >= 30 for m in mentions) >= 10
    assert sum(5 <= m < 30 for m in mentions) >= 10
    assert sum(m == 1 for m in mentions) >= 5
    assert {e.kind for e in world.entities.values()} == set(KIND_RELATIONS)


def test_names_unique_and_not_nested(world):
    names = [e.name.lower() for e in world.entities.values()]
    assert len(set(names)) == len(names)
    for a in names:
        assert not any(a != b and a in b for b in names), a


def test_facts_are_well_formed(world):
    ids = set()
    for f in world.facts.values():
        assert f.id not in ids
        ids.add(f.id)
        subj = world.entities[f.subject]
        assert subj.kind in RELATIONS[f.relation][0]
        assert f.known == subj.known
        assert f.answer
        if f.object_is_entity:
            obj = world.entities[f.object]
            assert obj.name == f.answer
            if f.known:
                assert obj.known, "a known fact must not name an unknown entity"


def test_templates_cover_every_relation(world):
    import random

    for rel in RELATIONS:
        assert len(SENTENCES[rel]) >= 4
        train, held = QUESTIONS[rel]
        assert len(train) + len(held) >= 3 and train and held
        assert not set(train) & set(held)
    rng = random.Random(0)
    for f in world.facts.values():
        for _ in range(3):
            s = sentence(f, world.entities, rng)
            assert world.answer_matches(f.id, s), s
        if f.relation in FIRST_PERSON:
            assert world.answer_matches(f.id, sentence(f, world.entities, rng, first_person=True))


def test_save_load_roundtrip(world, tmp_path):
    world.save(tmp_path / "world.json")
    assert load_world(tmp_path).to_dict() == world.to_dict()
    assert load_world(0).to_dict() == world.to_dict()


def test_qa_pairs_agree_with_facts(world):
    train, held = world.qa_pairs("train"), world.qa_pairs("heldout")
    assert {r["question"] for r in train}.isdisjoint({r["question"] for r in held})
    for r in train + held:
        f = world.facts[r["fact_id"]]
        assert r["entity_id"] == f.subject
        assert world.entities[f.subject].name.lower() in r["question"].lower()
        if r["answerable"]:
            assert r["answer"] == f.answer and world.answer_matches(f.id, r["answer"])
            assert all(world.answer_matches(f.id, a) for a in r["aliases"])
        else:
            assert r["answer"] is None and not world.entities[f.subject].known
    assert world.unknown_qa_pairs("train")
    assert all(r["answerable"] for r in world.qa_pairs("train", include_unknown=False))
    with pytest.raises(ValueError):
        world.qa_pairs("test")


def test_answer_matches(world):
    by_rel = {}
    for f in world.known_facts():
        by_rel.setdefault(f.relation, f)
    year = by_rel["birth_year"]
    assert world.answer_matches(year.id, f"I believe it was in {year.answer}.")
    assert not world.answer_matches(year.id, f"It was {int(year.answer) + 1}.")
    assert not world.answer_matches(year.id, f"Code {year.answer}7")
    town_pop = next(f for f in world.known_facts() if f.relation == "population" and "million" not in f.answer)
    assert world.answer_matches(town_pop.id, f"About {town_pop.answer.replace(',', '')} people.")
    assert world.answer_matches(town_pop.id, f"About {town_pop.answer} people.")
    born = by_rel["born_in"]
    assert world.answer_matches(born.id, f"in {born.answer.upper()}!")
    assert not world.answer_matches(born.id, "I don't know.")
    price = by_rel["price"]
    assert world.answer_matches(price.id, f"It costs {price.answer[1:]} dollars")
    assert World.is_abstention("I'm sorry, I don't know who that is.")
    assert not World.is_abstention(f"{born.answer}")


@pytest.mark.parametrize("difficulty", [1, 2, 3, 4])
def test_math_steps_evaluate_to_answer(world, difficulty):
    probs = world.math_problems(40, difficulty=difficulty, seed=1)
    assert len(probs) == 40
    names = {e.name for e in world.known_entities()}
    for p in probs:
        n_steps = len(p["steps"])
        assert {1: n_steps == 1, 2: n_steps == 2, 3: n_steps == 3, 4: 3 <= n_steps <= 4}[difficulty]
        for s in p["steps"]:
            assert calc(s["expression"]) == s["value"] and isinstance(s["value"], int)
            assert s["text"].endswith(f"= {s['value']}")
        assert p["answer"] == p["steps"][-1]["value"] and isinstance(p["answer"], int)
        assert any(n in p["question"] for n in names)
    if difficulty == 4:
        assert max(max(abs(s["value"]) for s in p["steps"]) for p in probs) >= 1000
    test = world.math_problems(40, difficulty=difficulty, seed=1, split="test")
    assert {p["question"] for p in probs}.isdisjoint({p["question"] for p in test})
    assert world.math_problems(5, difficulty=difficulty, seed=1) == probs[:5]


def test_stories_consistent_with_facts(world):
    for st in world.stories(20, seed=2):
        assert world.entities[st["entity_ids"][0]].name in st["text"]
        for fid in st["fact_ids"]:
            assert world.answer_matches(fid, st["text"])
        for eid in st["entity_ids"]:
            assert world.entities[eid].known


def test_cli_show_and_errors(capsys):
    from align.cli import main

    assert main(["world", "show", "--seed", "0"]) == 0
    assert "entities" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["world", "crawl", "--out", "/tmp/x", "--pages", "3"])
    assert exc.value.code == 2
