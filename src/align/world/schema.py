"""Data classes of the world: entities, facts, relations and the generation config."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

KINDS = ("person", "town", "country", "company", "university", "animal", "plant", "product")

# relation -> (subject kinds, object kind(s) or "literal")
RELATIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...] | str]] = {
    "born_in": (("person",), ("town",)),
    "birth_year": (("person",), "literal"),
    "occupation": (("person",), "literal"),
    "works_for": (("person",), ("company", "university")),
    "located_in": (("town", "university"), ("country", "town")),
    "population": (("town", "country"), "literal"),
    "founded_year": (("town", "company", "university"), "literal"),
    "currency": (("country",), "literal"),
    "national_animal": (("country",), ("animal",)),
    "founded_by": (("company",), ("person",)),
    "headquartered_in": (("company",), ("town",)),
    "made_by": (("product",), ("company",)),
    "price": (("product",), "literal"),
    "colour": (("product", "animal", "plant"), "literal"),
    "category": (("product",), "literal"),
    "inventor": (("product",), ("person",)),
    "diet": (("animal",), "literal"),
    "native_to": (("animal", "plant"), ("country",)),
    "lifespan": (("animal",), "literal"),
    "blooms_in": (("plant",), "literal"),
}

# relations of each kind, in a fixed order
KIND_RELATIONS: dict[str, tuple[str, ...]] = {
    "person": ("born_in", "birth_year", "occupation", "works_for"),
    "town": ("located_in", "population", "founded_year"),
    "country": ("population", "currency", "national_animal"),
    "company": ("founded_by", "headquartered_in", "founded_year"),
    "university": ("located_in", "founded_year"),
    "animal": ("colour", "diet", "native_to", "lifespan"),
    "plant": ("colour", "native_to", "blooms_in"),
    "product": ("made_by", "price", "colour", "category", "inventor"),
}

OCCUPATIONS = ["baker", "carpenter", "nurse", "engineer", "teacher", "pilot", "architect", "chemist", "painter",
               "farmer", "librarian", "journalist", "surgeon", "tailor", "geologist", "violinist", "astronomer",
               "potter", "beekeeper", "glassblower"]
COLOURS = ["red", "blue", "green", "yellow", "purple", "orange", "white", "black", "grey", "brown", "pink", "silver"]
DIETS = ["herbivore", "carnivore", "omnivore", "insectivore"]
DIET_FOOD = {"herbivore": "plants", "carnivore": "meat", "omnivore": "both plants and meat", "insectivore": "insects"}
CATEGORIES = ["kettle", "bicycle", "lamp", "umbrella", "backpack", "clock", "radio", "toaster", "camera", "guitar",
              "telescope", "sewing machine", "blender", "scooter", "typewriter"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
ANIMAL_TYPES = ["heron", "fox", "beetle", "otter", "finch", "lizard", "moth", "deer", "hare", "salamander", "owl",
                "toad", "badger", "crane"]
PLANT_TYPES = ["fern", "lily", "moss", "thistle", "orchid", "vine", "shrub", "poppy", "clover", "willow"]
COMPANY_SUFFIXES = ["Works", "Industries", "Labs", "Trading", "Manufacturing", "Group", "Systems"]
UNIVERSITY_FORMS = ["{} University", "{} Institute of Technology", "University of {}", "{} College"]


@dataclass
class Entity:
    """A thing in the world. `mentions` = target number of crawl documents naming it (0 = unknown)."""

    id: str
    kind: str
    name: str
    mentions: int = 0
    attrs: dict = field(default_factory=dict)  # e.g. pronoun, species type

    @property
    def known(self) -> bool:
        return self.mentions > 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Fact:
    """(subject, relation, object). `object` is an entity id or a literal; `answer` is the canonical short answer."""

    id: str
    subject: str
    relation: str
    object: str | int
    answer: str
    aliases: list[str] = field(default_factory=list)
    object_is_entity: bool = False
    known: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class WorldConfig:
    """Parameters of world generation."""

    seed: int = 0
    n_entities: int = 140
    unknown_fraction: float = 0.17
    max_mentions: int = 210  # most popular entity's document count in the default crawl
    single_fraction: float = 0.1  # known entities mentioned in exactly one document
    kind_weights: dict = field(default_factory=lambda: {
        "person": 0.34, "town": 0.14, "country": 0.05, "company": 0.12, "university": 0.04,
        "animal": 0.1, "plant": 0.07, "product": 0.14})
