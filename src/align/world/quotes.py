"""Famous passages: short verses the crawl quotes verbatim on a ladder of page counts (1, 3, 10, 30 pages).

They make memorisation measurable. The passage is one paragraph among others, so document-level dedup keeps most
quoting pages (MinHash still drops some short ones that become alike: ~12-19 of the 30 survive at the default
size), and the trained corpus holds some passages once and others a dozen times or more, like famous quotes,
licences and song lyrics on the real web. The lines are drawn at random from small word banks: a model can only
continue one verbatim by having memorised it.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

# pages quoting each passage at the default crawl size; `QUOTES_PER_RUNG` passages per rung
LADDER = (1, 3, 10, 30)
QUOTES_PER_RUNG = 5

_ADJ = ["silver", "quiet", "broken", "golden", "hollow", "distant", "patient", "restless", "narrow", "ancient",
        "bitter", "gentle", "crooked", "scarlet", "lonely", "sleepy", "stubborn", "humble", "frozen", "velvet",
        "wild", "weary", "bright", "muddy", "secret", "tender", "rusty", "honest", "faded", "clever"]
_NOUN = ["river", "lantern", "orchard", "sparrow", "harbour", "meadow", "kettle", "ferry", "chimney", "willow",
         "compass", "barley", "thimble", "anchor", "candle", "pebble", "fiddle", "shepherd", "weaver", "miller",
         "bridge", "garden", "tailor", "beacon", "saddle", "cellar", "drummer", "ribbon", "wagon", "orchid"]
_VERB = ["sings", "waits", "wanders", "sleeps", "dances", "listens", "remembers", "shivers", "hums", "gathers",
         "whispers", "travels", "rests", "watches", "lingers", "glows", "drifts", "trembles", "burns", "climbs"]
_PREP = ["beneath", "beside", "across", "beyond", "behind", "toward", "above", "around", "near", "under"]
_KIND = ["harvest song", "old rhyme", "sailors' verse", "lullaby", "market chant", "wedding song"]


@dataclass
class Quote:
    id: str
    intro: str  # the same words before the passage on every page that quotes it
    text: str
    pages: int  # pages it is planned on at the default crawl size

    @property
    def paragraph(self) -> str:
        return f'{self.intro} "{self.text}"'

    def to_dict(self) -> dict:
        return asdict(self)


def _line(rng: random.Random) -> str:
    return (f"The {rng.choice(_ADJ)} {rng.choice(_NOUN)} {rng.choice(_VERB)} {rng.choice(_PREP)} the "
            f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}.")


def famous_quotes(seed: int, lines: int = 5) -> list[Quote]:
    """The crawl's passages for `seed`. Their intros name no world entity, so entity mentions stay as planned."""
    rng = random.Random(f"quotes-{seed}")
    quotes = []
    for rung, pages in enumerate(LADDER):
        for i in range(QUOTES_PER_RUNG):
            n = rung * QUOTES_PER_RUNG + i
            intro = f"As the {rng.choice(_KIND)} of the {rng.choice(_ADJ)} {rng.choice(_NOUN)} goes,"
            quotes.append(Quote(f"Q{n:03d}", intro, " ".join(_line(rng) for _ in range(lines)), pages))
    return quotes


def read_quotes(crawl_dir) -> list[Quote]:
    """The passages `write_crawl` quoted, from ``<crawl_dir>/quotes.json`` ([] for a crawl made before them)."""
    path = Path(crawl_dir) / "quotes.json"
    if not path.is_file():
        return []
    return [Quote(r["id"], r["intro"], r["text"], r["pages"]) for r in json.loads(path.read_text(encoding="utf-8"))]


def exposure_buckets(quotes: list[Quote], documents: list[str]) -> dict[str, list[Quote]]:
    """Passages grouped by how many of `documents` hold them: "once" (1), "few" (2-7), "many" (8+)."""
    buckets: dict[str, list[Quote]] = {"once": [], "few": [], "many": []}
    for q in quotes:
        n = sum(q.text in doc for doc in documents)
        if n:
            buckets["once" if n == 1 else "few" if n < 8 else "many"].append(q)
    return buckets
