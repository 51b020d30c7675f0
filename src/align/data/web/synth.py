"""A small synthetic crawl (WARC + ``ground_truth.jsonl`` in align.world's schema) with bad records.

For tests and the benchmark when no world crawl is at hand, and for the bad inputs the world crawl
does not contain: binary payloads, empty and huge pages, cp1252 pages (declared or not), a corrupt
gzip member in the middle of a file and a truncated last record.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import uuid
from pathlib import Path

NOUNS = ("river town harbour mill bridge market school garden valley council library orchard festival "
         "railway museum forest farmer baker teacher doctor painter engineer village castle meadow island "
         "lighthouse bakery workshop chapel tower canal merchant sailor weaver potter mayor shepherd poet "
         "fisherman lantern wagon barn cottage harvest storm winter summer letter map clock ship road "
         "window kitchen student nurse judge singer hunter quarry fountain").split()
VERBS = ("built opened visited repaired described painted studied crossed guarded planted measured "
         "celebrated restored mapped named welcomed carried borrowed watched followed promised remembered "
         "sold bought cleaned moved found lost answered admired ignored questioned").split()
ADJS = ("old quiet busy famous small northern southern green narrow ancient bright local wooden "
        "crowded peaceful tired clever gentle stubborn curious rusty golden muddy lonely cheerful modest "
        "generous careful hidden distant broken").split()
PREPS = "near behind beside across under above before after during without".split()
DETS = "the a every one that this another".split()
LINKS = ("and", "because", "while", "although", "so", "but", "until", "when")
GERMAN = ["Der alte Bäcker öffnete jeden Morgen sehr früh seinen kleinen Laden am Marktplatz.",
          "Die Kinder spielten den ganzen Nachmittag im Garten hinter dem großen Haus.",
          "Im Winter ist es in diesem Tal oft kalt und die Straßen sind voller Schnee.",
          "Wir haben gestern mit unseren Freunden über die Geschichte der Stadt gesprochen.",
          "Das Museum zeigt eine Sammlung von Bildern, die im letzten Jahrhundert gemalt wurden."]
FRENCH = ["Le vieux boulanger ouvrait sa petite boutique très tôt chaque matin près de la place.",
          "Les enfants ont joué tout l'après-midi dans le jardin derrière la grande maison.",
          "En hiver, il fait souvent froid dans cette vallée et les routes sont couvertes de neige.",
          "Nous avons parlé hier avec nos amis de l'histoire de la ville et de son port.",
          "Le musée présente une collection de tableaux peints au cours du siècle dernier."]
BOILERPLATE = ["Subscribe to our newsletter for weekly updates", "All rights reserved by the site owner",
               "Accept cookies to continue browsing", "Skip to main content"]
BLOCKED = "badsite.example"


def _phrase(rng: random.Random) -> str:
    words = [rng.choice(DETS)] + ([rng.choice(ADJS)] if rng.random() < 0.6 else []) + [rng.choice(NOUNS)]
    return " ".join(words)


def _sentence(rng: random.Random) -> str:
    """A random English sentence from a small grammar: varied enough to pass Gopher's repetition rules."""
    clause = f"{_phrase(rng)} {rng.choice(VERBS)} {_phrase(rng)}"
    if rng.random() < 0.7:
        clause += f" {rng.choice(PREPS)} {_phrase(rng)}"
    if rng.random() < 0.5:
        clause += f" {rng.choice(LINKS)} {_phrase(rng)} {rng.choice(VERBS)} {_phrase(rng)}"
    if rng.random() < 0.3:
        clause += f" in {rng.randint(1200, 1990)}"
    return clause[0].upper() + clause[1:] + rng.choice(".....!?")


def _paragraphs(rng: random.Random, n: int, lang: str = "en") -> list[str]:
    if lang == "en":
        return [" ".join(_sentence(rng) for _ in range(rng.randint(3, 5))) for _ in range(n)]
    pool = GERMAN if lang == "de" else FRENCH
    return [" ".join(rng.sample(pool, 4)) for _ in range(n)]


def _html(title: str, paragraphs: list[str], boilerplate: list[str], charset: str | None = "utf-8") -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    nav = "".join(f"<li><a href='/x'>{b}</a></li>" for b in boilerplate[:2])
    foot = "".join(f"<p>{b}</p>" for b in boilerplate[2:])
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html><head>{meta}<title>{title}</title></head><body><nav><ul>{nav}</ul></nav>"
            f"<main><article><h1>{title}</h1>{body}</article></main><footer>{foot}</footer></body></html>")


