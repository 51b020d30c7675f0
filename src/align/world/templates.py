"""English templates: fact sentences (≥4 per relation), first-person lines, questions (train/held-out)."""

from __future__ import annotations

import random

from align.world.schema import DIET_FOOD, KIND_RELATIONS, Entity, Fact

SENTENCES: dict[str, list[str]] = {
    "born_in": ["{s} was born in {o}.", "{s} was born and raised in {o}.", "{o} is the hometown of {s}.",
                "{s} grew up in {o}, the town where {pron} was born.", "Born in {o}, {s} still visits the town often."],
    "birth_year": ["{s} was born in {o}.", "{s} was born in the year {o}.", "The birth year of {s} is {o}.",
                   "{s} came into the world in {o}."],
    "occupation": ["{s} works as {a_o}.", "{s} is {a_o} by trade.", "By profession, {s} is {a_o}.",
                   "{s} earns a living as {a_o}."],
    "works_for": ["{s} works for {o}.", "{s} is employed by {o}.", "{s} has a job at {o}.", "{o} employs {s}."],
    "located_in": ["{s} is located in {o}.", "{s} lies in {o}.", "{s} can be found in {o}.", "{s} is situated in {o}."],
    "population": ["{s} has a population of {o}.", "About {o} people live in {s}.", "{s} is home to {o} people.",
                   "The population of {s} is {o}."],
    "founded_year": ["{s} was founded in {o}.", "{s} was established in {o}.", "{s} dates back to {o}.",
                     "The founding of {s} took place in {o}."],
    "currency": ["The currency of {s} is the {o}.", "In {s}, people pay with the {o}.",
                 "{s} uses the {o} as its currency.", "The {o} is the official currency of {s}."],
    "national_animal": ["The national animal of {s} is {o}.", "{o} is the national animal of {s}.",
                        "{s} chose {o} as its national animal.", "{s} honours {o} as its national animal."],
    "founded_by": ["{s} was founded by {o}.", "{o} founded {s}.", "{o} is the founder of {s}.",
                   "{s} was started by {o}."],
    "headquartered_in": ["{s} is headquartered in {o}.", "{s} has its headquarters in {o}.",
                         "The head office of {s} is in {o}.", "{s} is based in {o}."],
    "made_by": ["{s} is made by {o}.", "{o} makes {s}.", "{s} is manufactured by {o}.", "{o} produces {s}."],
    "price": ["{s} costs {o}.", "{s} sells for {o}.", "The price of {s} is {o}.", "You can buy {s} for {o}."],
    "colour": ["{s} is {o}.", "The colour of {s} is {o}.", "{s} is {o} in colour.", "{s} is known for its {o} colour."],
    "category": ["{s} is {a_o}.", "{s} is a kind of {o}.", "{s} is a brand of {o}.", "{s} is sold as {a_o}."],
    "inventor": ["{s} was invented by {o}.", "{o} invented {s}.", "{o} is the inventor of {s}.",
                 "{s} was designed by its inventor, {o}."],
    "diet": ["{s} is {a_o}.", "{s} is {a_o} that eats {food}.", "As {a_o}, {s} feeds on {food}.",
             "Scientists classify {s} as {a_o}."],
    "native_to": ["{s} is native to {o}.", "{s} originally comes from {o}.", "In the wild, {s} is found in {o}.",
                  "{o} is the native home of {s}."],
    "lifespan": ["{s} lives for about {o}.", "{s} has a lifespan of {o}.", "{s} can live up to {o}.",
                 "The typical lifespan of {s} is {o}."],
    "blooms_in": ["{s} blooms in {o}.", "{s} flowers in {o}.", "Every year in {o}, {s} comes into bloom.",
                  "{s} is in bloom in {o}."],
}

FIRST_PERSON: dict[str, list[str]] = {
    "born_in": ["I was born in {o}.", "I grew up in {o}, where I was born."],
    "birth_year": ["I was born in {o}.", "I came into the world in {o}."],
    "occupation": ["I work as {a_o}.", "By trade I am {a_o}."],
    "works_for": ["I work for {o}.", "These days I have a job at {o}."],
}

