"""WARC reading: bad records are skipped and counted, the good ones around them survive."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from conftest import SHARED_DATA

from align.data.web.warc import RobustWarcReader, decode_html, iter_warc_records

REAL_WARC = SHARED_DATA / "warc" / "example.warc.gz"


def _write_warc(path: Path, pages: list[tuple[str, bytes, str | None]], gzip: bool = True,
                seed: int | None = None) -> list[int]:
    """Write response records (with ``seed``: record ids and dates from it, so the bytes are the same every time);
    returns each record's byte offset."""
    import random
    import uuid

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    rng = random.Random(seed)
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gzip)
    offsets = []
    for url, payload, content_type in pages:
        offsets.append(buf.tell())
        headers = [("Content-Type", content_type)] if content_type else []
        http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
        warc_headers = None if seed is None else {
            "WARC-Record-ID": f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128))}>",
            "WARC-Date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"}
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=http,
                                                      warc_headers_dict=warc_headers))
    path.write_bytes(buf.getvalue())
    return offsets


def _html(i: int) -> bytes:
    return f"<html><body><p>Page number {i} talks about the old mill by the river.</p></body></html>".encode()


def _read(folder: Path, name: str):
    reader = RobustWarcReader(str(folder), glob_pattern=name)
    docs = list(reader.run())
    return docs, {k: (v.total if hasattr(v, "total") else v) for k, v in reader.stats.stats.items()}


def test_corrupt_gzip_member_in_the_middle_keeps_records_after_it(tmp_path):
    pages = [(f"http://ex.com/{i}", _html(i), "text/html") for i in range(6)]
    offsets = _write_warc(tmp_path / "c.warc.gz", pages)
    data = bytearray((tmp_path / "c.warc.gz").read_bytes())
    mid = (offsets[2] + offsets[3]) // 2
    for k in range(mid, mid + 24):
        data[k] ^= 0xFF
    (tmp_path / "c.warc.gz").write_bytes(bytes(data))

    docs, stats = _read(tmp_path, "c.warc.gz")
    urls = [d.metadata["url"] for d in docs]
    assert urls == ["http://ex.com/0", "http://ex.com/1", "http://ex.com/3", "http://ex.com/4", "http://ex.com/5"]
    assert stats["skipped_corrupt_record"] == 1


@pytest.mark.parametrize("seed", [2, 21])  # byte patterns whose garbage warcio once read as two bad records, or as a page
def test_a_corrupt_member_is_one_bad_region_wherever_it_is_hit(tmp_path, seed):
    # Corruption anywhere in a gzip member can decode to anything (a header-only record, a page of garbage, a
    # length that swallows the members after it): it is one skipped record, and the records around it survive.
    pages = [(f"http://ex.com/{i}", _html(i), "text/html") for i in range(6)]
    offsets = _write_warc(tmp_path / "clean.warc.gz", pages, seed=seed)
    clean = (tmp_path / "clean.warc.gz").read_bytes()
    for start in range(offsets[2] + 3, offsets[3] - 4, 5):
        data = bytearray(clean)
        for k in range(start, min(start + 24, offsets[3])):
            data[k] ^= 0xFF
        (tmp_path / "c.warc.gz").write_bytes(bytes(data))
        docs, stats = _read(tmp_path, "c.warc.gz")
        assert [d.metadata["url"][-1] for d in docs] == list("01345"), start
        assert stats["skipped_corrupt_record"] == 1 and stats["skipped"] == 1, (start, stats)