def _pii(rng: random.Random, i: int) -> list[dict]:
    return [
        {"type": "email", "text": f"clerk{i}@townhall{i % 7}.example.org"},
        {"type": "phone", "text": rng.choice([f"(555) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                                              f"+44 20 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"])},
        {"type": "address", "text": f"{rng.randint(1, 999)} {rng.choice(['Mill', 'Oak', 'Harbour'])} Lane"},
        {"type": "ip", "text": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"},
    ]


def make_pages(n_pages: int = 60, seed: int = 0) -> list[dict]:
    """Ground-truth rows (plus ``html``) for a mixed crawl: clean, German/French, spam, dups, PII, blocklisted."""
    rng = random.Random(seed)
    pages, cluster = [], 0
    for i in range(n_pages):
        kind = rng.choices(["clean", "pii", "de", "fr", "spam", "dup", "blocked"], [40, 12, 8, 8, 8, 16, 8])[0]
        lang = kind if kind in ("de", "fr") else "en"
        paras = _paragraphs(rng, rng.randint(4, 7), lang)
        pii = []
        if kind == "pii":
            pii = _pii(rng, i)
            paras.append(f"For questions write to {pii[0]['text']} or call {pii[1]['text']}.")
            paras.append(f"The office is at {pii[2]['text']}, and the archive server is {pii[3]['text']}.")
        if kind == "spam":
            paras = ["buy cheap pills now best price online"] * 30
        boiler = rng.sample(BOILERPLATE, 4)
        host = BLOCKED if kind == "blocked" else f"site{i % 9}.example.com"
        row = {"url": f"http://{host}/page/{i}", "kind": kind, "lang": lang, "spam": kind == "spam",
               "low_quality": False, "blocklisted": kind == "blocked", "dup_cluster": None, "dup_type": None,
               "pii": pii, "boilerplate": boiler, "main_text": "\n".join(paras)}
        row["html"] = _html(f"Page {i}", paras, boiler)
        pages.append(row)
        if kind == "dup":  # an original plus 1-3 copies, some lightly edited
            row["dup_cluster"], row["dup_type"] = cluster, "near"
            for c in range(rng.randint(1, 3)):
                edited = list(paras)
                if c % 2 == 0:  # change one sentence in one paragraph
                    k = rng.randrange(len(edited))
                    edited[k] = edited[k] + " " + _sentence(rng)
                copy = dict(row, url=f"http://mirror{c}.example.net/copy/{i}", main_text="\n".join(edited))
                copy["html"] = _html(f"Copy of page {i}", edited, boiler)
                pages.append(copy)
            cluster += 1
    return pages


def _record(writer, url: str, payload: bytes, content_type: str | None, record_id: str | None = None):
    from warcio.statusandheaders import StatusAndHeaders

    headers = [("Content-Type", content_type)] if content_type else []
    http = StatusAndHeaders("200 OK", headers + [("Content-Length", str(len(payload)))], protocol="HTTP/1.1")
    # Fixed id and date: the same seed gives the same bytes, so the corrupted member below breaks
    # the same way on every run.
    record_id = record_id or f"<urn:uuid:{uuid.UUID(bytes=hashlib.md5(url.encode() + payload).digest())}>"
    warc_headers = {"WARC-Record-ID": record_id, "WARC-Date": "2026-01-01T00:00:00Z"}
    rec = writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=http,
                                    warc_headers_dict=warc_headers)
    writer.write_record(rec)
    return rec.rec_headers.get_header("WARC-Record-ID")


def write_synthetic_crawl(out_dir: str | Path, n_pages: int = 60, seed: int = 0, n_files: int = 2,
                          bad_records: bool = True) -> Path:
    """Write ``crawl-0000N.warc.gz`` files and ``ground_truth.jsonl`` into ``out_dir``; returns it.

    With ``bad_records`` the first file also holds binary, empty, huge and cp1252 pages, the
    second a corrupt gzip member in its middle and a truncated record at its end.
    """
    from warcio.warcwriter import WARCWriter

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pages = make_pages(n_pages, seed)
    rows = []
    shards = [pages[i::n_files] for i in range(n_files)]
    for fi, shard in enumerate(shards):
        buf = io.BytesIO()
        writer = WARCWriter(buf, gzip=True)
        offsets = []
        for page in shard:
            offsets.append(buf.tell())
            page["warc_record_id"] = _record(writer, page["url"], page.pop("html").encode("utf-8"),
                                             "text/html; charset=utf-8")
            rows.append(page)
        data = buf.getvalue()
        if bad_records and fi == 0:
            extra = io.BytesIO()
            w2 = WARCWriter(extra, gzip=True)
            _record(w2, "http://img.example.com/a.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "image/png")
            _record(w2, "http://files.example.com/blob", bytes(range(256)) * 8, "application/octet-stream")
            _record(w2, "http://empty.example.com/", b"", "text/html")
            _record(w2, "http://huge.example.com/", _html("Huge", ["word " * 1000] * 700, []).encode(), "text/html")
            _record(w2, "http://nul.example.com/", b"<html>\x00\x00\x00binary</html>", None)
            for j, declared in enumerate([True, False]):  # cp1252 text, with and without a declared charset
                rng = random.Random(seed + 100 + j)
                paras = [p.replace("the people", "the people’s café «crème»") for p in _paragraphs(rng, 5)]
                ct = "text/html; charset=windows-1252" if declared else "text/html"
                html = _html(f"Café {j}", paras, [], charset="windows-1252" if declared else None)
                url = f"http://cafe{j}.example.com/"
                rid = _record(w2, url, html.encode("cp1252"), ct)
                rows.append({"url": url, "warc_record_id": rid, "kind": "encoding", "lang": "en", "spam": False,
                             "low_quality": False, "blocklisted": False, "dup_cluster": None, "dup_type": None,
                             "pii": [], "boilerplate": [], "main_text": "\n".join(paras)})
            data += extra.getvalue()
        if bad_records and fi == 1 and len(offsets) > 4:
            mid = offsets[len(offsets) // 2]
            nxt = offsets[len(offsets) // 2 + 1]
            lost = shard[len(offsets) // 2]
            rows = [r for r in rows if r["warc_record_id"] != lost["warc_record_id"]]
            corrupt = bytearray(data)
            for k in range((mid + nxt) // 2, (mid + nxt) // 2 + 16):
                corrupt[k] ^= 0xFF
            last = shard[-1]
            rows = [r for r in rows if r["warc_record_id"] != last["warc_record_id"]]
            data = bytes(corrupt[: offsets[-1] + (len(data) - offsets[-1]) // 2])
        (out / f"crawl-{fi:05d}.warc.gz").write_bytes(data)
    with open(out / "ground_truth.jsonl", "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    (out / "blocklist.txt").write_text(f"# test blocklist\n{BLOCKED}\n")
    return out