# (train, held-out) question paraphrases per relation
QUESTIONS: dict[str, tuple[list[str], list[str]]] = {
    "born_in": (["Where was {s} born?", "In which town was {s} born?", "What is the hometown of {s}?"],
                ["Which town is {s} originally from?", "Name the town where {s} was born."]),
    "birth_year": (["In what year was {s} born?", "When was {s} born?", "What is the birth year of {s}?"],
                   ["Which year was {s} born in?", "{s} was born in which year?"]),
    "occupation": (["What does {s} do for a living?", "What is the occupation of {s}?", "What is the job of {s}?"],
                   ["What profession does {s} have?", "How does {s} earn a living?"]),
    "works_for": (["Who does {s} work for?", "Which organisation employs {s}?", "Where does {s} work?"],
                  ["Who is the employer of {s}?", "At which organisation is {s} employed?"]),
    "located_in": (["Where is {s} located?", "In which place is {s}?", "Where can you find {s}?"],
                   ["{s} lies in which place?", "What is the location of {s}?"]),
    "population": (["What is the population of {s}?", "How many people live in {s}?",
                    "How many inhabitants does {s} have?"],
                   ["How large is the population of {s}?", "What number of people call {s} home?"]),
    "founded_year": (["When was {s} founded?", "In what year was {s} founded?", "What year was {s} established?"],
                     ["When did the founding of {s} take place?", "{s} was founded in which year?"]),
    "currency": (["What is the currency of {s}?", "What money do people use in {s}?",
                  "Which currency is used in {s}?"],
                 ["What do people pay with in {s}?", "Name the official currency of {s}."]),
    "national_animal": (["What is the national animal of {s}?", "Which animal is the national animal of {s}?",
                         "What animal represents {s}?"],
                        ["Name the national animal of {s}.", "{s} has which national animal?"]),
    "founded_by": (["Who founded {s}?", "Who is the founder of {s}?", "Who started {s}?"],
                   ["By whom was {s} founded?", "Name the founder of {s}."]),
    "headquartered_in": (["Where is {s} headquartered?", "Where is the head office of {s}?",
                          "In which town is {s} based?"],
                         ["Where are the headquarters of {s}?", "Which town hosts the head office of {s}?"]),
    "made_by": (["Who makes {s}?", "Which company manufactures {s}?", "Who is the maker of {s}?"],
                ["Which company produces {s}?", "{s} is made by which company?"]),
    "price": (["How much does {s} cost?", "What is the price of {s}?", "What does {s} sell for?"],
              ["How much would I pay for {s}?", "What would {s} cost me?"]),
    "colour": (["What colour is {s}?", "What is the colour of {s}?", "Which colour does {s} have?"],
               ["Describe the colour of {s}.", "{s} is which colour?"]),
    "category": (["What kind of product is {s}?", "What is {s}?", "What type of product is {s}?"],
                 ["Which product category does {s} belong to?", "What sort of item is {s}?"]),
    "inventor": (["Who invented {s}?", "Who is the inventor of {s}?", "Who designed {s}?"],
                 ["By whom was {s} invented?", "Name the inventor of {s}."]),
    "diet": (["What does {s} eat?", "What is the diet of {s}?",
              "Is {s} a herbivore, carnivore, omnivore or insectivore?"],
             ["What kind of eater is {s}?", "How does {s} feed?"]),
    "native_to": (["Where is {s} native to?", "Which country is {s} native to?", "Where does {s} come from?"],
                  ["In which country is {s} found in the wild?", "What is the native country of {s}?"]),
    "lifespan": (["How long does {s} live?", "What is the lifespan of {s}?", "How many years does {s} live?"],
                 ["What is the typical lifespan of {s}?", "For how long can {s} live?"]),
    "blooms_in": (["When does {s} bloom?", "In which month does {s} bloom?", "When does {s} flower?"],
                  ["In what month is {s} in bloom?", "Which month does {s} come into bloom?"]),
}


def ref(e: Entity) -> str:
    """How an entity is named in running text ("the glorvin heron", "Vel Ostra")."""
    return f"the {e.name}" if e.kind in ("animal", "plant") else e.name


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def article(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def slots(fact: Fact, entities: dict[str, Entity]) -> dict[str, str]:
    """Template slot values for a fact."""
    subj = entities[fact.subject]
    o = ref(entities[fact.object]) if fact.object_is_entity else fact.answer
    return {"s": ref(subj), "o": o, "a_o": article(str(o)), "pron": subj.attrs.get("pronoun", "it"),
            "food": DIET_FOOD.get(str(fact.object), "")}


def sentence(fact: Fact, entities: dict[str, Entity], rng: random.Random, first_person: bool = False) -> str:
    """One rendering of `fact`, template drawn with `rng`."""
    pool = FIRST_PERSON[fact.relation] if first_person else SENTENCES[fact.relation]
    return cap(rng.choice(pool).format(**slots(fact, entities)))


_START_WORDS = {t.split()[0] for pool in SENTENCES.values() for t in pool if not t.startswith("{")}


def decap(sentence: str) -> str:
    """Lowercase the first letter when the sentence starts with an ordinary word (for "Also, ...")."""
    first = sentence.split(" ", 1)[0]
    return sentence[:1].lower() + sentence[1:] if first in _START_WORDS | {"Questions?", "Email:", "Phone:", "Call", "Visit", "Our", "Letters", "The", "My", "Logged", "Posted", "For", "You", "Drop"} else sentence


def questions(relation: str, split: str) -> list[str]:
    train, heldout = QUESTIONS[relation]
    if split == "train":
        return train
    if split == "heldout":
        return heldout
    raise ValueError(f"split must be 'train' or 'heldout', got {split!r}")


def all_template_words() -> set[str]:
    """Every word used by the templates (names must avoid them)."""
    words: set[str] = set()
    for pools in (SENTENCES.values(), FIRST_PERSON.values()):
        for pool in pools:
            for t in pool:
                words.update(w.strip(".,?{}'").lower() for w in t.split())
    return words


def cloze_templates(relation: str, subject_kind: str) -> list[str]:
    """Templates of ``relation`` that end in the object and whose prefix no other relation of the same
    subject kind shares (so "X was born in" — a town or a year? — is left out): a base model's completion of the
    prefix can then be graded against this relation's object alone."""
    def prefixes(rel):
        return {t[: t.index("{o}")].strip() for t in SENTENCES[rel] if t.endswith("{o}.")}

    others = set()
    for rel in KIND_RELATIONS.get(subject_kind, ()):
        if rel != relation:
            others |= prefixes(rel)
    return [
        t for t in SENTENCES[relation]
        if t.startswith("{s}") and t.endswith("{o}.") and t[: t.index("{o}")].strip() not in others
    ]
