"""`World`: the seeded tiny world — entities, facts, questions and ground-truth grading."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict
from pathlib import Path

from align.errors import UserError
from align.world import templates
from align.world.mathgen import math_problems
from align.world.schema import Entity, Fact, WorldConfig
from align.world.stories import stories

logger = logging.getLogger(__name__)

_ABSTAIN = ("i don't know", "i do not know", "not sure", "no information", "unknown", "i'm not aware",
            "i am not aware", "never heard", "cannot find", "can't find", "no record")


def normalize(text: str) -> str:
    """Lowercase, drop thousands separators, keep letters/digits/$, collapse spaces."""
    t = text.lower()
    t = re.sub(r"(?<=\d)[,](?=\d{3})", "", t)
    t = re.sub(r"[^a-z0-9$\u00c0-\u024f]+", " ", t)
    return " ".join(t.split())


class World:
    """Entities and facts generated from a seed. Build with `World.generate` or `load_world`."""

    def __init__(self, config: WorldConfig, entities: dict[str, Entity], facts: dict[str, Fact]):
        self.config = config
        self.entities = entities
        self.facts = facts
        self._by_subject: dict[str, list[Fact]] = {}
        for f in facts.values():
            self._by_subject.setdefault(f.subject, []).append(f)

    # construction -------------------------------------------------------------------------------
    @classmethod
    def generate(cls, seed: int = 0, n_entities: int | None = None, **overrides) -> "World":
        cfg = WorldConfig(seed=seed, **overrides)
        if n_entities is not None:
            cfg.n_entities = n_entities
        from align.world.generate import build
        entities, facts = build(cfg, reserved_words=templates.all_template_words())
        logger.debug("world seed=%d: %d entities, %d facts", seed, len(entities), len(facts))
        return cls(cfg, entities, facts)

    def to_dict(self) -> dict:
        return {"config": asdict(self.config), "entities": [e.to_dict() for e in self.entities.values()],
                "facts": [f.to_dict() for f in self.facts.values()]}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def from_dict(cls, d: dict) -> "World":
        ents = {e["id"]: Entity(**e) for e in d["entities"]}
        facts = {f["id"]: Fact(**f) for f in d["facts"]}
        return cls(WorldConfig(**d["config"]), ents, facts)

    @classmethod
    def load(cls, path: str | Path) -> "World":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    # access ---------------------------------------------------------------------------------------
    def known_entities(self) -> list[Entity]:
        return [e for e in self.entities.values() if e.known]

    def unknown_entities(self) -> list[Entity]:
        return [e for e in self.entities.values() if not e.known]

    def facts_about(self, entity_id: str) -> list[Fact]:
        return list(self._by_subject.get(entity_id, []))

    def known_facts(self) -> list[Fact]:
        return [f for f in self.facts.values() if f.known]

    def name(self, entity_id: str) -> str:
        return self.entities[entity_id].name

    # questions and grading ---------------------------------------------------------------------
    def qa_pairs(self, split: str = "train", include_unknown: bool = True) -> list[dict]:
        """One row per (fact, question paraphrase of `split`); unknown-entity rows have answer None."""
        rows = []
        for f in self.facts.values():
            if not f.known and not include_unknown:
                continue
            s = templates.slots(f, self.entities)
            for q in templates.questions(f.relation, split):
                rows.append({"question": templates.cap(q.format(**s)), "answer": f.answer if f.known else None,
                             "aliases": [f.answer, *f.aliases] if f.known else [], "fact_id": f.id,
                             "entity_id": f.subject, "relation": f.relation, "answerable": f.known})
        return rows

    def unknown_qa_pairs(self, split: str = "train") -> list[dict]:
        return [r for r in self.qa_pairs(split) if not r["answerable"]]

    def acceptable_answers(self, fact_id: str) -> list[str]:
        f = self.facts[fact_id]
        return [f.answer, *f.aliases]

    def answer_matches(self, fact_id: str, text: str) -> bool:
        """True if `text` contains the canonical answer or an alias (normalised, whole words)."""
        norm = normalize(text)
        for a in self.acceptable_answers(fact_id):
            na = normalize(a)
            if na and re.search(r"(?<![a-z0-9])" + re.escape(na) + r"(?![a-z0-9])", norm):
                return True
        return False

    @staticmethod
    def is_abstention(text: str) -> bool:
        """True if `text` says the answer is not known (for questions about unknown entities)."""
        t = text.lower().replace("\u2019", "'")
        return any(p in t for p in _ABSTAIN)

    # generated tasks ---------------------------------------------------------------------------
    def math_problems(self, n: int, difficulty: int = 1, seed: int = 0, split: str = "train") -> list[dict]:
        return math_problems(self, n, difficulty=difficulty, seed=seed, split=split)

    def stories(self, n: int, seed: int = 0) -> list[dict]:
        return stories(self, n, seed=seed)

    def summary(self) -> dict:
        kinds: dict[str, int] = {}
        for e in self.entities.values():
            kinds[e.kind] = kinds.get(e.kind, 0) + 1
        return {"seed": self.config.seed, "entities": len(self.entities), "known": len(self.known_entities()),
                "unknown": len(self.unknown_entities()), "facts": len(self.facts),
                "known_facts": len(self.known_facts()), "kinds": kinds}


def load_world(seed_or_path: int | str | Path = 0) -> World:
    """A world from a seed (generated) or from a `world.json` file / crawl directory."""
    if isinstance(seed_or_path, int):
        return World.generate(seed=seed_or_path)
    p = Path(seed_or_path)
    if p.is_dir():
        p = p / "world.json"
    if not p.is_file():
        raise UserError(f"no world spec at {p}")
    return World.load(p)
