"""Synthetic web crawl: pages about the world written as Common-Crawl-style WARC files plus ground truth.

`write_crawl(world, out_dir)` writes `crawl-NNNNN.warc.gz`, `ground_truth.jsonl`, `world.json`, `exposure.json`
and `crawl_stats.json` (see README.md in this package for the schema).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from align.errors import UserError
from align.world import i18n, junk
from align.world.boilerplate import paragraphs_html, wrap_html
from align.world.pages import KIND_MIX, SITES, Page, PageFactory, slug
from align.world.quotes import Quote, famous_quotes

if TYPE_CHECKING:
    from align.world.world import World

logger = logging.getLogger(__name__)

_FOREIGN_KINDS = ("person", "town", "country", "company", "university", "product")
_QUOTING_KINDS = ("encyclopedia", "news", "forum", "homepage", "story")
_SYNONYMS = {"about": "around", "also": "as well", "often": "frequently", "main": "principal", "quickly": "fast",
             "several": "a number of", "closely": "carefully", "whole": "entire", "short": "brief"}


@dataclass
class CrawlConfig:
    """Size and mix of the synthetic crawl (fractions are of `n_pages`)."""

    n_pages: int = 4000
    seed: int = 0
    pages_per_file: int = 800
    frac_foreign: float = 0.10
    frac_spam: float = 0.05
    frac_low_quality: float = 0.05
    frac_blocklisted: float = 0.04
    frac_exact_dup: float = 0.03
    frac_near_dup: float = 0.03
    reference_pages: int = 4000  # crawl size at which entity budgets equal `Entity.mentions`
    start_date: str = "2024-03-01T00:00:00"


def entity_budgets(world: "World", cfg: CrawlConfig) -> dict[str, int]:
    """Documents each known entity must appear in (scaled by crawl size; singletons stay at one)."""
    scale = cfg.n_pages / cfg.reference_pages
    return {e.id: (1 if e.mentions == 1 else max(2, round(e.mentions * scale))) for e in world.known_entities()}


def _near_dup_text(paras: list[str], rng: random.Random) -> list[str]:
    out, changed = [], 0
    for p in paras:
        words = p.split(" ")
        for i, w in enumerate(words):
            if changed < 3 and w.lower() in _SYNONYMS and rng.random() < 0.7:
                words[i] = _SYNONYMS[w.lower()]
                changed += 1
        out.append(" ".join(words))
    note = rng.choice(["Updated: this page was revised recently.", "Editor's note: minor corrections were made.",
                       "This article was first published elsewhere."])
    return [note, *out] if rng.random() < 0.5 else [*out, note]


class _Scheduler:
    def __init__(self, world: "World", cfg: CrawlConfig):
        self.w, self.cfg = world, cfg
        self.rng = random.Random(f"crawl-{cfg.seed}")
        self.target = entity_budgets(world, cfg)
        self.budget = dict(self.target)
        self.factory = PageFactory(world, self.budget, self.rng)
        self.n_dup_clusters = 0
        self.quotes: list[Quote] = []

    def _pick(self, kinds=None, min_target: int = 0):
        best, best_key = None, -1.0
        for eid, b in self.budget.items():
            if b <= 0 or self.target[eid] < min_target or (kinds and self.w.entities[eid].kind not in kinds):
                continue
            key = b / self.target[eid] + self.rng.random() * 0.1
            if key > best_key:
                best, best_key = eid, key
        return self.w.entities[best] if best else None

    def _dup(self, pages: list[Page], near: bool) -> Page | None:
        cands = [p for p in pages if p.lang == "en" and p.dup_type in (None, "original") and len(p.main_text) >= 300]
        for p in self.rng.sample(cands, min(30, len(cands))):
            if all(self.budget[e] >= 1 and self.target[e] >= 3 for e in p.entity_ids):
                for e in p.entity_ids:
                    self.budget[e] -= 1
                if p.dup_cluster is None:
                    p.dup_cluster, p.dup_type = self.n_dup_clusters, "original"
                    self.n_dup_clusters += 1
                self.factory.n += 1
                site = self.rng.choice(SITES[p.kind])
                paras = _near_dup_text(p.paragraphs, self.rng) if near else list(p.paragraphs)
                return Page(p.kind, p.title, paras, site, f"/mirror/{slug(p.title)}-{self.factory.n}", p.lang,
                            p.subkind, list(p.fact_ids), list(p.entity_ids), [dict(x) for x in p.pii],
                            dup_cluster=p.dup_cluster, dup_type="near" if near else "exact",
                            html=p.html if not near else "", boilerplate=list(p.boilerplate) if not near else [])
        return None

    def _finish(self, p: Page) -> Page:
        if not p.html:
            p.html, p.boilerplate = wrap_html(p.title, paragraphs_html(p.paragraphs), p.site, self.rng, p.lang)
        return p

    def run(self) -> list[Page]:
        cfg, rng = self.cfg, self.rng
        n = cfg.n_pages
        n_spam, n_lq, n_bl = round(n * cfg.frac_spam), round(n * cfg.frac_low_quality), round(n * cfg.frac_blocklisted)
        n_entity = n - n_spam - n_lq - n_bl
        left = {"foreign": round(n * cfg.frac_foreign), "exact": round(n * cfg.frac_exact_dup),
                "near": round(n * cfg.frac_near_dup)}
        left["en"] = n_entity - sum(left.values())
        pages: list[Page] = []
        while len(pages) < n_entity and any(b > 0 for b in self.budget.values()):
            kinds = [k for k, v in left.items() if v > 0]
            kind = rng.choices(kinds, weights=[left[k] for k in kinds])[0] if kinds else "en"
            page = None
            if kind in ("exact", "near") and pages:
                page = self._dup(pages, near=kind == "near")
            elif kind == "foreign":
                e = self._pick(_FOREIGN_KINDS, min_target=5)
                if e is not None:
                    page = self.factory.page(e, "encyclopedia", lang=rng.choice(i18n.LANGS))
            if page is None:
                e = self._pick()
                mix = KIND_MIX[e.kind]
                page = self.factory.page(e, rng.choices(list(mix), weights=list(mix.values()))[0])
                kind = "en"
            left[kind] = left.get(kind, 0) - 1
            pages.append(self._finish(page))
        leftover = sum(self.budget.values())
        if leftover:
            logger.warning("crawl too small for the world's popularity: %d entity mentions dropped", leftover)
        while len(pages) < n_entity:
            topic, title, paras = junk.filler_page(rng)
            pages.append(self._finish(self._make("filler", title, paras, "blog", subkind=topic)))
        self._quote(pages)
        for _ in range(n_spam):
            sub, title, paras = junk.spam_page(rng)
            pages.append(self._finish(self._make("spam", title, paras, "offers", subkind=sub, spam=True)))
        for _ in range(n_lq):
            sub, title, paras = junk.low_quality_page(rng)
            pages.append(self._finish(self._make("low_quality", title, paras, "page", subkind=sub,
                                                 low_quality=True)))
        for _ in range(n_bl):
            domain, title, paras = junk.blocked_page(rng)
            p = self._make("blocklisted", title, paras, "home", blocklisted=True, subkind=junk.BLOCKED_SITES[domain])
            p.site = domain
            pages.append(self._finish(p))
        rng.shuffle(pages)
        return pages

    def _quote(self, pages: list[Page]) -> None:
        """Append each famous passage to its share of clean English pages (none a duplicate: a copy would stop being
        one). A separate generator keeps the rest of the crawl the same as without passages."""
        rng = random.Random(f"quote-pages-{self.cfg.seed}")
        self.quotes = famous_quotes(self.cfg.seed)
        free = [p for p in pages if p.kind in _QUOTING_KINDS and p.lang == "en" and p.dup_cluster is None
                and len(p.main_text) >= 200]
        rng.shuffle(free)
        for q in self.quotes:
            want = max(1, round(q.pages * self.cfg.n_pages / self.cfg.reference_pages))
            for p in free[:want]:
                p.paragraphs.append(q.paragraph)
                p.quote_ids.append(q.id)
                p.html, p.boilerplate = wrap_html(p.title, paragraphs_html(p.paragraphs), p.site, rng, p.lang)
            if len(free) < want:
                logger.warning("crawl too small: %s quoted on %d pages instead of %d", q.id, len(free), want)
            del free[:want]

    def _make(self, kind, title, paras, section, subkind=None, **flags) -> Page:
        self.factory.n += 1
        p = Page(kind, title, paras, self.rng.choice(SITES[kind]) if kind in SITES else "example.net",
                 f"/{section}/{slug(title)[:40]}-{self.factory.n}", subkind=subkind)
        for k, v in flags.items():
            setattr(p, k, v)
        return p


def _record_id(seed: int, url: str, rtype: str) -> str:
    return f"<urn:uuid:{uuid.UUID(bytes=hashlib.md5(f'{seed}|{url}|{rtype}'.encode()).digest())}>"


def _write_warcs(pages: list[Page], out: Path, cfg: CrawlConfig) -> list[dict]:
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    t0 = datetime.fromisoformat(cfg.start_date).replace(tzinfo=timezone.utc)
    rows = []
    for fi in range(0, len(pages), cfg.pages_per_file):
        fname = f"crawl-{fi // cfg.pages_per_file:05d}.warc.gz"
        with open(out / fname, "wb") as fh:
            writer = WARCWriter(fh, gzip=True)
            info = (f"software: align.world\r\nformat: WARC File Format 1.0\r\nisPartOf: align-world-seed{cfg.seed}"
                    f"\r\noperator: align synthetic crawler\r\n").encode()
            writer.write_record(writer.create_warc_record("", "warcinfo", payload=BytesIO(info), length=len(info),
                warc_headers_dict={"WARC-Record-ID": _record_id(cfg.seed, fname, "warcinfo"), "WARC-Filename": fname,
                                   "WARC-Date": t0.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                   "Content-Type": "application/warc-fields"}))
            for i, p in enumerate(pages[fi:fi + cfg.pages_per_file], start=fi):
                date = (t0 + timedelta(seconds=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
                http_date = (t0 + timedelta(seconds=7 * i)).strftime("%a, %d %b %Y %H:%M:%S GMT")
                resp_id, req_id = _record_id(cfg.seed, p.url, "response"), _record_id(cfg.seed, p.url, "request")
                req = StatusAndHeaders(f"GET {p.path} HTTP/1.1", [("Host", p.site), ("Accept", "text/html"),
                                       ("User-Agent", "align-world-crawler/0.1")], is_http_request=True)
                writer.write_record(writer.create_warc_record(p.url, "request", http_headers=req, warc_headers_dict={
                    "WARC-Record-ID": req_id, "WARC-Date": date, "WARC-Concurrent-To": resp_id}))
                body = p.html.encode("utf-8")
                charset = "utf-8" if i % 3 else "UTF-8"
                resp = StatusAndHeaders("200 OK", [("Date", http_date), ("Server", "nginx"),
                                        ("Content-Type", f"text/html; charset={charset}"),
                                        ("Content-Length", str(len(body))), ("Connection", "close")],
                                        protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record(p.url, "response", payload=BytesIO(body),
                    length=len(body), http_headers=resp,
                    warc_headers_dict={"WARC-Record-ID": resp_id, "WARC-Date": date,
                                       "WARC-Identified-Payload-Type": "text/html"}))
                rows.append({"url": p.url, "warc_record_id": resp_id, "warc_file": fname, "kind": p.kind,
                             "subkind": p.subkind, "lang": p.lang, "title": p.title, "spam": p.spam,
                             "low_quality": p.low_quality, "blocklisted": p.blocklisted, "dup_cluster": p.dup_cluster,
                             "dup_type": p.dup_type, "pii": p.pii, "boilerplate": p.boilerplate,
                             "fact_ids": p.fact_ids, "entity_ids": p.entity_ids, "quote_ids": p.quote_ids,
                             "main_text": p.main_text})
    return rows


def exposure_from_rows(world: "World", rows: list[dict]) -> dict[str, dict[str, int]]:
    """fact id -> {"all": pages mentioning it, "clean_en": English pages not spam/low-quality/blocklisted}."""
    exp = {fid: {"all": 0, "clean_en": 0} for fid in world.facts}
    for r in rows:
        clean = r["lang"] == "en" and not (r["spam"] or r["low_quality"] or r["blocklisted"])
        for fid in r["fact_ids"]:
            exp[fid]["all"] += 1
            exp[fid]["clean_en"] += int(clean)
    return exp


def write_crawl(world: "World", out_dir: str | Path, n_pages: int | None = None, seed: int | None = None,
                config: CrawlConfig | None = None) -> dict:
    """Render the crawl of `world` into `out_dir`; returns the stats written to crawl_stats.json."""
    cfg = config or CrawlConfig()
    if n_pages is not None:
        cfg.n_pages = n_pages
    if seed is not None:
        cfg.seed = seed
    if cfg.n_pages < 20:
        raise UserError(f"--pages must be at least 20, got {cfg.n_pages}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("crawl-*.warc.gz"):
        old.unlink()
    start = time.time()
    sched = _Scheduler(world, cfg)
    pages = sched.run()
    rows = _write_warcs(pages, out, cfg)
    with open(out / "ground_truth.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    world.save(out / "world.json")
    quoted = _count(q for r in rows for q in r["quote_ids"])
    (out / "quotes.json").write_text(json.dumps([dict(q.to_dict(), pages_in_crawl=quoted.get(q.id, 0))
                                                 for q in sched.quotes], indent=1), encoding="utf-8")
    exposure = exposure_from_rows(world, rows)
    (out / "exposure.json").write_text(json.dumps(exposure, indent=0), encoding="utf-8")
    mentions = {eid: 0 for eid in world.entities}
    for r in rows:
        for eid in r["entity_ids"]:
            mentions[eid] += 1
    known = [f for f in world.known_facts()]
    ce = [exposure[f.id]["clean_en"] for f in known]
    stats = {"config": asdict(cfg), "pages": len(rows), "warc_files": len(list(out.glob("crawl-*.warc.gz"))),
             "main_text_chars": sum(len(r["main_text"]) for r in rows), "seconds": round(time.time() - start, 2),
             "by_kind": _count(r["kind"] for r in rows), "by_lang": _count(r["lang"] for r in rows),
             "dup_clusters": sched.n_dup_clusters, "leftover_mentions": sum(sched.budget.values()),
             "known_fact_exposure_clean_en": {"ge20": sum(x >= 20 for x in ce), "5-19": sum(5 <= x < 20 for x in ce),
                                              "1-4": sum(1 <= x < 5 for x in ce), "0": sum(x == 0 for x in ce)},
             "entity_mentions": mentions}
    (out / "crawl_stats.json").write_text(json.dumps(stats, indent=1), encoding="utf-8")
    logger.info("wrote %d pages (%d chars) to %s in %.1fs", len(rows), stats["main_text_chars"], out,
                stats["seconds"])
    return stats


def _count(it) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in it:
        out[x] = out.get(x, 0) + 1
    return dict(sorted(out.items()))


def read_ground_truth(crawl_dir: str | Path) -> list[dict]:
    with open(Path(crawl_dir) / "ground_truth.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def read_exposure(crawl_dir: str | Path) -> dict[str, dict[str, int]]:
    """fact id -> {"all": n, "clean_en": n} as written by `write_crawl`."""
    p = Path(crawl_dir) / "exposure.json"
    if not p.is_file():
        raise UserError(f"no exposure.json in {crawl_dir} (run `align world crawl --out {crawl_dir}` first)")
    return json.loads(p.read_text(encoding="utf-8"))