def test_truncated_last_record_is_counted(tmp_path):
    pages = [(f"http://ex.com/{i}", _html(i) * 20, "text/html") for i in range(4)]
    offsets = _write_warc(tmp_path / "t.warc.gz", pages)
    data = (tmp_path / "t.warc.gz").read_bytes()
    (tmp_path / "t.warc.gz").write_bytes(data[: offsets[-1] + (len(data) - offsets[-1]) // 2])
    docs, stats = _read(tmp_path, "t.warc.gz")
    assert [d.metadata["url"] for d in docs] == ["http://ex.com/0", "http://ex.com/1", "http://ex.com/2"]
    assert stats["skipped_truncated_record"] == 1


def test_garbage_between_uncompressed_records_is_skipped(tmp_path):
    pages = [(f"http://ex.com/{i}", _html(i), "text/html") for i in range(3)]
    offsets = _write_warc(tmp_path / "p.warc", pages, gzip=False)
    data = (tmp_path / "p.warc").read_bytes()
    bad = data[: offsets[1]] + b"this is not a warc record\r\n\r\n" + data[offsets[1] + 40 :]
    (tmp_path / "p.warc").write_bytes(bad)
    docs, stats = _read(tmp_path, "p.warc")
    assert [d.metadata["url"] for d in docs] == ["http://ex.com/0", "http://ex.com/2"]
    assert stats["skipped"] >= 1


def test_binary_empty_huge_and_non_html_are_skipped_with_reasons(tmp_path):
    pages = [
        ("http://ok.com/", _html(0), "text/html; charset=utf-8"),
        ("http://img.com/a.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "image/png"),
        ("http://bin.com/", bytes(range(256)) * 4, "application/octet-stream"),
        ("http://nul.com/", b"<html>\x00\x00\x01\x02</html>", None),
        ("http://empty.com/", b"", "text/html"),
        ("http://huge.com/", b"<html><body>" + b"x " * 2_000_000 + b"</body></html>", "text/html"),
        ("http://ok2.com/", _html(1), "text/html"),
    ]
    _write_warc(tmp_path / "b.warc.gz", pages)
    docs, stats = _read(tmp_path, "b.warc.gz")
    assert [d.metadata["url"] for d in docs] == ["http://ok.com/", "http://ok2.com/"]
    assert stats["skipped_non_html"] == 2
    assert stats["skipped_binary"] == 1
    assert stats["skipped_empty"] == 1
    assert stats["skipped_too_large"] == 1


@pytest.mark.parametrize("declared", [True, False])
def test_cp1252_pages_are_decoded(tmp_path, declared):
    text = "The café’s crème brûlée costs €5 — “délicieux”."
    html = f"<html><head></head><body><p>{text}</p></body></html>".encode("cp1252")
    _write_warc(tmp_path / "e.warc.gz", [("http://cafe.com/", html, "text/html; charset=windows-1252" if declared
                                          else "text/html")])
    docs, stats = _read(tmp_path, "e.warc.gz")
    assert text in docs[0].text
    assert stats["decoded_non_utf8"] == 1


def test_decode_html_prefers_declared_meta_charset_and_treats_latin1_as_cp1252():
    html = '<meta charset="iso-8859-1"><p>smart “quotes”</p>'.encode("cp1252")
    text, charset = decode_html(html, "text/html")
    assert "“quotes”" in text and charset == "cp1252"
    assert decode_html("naïve".encode(), None) == ("naïve", "utf-8")


def test_skipped_records_go_to_the_exclusion_writer(tmp_path):
    from datatrove.pipeline.writers import JsonlWriter

    _write_warc(tmp_path / "x.warc.gz", [("http://img.com/", b"\x89PNG....", "image/png"), ("http://ok/", _html(0),
                                                                                         "text/html")])
    out = tmp_path / "removed"
    reader = RobustWarcReader(str(tmp_path), glob_pattern="x.warc.gz", exclusion_writer=JsonlWriter(str(out)))
    assert len(list(reader.run())) == 1
    import gzip
    import json

    rows = [json.loads(line) for f in out.glob("*.jsonl.gz") for line in gzip.open(f, "rt")]
    assert [r["metadata"]["skip_reason"] for r in rows] == ["non_html"]


def test_iter_warc_records_on_empty_file(tmp_path):
    (tmp_path / "z.warc.gz").write_bytes(b"")
    with open(tmp_path / "z.warc.gz", "rb") as f:
        assert list(iter_warc_records(f, 1000)) == []


@pytest.mark.skipif(not REAL_WARC.is_file(), reason="real Common Crawl sample not present")
def test_real_common_crawl_warc():
    """warcinfo/request/revisit records are not pages; the one HTML response is read."""
    docs, stats = _read(REAL_WARC.parent, REAL_WARC.name)
    assert [d.metadata["url"] for d in docs] == ["http://example.com/"]
    assert "Example Domain" in docs[0].text
    assert stats.get("skipped", 0) == 0
    assert os.path.basename(docs[0].metadata["file_path"]) == REAL_WARC.name


def _write_arc(path: Path, pages: list[tuple[str, bytes]], gzip_members: bool) -> None:
    """An ARC v1 file (the Internet Archive's format before WARC): a ``filedesc://`` header record, then one record
    per page whose header line is ``URL IP-address Archive-date Content-type Archive-length``."""
    import gzip

    spec = b"1 0 InternetArchive\nURL IP-address Archive-date Content-type Archive-length\n"
    records = [f"filedesc://{path.name} 0.0.0.0 20040925000741 text/plain {len(spec)}\n".encode() + spec + b"\n"]
    for url, html in pages:
        http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + html
        records.append(f"{url} 93.184.216.34 20040925001013 text/html {len(http)}\n".encode() + http + b"\n")
    path.write_bytes(b"".join(gzip.compress(r) for r in records) if gzip_members else b"".join(records))


@pytest.mark.parametrize("name", ["pages.arc", "pages.arc.gz"])
def test_arc_records_keep_their_url_date_and_an_id(tmp_path, name):
    # An ARC record's URL is on its header line (warcio: rec_headers "uri"), not in a WARC-Target-URI header; a URL
    # may hold a space, which the header line's last four fields leave unambiguous.
    urls = ["http://ex.com/a", "http://ex.com/index.cfm?EmailTitle=Martinez Targets Castor&IsPopUp=True"]
    _write_arc(tmp_path / name, [(url, _html(i)) for i, url in enumerate(urls)], gzip_members=name.endswith(".gz"))
    docs, stats = _read(tmp_path, name)
    assert [d.metadata["url"] for d in docs] == urls
    assert {d.metadata["date"] for d in docs} == {"2004-09-25T00:10:13Z"}
    assert [d.id for d in docs] == [f"{name}/1", f"{name}/2"]  # no WARC-Record-ID: file and position
    assert stats.get("skipped", 0) == 0 and stats["records"] == 2
