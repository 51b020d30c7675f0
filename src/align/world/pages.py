"""Content pages about world entities (encyclopedia, news, forum, shop, homepage, story, math, foreign).

A `PageFactory` renders one page at a time and charges every entity it names against a mention budget, so each
entity appears in exactly as many documents as its budget allows.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from align.world import i18n, pii, templates
from align.world.mathgen import math_problems
from align.world.stories import story_for
from align.world.templates import cap, ref

if TYPE_CHECKING:
    from align.world.schema import Entity, Fact
    from align.world.world import World

SITES = {
    "encyclopedia": ["openlore.org", "worldfacts.org", "everypedia.net", "factfinder.org"],
    "news": ["dailylantern.com", "morningherald.net", "citygazette.com", "weeklyobserver.net"],
    "forum": ["askthecrowd.net", "talkboard.org", "chatterbox-forum.com"],
    "shop": ["shopmart.com", "bargainbarn.net", "thegoodsstore.com"],
    "homepage": ["homepages.net", "mysite.org", "personalpages.com"],
    "story": ["storytime.blog", "shortreads.net"],
    "math": ["homeworkhelp.org", "mathforum.net"],
    "filler": ["lifestyleblog.com", "tipsandtricks.net", "everydaymag.com"],
    "spam": ["best-deals-4u.com", "cheap-stuff-online.net", "mega-discount-outlet.com"],
    "low_quality": ["free-hosting.net", "newsite123.com", "parkingpage.net"],
    "de": ["wissen-online.de", "lexikon-welt.de"], "fr": ["encyclopedie-libre.fr", "le-petit-journal.fr"],
    "es": ["enciclopedia-abierta.es", "noticias-del-dia.es"], "it": ["enciclopedia-aperta.it", "notizie-oggi.it"],
    "nl": ["kennisbank.nl", "dagblad-online.nl"],
}
KIND_MIX = {  # entity kind -> page kind weights
    "person": {"encyclopedia": 30, "news": 18, "forum": 14, "homepage": 14, "story": 14, "math": 10},
    "town": {"encyclopedia": 55, "news": 25, "forum": 20}, "country": {"encyclopedia": 55, "news": 25, "forum": 20},
    "company": {"encyclopedia": 50, "news": 35, "forum": 15}, "university": {"encyclopedia": 60, "news": 40},
    "animal": {"encyclopedia": 60, "forum": 40}, "plant": {"encyclopedia": 60, "forum": 40},
    "product": {"shop": 45, "encyclopedia": 20, "forum": 20, "news": 15},
}
_DESC = {"person": "a person who appears in many local records", "town": "a town", "country": "a country",
         "company": "a company", "university": "a university", "product": "a consumer product"}
_ENCYC_FILLER = ["Much of what is known comes from archives and newspaper reports.",
                 "The details above summarise the most widely cited information.",
                 "Some sources disagree on minor points, but the main facts are well documented.",
                 "This article is a stub; you can help by expanding it.",
                 "Further reading can be found in the regional library."]
_NEWS_LEAD = ["{S} made headlines this week.", "Readers have been asking about {s} again.",
              "Here is a short update on {s}.", "{S} is back in the news."]
_NEWS_FILLER = ["Local reporters followed the story closely.", "Officials declined to comment further.",
                "More updates are expected later this week.", "The news was shared widely on social media.",
                "Several readers wrote in with questions."]
_HEADLINES = ["What we know about {s}", "{S} in the spotlight", "Local update: {s}", "A closer look at {s}"]
_FORUM_ASK = ["Does anyone here know this?", "I could not find it anywhere.", "Asking for a school project.",
              "My friend and I had a bet about it."]
_FORUM_REPLY = ["Thanks, that helps!", "Good question, I wondered the same.", "Great, thank you all.",
                "Interesting, I never knew that."]
_HOBBIES = ["long walks", "reading old novels", "baking bread", "birdwatching", "playing chess", "cycling",
            "painting landscapes", "growing tomatoes"]
_REVIEWS = ["Great {c}, works exactly as described. Five stars.", "Solid {c} for the price.",
            "Arrived quickly and well packed.", "My second {c} from this brand, still happy."]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class Page:
    """One crawled page and its ground truth."""

    kind: str
    title: str
    paragraphs: list[str]
    site: str
    path: str
    lang: str = "en"
    subkind: str | None = None
    fact_ids: list[str] = field(default_factory=list)
    entity_ids: list[str] = field(default_factory=list)
    pii: list[dict] = field(default_factory=list)
    spam: bool = False
    low_quality: bool = False
    blocklisted: bool = False
    dup_cluster: int | None = None
    dup_type: str | None = None
    html: str = ""
    boilerplate: list[str] = field(default_factory=list)
    quote_ids: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"https://{self.site}{self.path}"

    @property
    def main_text(self) -> str:
        return "\n".join(self.paragraphs)


class PageFactory:
    """Renders content pages, charging each named entity against `budget` (entity id -> documents left)."""

    def __init__(self, world: "World", budget: dict[str, int], rng: random.Random, reserve_frac: float = 0.4):
        self.w, self.budget, self.rng = world, budget, rng
        # part of each budget kept for pages where the entity is the main subject (so its own facts get shown)
        self.reserve = {eid: math.ceil(b * reserve_frac) for eid, b in budget.items()}
        self.cur: set[str] = set()
        self.n = 0
        self._reverse: dict[str, list["Fact"]] = {}
        for f in world.known_facts():
            if f.object_is_entity:
                self._reverse.setdefault(str(f.object), []).append(f)

    def take(self, eid: str, primary: bool = False) -> bool:
        """Name `eid` on the current page if its budget allows (charged once per page)."""
        if eid in self.cur:
            return True
        if self.budget.get(eid, 0) > (0 if primary else self.reserve.get(eid, 0)):
            self.budget[eid] -= 1
            self.cur.add(eid)
            return True
        return False

    def _facts(self, e: "Entity", limit: int, rels=None, first_person=False, lang="en") -> tuple[list[str], list[str]]:
        facts = [f for f in self.w.facts_about(e.id) if f.known and (rels is None or f.relation in rels)]
        self.rng.shuffle(facts)
        sents, ids = [], []
        for f in facts:
            if len(ids) >= limit:
                break
            if lang != "en" and not i18n.supports(f):
                continue
            if f.object_is_entity and not self.take(str(f.object)):
                continue
            if lang != "en":
                sents.append(i18n.sentence(f, self.w.entities, lang, self.rng))
            else:
                sents.append(templates.sentence(f, self.w.entities, self.rng, first_person=first_person))
            ids.append(f.id)
        return sents, ids

    def _reverse_facts(self, e: "Entity", limit: int) -> tuple[list[str], list[str]]:
        cands = list(self._reverse.get(e.id, []))
        self.rng.shuffle(cands)
        sents, ids = [], []
        for f in cands[:limit]:
            if self.take(f.subject):
                sents.append(templates.sentence(f, self.w.entities, self.rng))
                ids.append(f.id)
        return sents, ids

    def page(self, e: "Entity", kind: str, lang: str = "en") -> Page:
        """A page of `kind` (or foreign-language article if lang != "en") whose main subject is `e`."""
        self.cur = set()
        self.n += 1
        assert self.take(e.id, primary=True), f"no budget left for {e.id}"
        if lang != "en":
            p = self._foreign(e, lang)
        else:
            p = getattr(self, "_" + kind)(e)
        p.entity_ids = sorted(self.cur)
        return p

    def _new(self, kind: str, title: str, paras: list[str], ids: list[str], section: str, site_key=None) -> Page:
        site = self.rng.choice(SITES[site_key or kind])
        return Page(kind, title, paras, site, f"/{section}/{slug(title)}-{self.n}", fact_ids=ids)

    def _encyclopedia(self, e: "Entity") -> Page:
        s = ref(e)
        desc = _DESC.get(e.kind) or f"a species of {e.attrs.get('type', 'animal')}"
        sents, ids = self._facts(e, 10)
        rs, rids = self._reverse_facts(e, 2)
        half = (len(sents) + 1) // 2
        paras = [" ".join([cap(f"{s} is {desc}.")] + sents[:half])]
        if sents[half:] or rs:
            paras.append(" ".join(sents[half:] + rs))
        paras.append(" ".join(self.rng.sample(_ENCYC_FILLER, 2)))
        return self._new("encyclopedia", cap(e.name), paras, ids + rids, "wiki")

    def _news(self, e: "Entity") -> Page:
        s = ref(e)
        sents, ids = self._facts(e, self.rng.randint(1, 3))
        paras = [cap(self.rng.choice(_NEWS_LEAD).format(s=s, S=cap(s))), " ".join(sents),
                 " ".join(self.rng.sample(_NEWS_FILLER, 2))]
        p = self._new("news", cap(self.rng.choice(_HEADLINES).format(s=s, S=cap(s))), [x for x in paras if x], ids,
                      "2024/news")
        if self.rng.random() < 0.2:
            self._plant(p, "phone", "Readers with information can contact the newsroom. ")
        return p

    def _forum(self, e: "Entity") -> Page:
        facts = [f for f in self.w.facts_about(e.id) if f.known]
        f0 = self.rng.choice(facts)
        q = cap(self.rng.choice(templates.questions(f0.relation, "train")).format(**templates.slots(f0, self.w.entities)))
        users = [pii.username(self.rng) for _ in range(4)]
        paras = [f"{users[0]}: {q} {self.rng.choice(_FORUM_ASK)}"]
        ids = []
        if not f0.object_is_entity or self.take(str(f0.object)):
            paras.append(f"{users[1]}: {templates.sentence(f0, self.w.entities, self.rng)}")
            ids.append(f0.id)
        else:
            paras.append(f"{users[1]}: No idea, sorry.")
        more, mids = self._facts(e, self.rng.randint(0, 2))
        more = [m for m, i in zip(more, mids) if i not in ids]
        mids = [i for i in mids if i not in ids]
        if more:
            paras.append(f"{users[2]}: Also, " + templates.decap(" ".join(more)))
        paras.append(f"{users[0]}: {self.rng.choice(_FORUM_REPLY)}")
        p = self._new("forum", q, paras, ids + mids, "t")
        if self.rng.random() < 0.35:
            self._plant(p, self.rng.choice(["ip", "email"]), f"{users[3]}: Off topic, but ")
        return p

    def _shop(self, e: "Entity") -> Page:
        cat = e.attrs.get("category", "item")
        sents, ids = self._facts(e, 3, rels={"made_by", "inventor", "colour", "category"})
        spec = []
        for f in self.w.facts_about(e.id):
            if f.relation == "price":
                spec.append(f"Price: {f.answer}")
                ids.append(f.id)
            elif f.relation == "colour" and f.id not in ids and self.rng.random() < 0.5:
                spec.append(f"Colour: {f.answer}")
                ids.append(f.id)
        reviews = [f"{pii.username(self.rng)}: {r.format(c=cat)}" for r in self.rng.sample(_REVIEWS, 2)]
        paras = [" ".join(sents) or f"The {e.name} {cat} is in stock.", *spec, "Customer reviews", *reviews,
                 "Free delivery on orders over $50. Returns accepted within 30 days."]
        p = self._new("shop", f"Buy the {e.name} {cat} online", paras, ids, "product")
        if self.rng.random() < 0.4:
            self._plant(p, self.rng.choice(["phone", "address", "email"]), "Seller contact: ")
        return p

    def _homepage(self, e: "Entity") -> Page:
        sents, ids = self._facts(e, 4, first_person=True)
        paras = [f"Hi, I'm {e.name}! Welcome to my little corner of the web.", " ".join(sents),
                 f"In my free time I enjoy {self.rng.choice(_HOBBIES)} and {self.rng.choice(_HOBBIES)}."]
        p = self._new("homepage", f"{e.name} - personal home page", [x for x in paras if x], ids, "~" + slug(e.name))
        for _ in range(self.rng.choice([0, 1, 1, 2])):
            self._plant(p, self.rng.choice(["email", "phone", "address"]), "")
        return p

    def _story(self, e: "Entity") -> Page:
        st = story_for(self.w, e, self.rng, allow=self.take)
        paras = [st["text"], "Thanks for reading! A new short story appears here every week."]
        return self._new("story", f"A short story about {e.name}", paras, st["fact_ids"], "stories")

    def _math(self, e: "Entity") -> Page:
        prods = [x for x in self.w.known_entities() if x.kind == "product" and self.budget.get(x.id, 0) > 0]
        if not prods:
            return self._encyclopedia(e)
        prod = self.rng.choices(prods, weights=[self.budget[x.id] for x in prods])[0]
        pb = math_problems(self.w, 1, difficulty=self.rng.randint(1, 4), seed=self.rng.randrange(10**9),
                           split="train", people=[e], products=[prod])[0]
        if prod.name in pb["question"]:
            self.take(prod.id, primary=True)
        user = pii.username(self.rng)
        paras = [f"Question: {pb['question']}", "Can someone explain how to solve this? I am stuck.",
                 f"Answer from {user}:", *[f"Step {i + 1}. {s['text']}" for i, s in enumerate(pb["steps"])],
                 f"So the answer is {pb['answer']}."]
        return self._new("math", "Homework help: word problem", paras, [], "questions")

    def _foreign(self, e: "Entity", lang: str) -> Page:
        sents, ids = self._facts(e, 6, lang=lang)
        filler = self.rng.sample(i18n.FILLER[lang], 4)
        paras = [" ".join([i18n.INTRO[lang].format(s=e.name)] + sents[:2] + filler[:1]),
                 " ".join(sents[2:] + filler[1:2]), " ".join(filler[2:])]
        p = self._new("encyclopedia", e.name, [x for x in paras if x], ids, "artikel", site_key=lang)
        p.lang = lang
        return p

    def _plant(self, p: Page, kind: str, prefix: str) -> None:
        sent, rec = pii.pii_sentence(self.rng, kind)
        p.paragraphs.append(prefix + (templates.decap(sent) if prefix.endswith("but ") else sent))
        p.pii.append(rec)
