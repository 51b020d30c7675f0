"""`align world show|crawl`: inspect the seeded world; write its synthetic web crawl."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from align.cli_options import add_verb, option
from align.errors import UserError
from align.world import World
from align.world.crawl import write_crawl
from align.world.templates import sentence


@dataclass
class ShowOptions:
    seed: int = 0
    samples: int = option(8, "number of sample facts to print")


@dataclass
class CrawlOptions:
    out: str = option(help="output directory")
    seed: int = option(0, "world and crawl seed")
    pages: int | None = option(None, "number of pages (default 4000)")


def register(subparsers) -> None:
    p = subparsers.add_parser("world", help="the seeded tiny world and its synthetic web crawl")
    verbs = p.add_subparsers(dest="world_verb", metavar="SUBVERB", required=True)
    add_verb(verbs, "show", ShowOptions, _show, help="print a summary of the world: counts and sample facts")
    add_verb(verbs, "crawl", CrawlOptions, _crawl,
             help="write the synthetic crawl (WARC + ground truth) to a directory")


def _show(args) -> int:
    w = World.generate(seed=args.seed)
    s = w.summary()
    print(f"world seed {s['seed']}: {s['entities']} entities ({s['known']} known, {s['unknown']} unknown), "
          f"{s['facts']} facts ({s['known_facts']} about known entities)")
    print("kinds: " + ", ".join(f"{k}={v}" for k, v in s["kinds"].items()))
    pop = sorted(w.known_entities(), key=lambda e: -e.mentions)
    print("most mentioned: " + ", ".join(f"{e.name} ({e.mentions})" for e in pop[:5]))
    print(f"mentioned once: {sum(e.mentions == 1 for e in pop)} entities; unknown (never in the crawl): "
          + ", ".join(e.name for e in w.unknown_entities()[:5]) + ", ...")
    rng = random.Random(args.seed)
    print("sample facts:")
    for f in rng.sample(w.known_facts(), min(args.samples, len(w.known_facts()))):
        print(f"  {f.id} {f.relation:<16} {sentence(f, w.entities, rng)}  [answer: {f.answer}]")
    return 0


def _crawl(args) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a directory")
    if args.pages is not None and args.pages < 20:
        raise UserError(f"--pages must be at least 20, got {args.pages}")
    stats = write_crawl(World.generate(seed=args.seed), out, n_pages=args.pages, seed=args.seed)
    e = stats["known_fact_exposure_clean_en"]
    print(f"wrote {stats['pages']} pages in {stats['warc_files']} WARC files to {out} "
          f"({stats['main_text_chars']:,} chars of main text, {stats['seconds']}s)")
    print(f"languages: {stats['by_lang']}")
    print(f"known facts by clean English exposure: >=20: {e['ge20']}, 5-19: {e['5-19']}, 1-4: {e['1-4']}, "
          f"0: {e['0']}")
    return 0
