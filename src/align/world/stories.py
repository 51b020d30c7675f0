"""Short stories about world people, consistent with their facts."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from align.world.templates import article, cap, ref

if TYPE_CHECKING:
    from align.world.schema import Entity
    from align.world.world import World

_OPENINGS = ["It was a quiet {season} morning when {name} opened the window.",
             "Nobody expected much from the {season} fair, least of all {name}.",
             "{name} had always liked long walks in {season}.",
             "The letter arrived for {name} on a rainy {season} afternoon."]
_EVENTS = ["{pron} found an old map hidden behind a loose brick in the kitchen wall.",
           "{pron} decided, almost on a whim, to learn to play the violin.",
           "{pron} spent the whole weekend helping a neighbour repair a leaking roof.",
           "{pron} adopted a scruffy grey cat that had been sleeping in the garden shed.",
           "{pron} entered a baking contest and, to everyone's surprise, came second.",
           "{pron} missed the last train home and had to walk through the night."]
_ENDINGS = ["That evening, {name} wrote the whole story down in {poss} diary.",
            "Years later, {name} still laughed when friends asked about that day.",
            "It was, {name} decided, the best week of the whole year.",
            "{name} never told anyone the full story, but {pron} kept a photograph from that day."]
_SEASONS = ["spring", "summer", "autumn", "winter"]


def story_for(world: "World", person: "Entity", rng: random.Random,
              allow: Callable[[str], bool] = lambda eid: True) -> dict:
    """A 4-7 sentence story about `person`; related entities appear only if `allow(entity_id)`."""
    pron = person.attrs.get("pronoun", "she")
    poss = {"she": "her", "he": "his"}.get(pron, "their")
    facts = {f.relation: f for f in world.facts_about(person.id)}
    name = ref(person)
    slots = {"name": name, "pron": pron, "poss": poss, "season": rng.choice(_SEASONS)}
    sents = [rng.choice(_OPENINGS).format(**slots)]
    fact_ids, ent_ids = [], [person.id]
    born, year = facts.get("born_in"), facts.get("birth_year")
    if born and allow(born.object):
        town = world.entities[born.object]
        if year and rng.random() < 0.6:
            sents.append(f"{name} was born in {town.name} in {year.answer} and grew up there.")
            fact_ids.append(year.id)
        else:
            sents.append(f"{name} grew up in {town.name}, the town where {pron} was born.")
        fact_ids.append(born.id)
        ent_ids.append(town.id)
    occ, job = facts.get("occupation"), facts.get("works_for")
    if occ:
        if job and allow(job.object):
            sents.append(f"By then {pron} was {article(occ.answer)} at {world.name(job.object)}.")
            fact_ids += [occ.id, job.id]
            ent_ids.append(job.object)
        else:
            sents.append(f"By then {pron} was working as {article(occ.answer)}.")
            fact_ids.append(occ.id)
    sents.append(cap(rng.choice(_EVENTS).format(**slots)))
    sents.append(rng.choice(_ENDINGS).format(**slots))
    return {"text": " ".join(cap(s) for s in sents), "entity_ids": ent_ids, "fact_ids": fact_ids}


def stories(world: "World", n: int, seed: int = 0) -> list[dict]:
    """`n` stories about known people: {text, entity_ids, fact_ids}."""
    rng = random.Random(f"stories-{seed}")
    people = [e for e in world.known_entities() if e.kind == "person"]
    return [story_for(world, rng.choice(people), rng) for _ in range(n)]
