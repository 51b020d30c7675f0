"""The synthetic crawl: WARC validity, ground truth, exposure, languages, PII, duplicates, determinism."""

from __future__ import annotations

import html
import json
import os
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from align.world import BLOCKLIST_PATH, World  # noqa: E402
from align.world.boilerplate import BOILERPLATE_PHRASES  # noqa: E402
from align.world.crawl import CrawlConfig, entity_budgets, exposure_from_rows, read_ground_truth, write_crawl  # noqa: E402


@pytest.fixture(scope="module")
def world() -> World:
    return World.generate(seed=0)


@pytest.fixture(scope="module")
def crawl(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("crawl")
    stats = write_crawl(world, out)  # the default size
    return out, stats, read_ground_truth(out)


@pytest.fixture(scope="module")
def records(crawl):
    from warcio.archiveiterator import ArchiveIterator

    out, _, _ = crawl
    recs = []
    for path in sorted(out.glob("crawl-*.warc.gz")):
        with open(path, "rb") as fh:
            for r in ArchiveIterator(fh):
                body = r.content_stream().read()
                recs.append((path.name, r.rec_type, r.rec_headers, r.http_headers, body))
    return recs


def test_default_size_and_speed(crawl):
    _, stats, rows = crawl
    assert stats["pages"] == len(rows) == 4000
    assert stats["warc_files"] >= 3
    assert 1_000_000 <= stats["main_text_chars"] <= 3_000_000
    assert stats["seconds"] < 20


def test_warc_records_match_ground_truth(crawl, records):
    _, _, rows = crawl
    by_id = {r["warc_record_id"]: r for r in rows}
    assert len(by_id) == len(rows)
    files = {f for f, *_ in records}
    assert all(any(f == g and t == "warcinfo" for g, t, *_ in records) for f in files)
    responses = [(f, h, hh, b) for f, t, h, hh, b in records if t == "response"]
    requests = [h for _, t, h, *_ in records if t == "request"]
    assert len(responses) == len(requests) == len(rows)
    for f, h, hh, body in responses:
        row = by_id[h.get_header("WARC-Record-ID")]
        assert row["url"] == h.get_header("WARC-Target-URI") and row["warc_file"] == f
        assert "charset=" in hh.get_header("Content-Type").lower()
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", h.get_header("WARC-Date"))
        text = body.decode("utf-8")
        for para in row["main_text"].split("\n"):
            assert html.escape(para) in text
        for p in row["pii"]:
            assert p["text"] in row["main_text"] and html.escape(p["text"]) in text
        for phrase in row["boilerplate"]:
            assert phrase in BOILERPLATE_PHRASES and html.escape(phrase) in text
    assert len({r["url"] for r in rows}) == len(rows)


def test_unknown_entities_never_appear(world, crawl, records):
    _, _, rows = crawl
    unknown = [e.name.lower() for e in world.unknown_entities()]
    for *_, body in records:
        low = body.decode("utf-8").lower()
        assert not any(n in low for n in unknown)
    assert not any(e.id in r["entity_ids"] for r in rows for e in world.unknown_entities())


def test_entity_ids_and_mention_counts(world, crawl):
    _, stats, rows = crawl
    known = world.known_entities()
    counts = Counter()
    for r in rows:
        named = {e.id for e in known if e.name in r["main_text"]}
        assert named == set(r["entity_ids"]), r["url"]
        counts.update(r["entity_ids"])
    assert stats["leftover_mentions"] == 0
    budgets = entity_budgets(world, CrawlConfig())
    assert all(counts[e.id] == budgets[e.id] for e in known)
    assert sum(counts[e.id] == 1 for e in known) >= 5
    assert max(counts.values()) >= 100


def test_exposure_matches_pages(world, crawl):
    out, stats, rows = crawl
    exposure = json.loads((out / "exposure.json").read_text())
    assert exposure == exposure_from_rows(world, rows)
    for r in rows:
        if r["lang"] == "en":
            for fid in r["fact_ids"]:
                assert world.answer_matches(fid, r["main_text"]), (fid, r["url"])
    ce = [exposure[f.id]["clean_en"] for f in world.known_facts()]
    assert sum(x >= 20 for x in ce) >= 50 and sum(1 <= x < 5 for x in ce) >= 50
    assert all(exposure[f.id]["all"] == 0 for f in world.facts.values() if not f.known)
    assert World.load(out / "world.json").to_dict() == world.to_dict()


def test_language_mix(crawl):
    import py3langid

    _, _, rows = crawl
    langs = Counter(r["lang"] for r in rows)
    foreign = {k: v for k, v in langs.items() if k != "en"}
    assert len(foreign) >= 3
    assert 0.07 <= sum(foreign.values()) / len(rows) <= 0.13
    rows_f = [r for r in rows if r["lang"] != "en"]
    ok = sum(py3langid.classify(r["main_text"])[0] == r["lang"] for r in rows_f)
    assert ok / len(rows_f) >= 0.9


def test_pii_planted(crawl):
    _, _, rows = crawl
    types = Counter(p["type"] for r in rows for p in r["pii"])
    assert set(types) == {"email", "phone", "address", "ip"} and min(types.values()) >= 20


def _shingles(text: str, k: int = 3) -> set:
    w = text.lower().split()
    return {tuple(w[i:i + k]) for i in range(len(w) - k + 1)}


def test_duplicate_clusters(crawl):
    _, _, rows = crawl
    clusters = defaultdict(list)
    for r in rows:
        if r["dup_cluster"] is not None:
            clusters[r["dup_cluster"]].append(r)
    assert len(clusters) >= 50
    types = Counter(r["dup_type"] for r in rows if r["dup_type"])
    assert types["exact"] >= 50 and types["near"] >= 50
    for members in clusters.values():
        assert len(members) >= 2 and len({m["url"] for m in members}) == len(members)
        orig = [m for m in members if m["dup_type"] == "original"]
        assert len(orig) == 1
        for m in members:
            if m["dup_type"] == "exact":
                assert m["main_text"] == orig[0]["main_text"]
            elif m["dup_type"] == "near":
                a, b = _shingles(m["main_text"]), _shingles(orig[0]["main_text"])
                assert m["main_text"] != orig[0]["main_text"] and len(a & b) / len(a | b) >= 0.7


def test_spam_low_quality_blocklist(crawl):
    _, _, rows = crawl
    blocked = {ln.strip() for ln in BLOCKLIST_PATH.read_text().splitlines() if ln.strip() and not ln.startswith("#")}
    for r in rows:
        host = r["url"].split("/")[2]
        assert r["blocklisted"] == (host in blocked)
        assert r["spam"] == (r["kind"] == "spam") and r["low_quality"] == (r["kind"] == "low_quality")
        if r["spam"] or r["low_quality"] or r["blocklisted"]:
            assert not r["fact_ids"] and not r["entity_ids"]
    kinds = Counter(r["subkind"] for r in rows if r["spam"] or r["low_quality"])
    assert {"keyword_stuffing", "all_caps", "link_farm", "too_short", "gibberish", "repeated_lines"} <= set(kinds)
    assert sum(r["blocklisted"] for r in rows) >= 40


def test_same_seed_same_bytes(world, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_crawl(world, a, n_pages=300, seed=3)
    write_crawl(World.generate(seed=0), b, n_pages=300, seed=3)
    names = sorted(p.name for p in a.iterdir() if p.name != "crawl_stats.json")
    assert names == sorted(p.name for p in b.iterdir() if p.name != "crawl_stats.json")
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n
    write_crawl(world, b, n_pages=300, seed=4)
    assert (a / "ground_truth.jsonl").read_bytes() != (b / "ground_truth.jsonl").read_bytes()


def test_cli_crawl(tmp_path, capsys):
    from align.cli import main

    assert main(["world", "crawl", "--out", str(tmp_path / "c"), "--pages", "200", "--seed", "1"]) == 0
    assert "wrote 200 pages" in capsys.readouterr().out
    assert len(read_ground_truth(tmp_path / "c")) == 200
    assert Path(tmp_path / "c" / "exposure.json").is_file()


def test_famous_passages_are_quoted_on_their_ladder_of_pages(crawl, records):
    from align.world.quotes import LADDER, QUOTES_PER_RUNG, read_quotes

    out, _, rows = crawl
    bodies = {h.get_header("WARC-Record-ID"): body.decode("utf-8") for _, t, h, _, body in records if t == "response"}
    quotes = read_quotes(out)
    assert len(quotes) == len(LADDER) * QUOTES_PER_RUNG and len({q.text for q in quotes}) == len(quotes)
    written = {r["id"]: r["pages_in_crawl"] for r in json.loads((out / "quotes.json").read_text())}
    for q in quotes:
        holders = [r for r in rows if q.paragraph in r["main_text"].split("\n")]
        assert [r["url"] for r in holders] == [r["url"] for r in rows if q.id in r["quote_ids"]]
        assert len(holders) == written[q.id] == q.pages  # the default crawl has room for the whole ladder
        for r in holders:  # clean English pages that are no one's duplicate, the passage in their HTML
            assert r["lang"] == "en" and r["dup_cluster"] is None
            assert not (r["spam"] or r["low_quality"] or r["blocklisted"])
            assert html.escape(q.text, quote=False) in bodies[r["warc_record_id"]]
