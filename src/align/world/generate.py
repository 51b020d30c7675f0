"""Build a world (entities, facts, popularity) deterministically from a `WorldConfig`."""

from __future__ import annotations

import math
import random

from align.world.names import NameGen
from align.world.schema import (
    ANIMAL_TYPES,
    CATEGORIES,
    COLOURS,
    COMPANY_SUFFIXES,
    DIET_FOOD,
    DIETS,
    KIND_RELATIONS,
    KINDS,
    MONTHS,
    OCCUPATIONS,
    PLANT_TYPES,
    RELATIONS,
    UNIVERSITY_FORMS,
    Entity,
    Fact,
    WorldConfig,
)

_TOWN_SUFFIXES = ["", "", "vik", "moor", "ton", "dale", "holm", "by", "ford"]
_COUNTRY_SUFFIXES = ["ia", "land", "ora", "mark", "eth"]
_MIN_KNOWN = {"country": 3, "town": 5, "company": 3, "university": 1, "person": 5, "animal": 2}


def _kind_counts(cfg: WorldConfig) -> dict[str, int]:
    w = cfg.kind_weights
    total = sum(w.values())
    counts = {k: max(2, round(cfg.n_entities * w.get(k, 0) / total)) for k in KINDS}
    counts["country"] = max(counts["country"], 4)
    diff = cfg.n_entities - sum(counts.values())
    counts["person"] = max(5, counts["person"] + diff)
    return counts


def _name(kind: str, gen: NameGen, rng: random.Random) -> tuple[str, dict]:
    if kind == "person":
        return f"{gen.title(min_syll=1, max_syll=2)} {gen.title()}", {"pronoun": rng.choice(["she", "he"])}
    if kind == "town":
        return gen.title(min_syll=1, max_syll=2, suffix=rng.choice(_TOWN_SUFFIXES)), {}
    if kind == "country":
        return gen.title(min_syll=1, max_syll=2, suffix=rng.choice(_COUNTRY_SUFFIXES)), {}
    if kind == "company":
        return f"{gen.title()} {rng.choice(COMPANY_SUFFIXES)}", {}
    if kind == "university":
        return rng.choice(UNIVERSITY_FORMS).format(gen.title()), {}
    if kind == "animal":
        t = rng.choice(ANIMAL_TYPES)
        return f"{gen.token()} {t}", {"type": t}
    if kind == "plant":
        t = rng.choice(PLANT_TYPES)
        return f"{gen.token()} {t}", {"type": t}
    if kind == "product":
        return gen.title(), {"category": rng.choice(CATEGORIES)}
    raise ValueError(kind)


def _mention_targets(n: int, cfg: WorldConfig, rng: random.Random) -> list[int]:
    """Zipf-like (log-uniform) document counts: a few very popular, many rare, some exactly one."""
    out = []
    n_single = round(n * cfg.single_fraction)
    for i in range(n):
        if i < n_single:
            out.append(1)
        else:
            q = (i - n_single + rng.random()) / max(1, n - n_single)
            out.append(max(2, round(math.exp(math.log(2) + q * (math.log(cfg.max_mentions) - math.log(2))))))
    rng.shuffle(out)
    return out


def _fmt_int(n: int) -> str:
    return f"{n:,}"


def build(cfg: WorldConfig, reserved_words: set[str] | None = None) -> tuple[dict[str, Entity], dict[str, Fact]]:
    """Entities and facts for `cfg` (same config → same output)."""
    rng = random.Random(cfg.seed)
    gen = NameGen(rng, reserved_words)
    counts = _kind_counts(cfg)
    entities: dict[str, Entity] = {}
    for kind in KINDS:
        for _ in range(counts[kind]):
            eid = f"E{len(entities) + 1:04d}"
            name, attrs = _name(kind, gen, rng)
            entities[eid] = Entity(eid, kind, name, 0, attrs)

    # which entities are known, and how popular
    known: list[Entity] = []
    for kind in KINDS:
        ents = [e for e in entities.values() if e.kind == kind]
        n_unknown = min(round(len(ents) * cfg.unknown_fraction), max(0, len(ents) - _MIN_KNOWN.get(kind, 1)))
        rng.shuffle(ents)
        known.extend(ents[n_unknown:])
    known.sort(key=lambda e: e.id)
    for e, m in zip(known, _mention_targets(len(known), cfg, rng)):
        e.mentions = m

    def pick(kinds: tuple[str, ...], subject: Entity) -> Entity:
        cands = [e for e in entities.values() if e.kind in kinds and e.known and e.id != subject.id]
        return rng.choices(cands, weights=[e.mentions for e in cands])[0]

    facts: dict[str, Fact] = {}
    birth: dict[str, int] = {}

    def add(subj: Entity, rel: str, obj, answer: str, aliases=(), is_ent=False):
        fid = f"F{len(facts) + 1:04d}"
        facts[fid] = Fact(fid, subj.id, rel, obj, answer, list(aliases), is_ent, subj.known)

    for e in entities.values():  # people first (KINDS order), so founders have birth years
        for rel in KIND_RELATIONS[e.kind]:
            _, obj_kinds = RELATIONS[rel]
            if obj_kinds != "literal":
                if rel == "located_in":
                    obj_kinds = ("country",) if e.kind == "town" else ("town",)
                o = pick(obj_kinds, e)
                add(e, rel, o.id, o.name, (), True)
                if rel == "founded_by":
                    e.attrs["founder_birth"] = birth.get(o.id, 1950)
                continue
            if rel == "birth_year":
                y = rng.randint(1930, 2000)
                birth[e.id] = y
                add(e, rel, y, str(y))
            elif rel == "occupation":
                add(e, rel, (v := rng.choice(OCCUPATIONS)), v)
            elif rel == "population" and e.kind == "town":
                p = rng.randint(20, 9000) * 100
                add(e, rel, p, _fmt_int(p), [str(p), f"{p:,}".replace(",", " ")])
            elif rel == "population":
                m = rng.randint(1, 90)
                add(e, rel, m * 1_000_000, f"{m} million", [f"{m * 1_000_000:,}", str(m * 1_000_000)])
            elif rel == "founded_year":
                if e.kind == "company":
                    fb = next(f for f in facts.values() if f.subject == e.id and f.relation == "founded_by")
                    y = min(2020, birth.get(fb.object, 1950) + rng.randint(22, 45))
                else:
                    y = rng.randint(1050, 1900) if e.kind == "town" else rng.randint(1300, 1990)
                add(e, rel, y, str(y))
            elif rel == "currency":
                c = gen.token(min_syll=1, max_syll=2)
                add(e, rel, c, c)
            elif rel == "price":
                p = rng.randint(5, 900)
                add(e, rel, p, f"${p}", [f"{p} dollars", f"${p}.00", f"{p} usd"])
            elif rel == "colour":
                add(e, rel, (v := rng.choice(COLOURS)), v)
            elif rel == "category":
                add(e, rel, e.attrs["category"], e.attrs["category"])
            elif rel == "diet":
                d = rng.choice(DIETS)
                add(e, rel, d, d, [f"eats {DIET_FOOD[d]}", DIET_FOOD[d]])
            elif rel == "lifespan":
                n = rng.randint(2, 60)
                add(e, rel, n, f"{n} years", [f"{n} yrs", f"{n}-year"])
            elif rel == "blooms_in":
                add(e, rel, (v := rng.choice(MONTHS)), v)
            else:  # pragma: no cover
                raise ValueError(rel)
    return entities, facts
