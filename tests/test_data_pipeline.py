"""`align data` end to end on a small generated crawl (with bad records): dataset, audit trail, report, CLI."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from conftest import SHARED_DATA, run_cli

from align.data.web.config import PipelineConfig
from align.data.web.pipeline import SUCCESS_MARKER, load_web_dataset, run_pipeline
from align.data.web.synth import BLOCKED, write_synthetic_crawl
from align.errors import UserError

REAL_WARC = SHARED_DATA / "warc" / "example.warc.gz"


@pytest.fixture(scope="module")
def crawl(tmp_path_factory) -> Path:
    return write_synthetic_crawl(tmp_path_factory.mktemp("crawl"), n_pages=60, seed=0, n_files=2)


@pytest.fixture(scope="module")
def built(crawl, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("out") / "web"
    cfg = PipelineConfig(crawl=str(crawl), out=str(out), blocklist=str(crawl / "blocklist.txt"), workers=1)
    return out, run_pipeline(cfg)


def test_output_is_a_loadable_dataset(built):
    import datasets

    out, report = built
    ds = datasets.load_dataset("parquet", data_files=str(out / "data" / "*.parquet"), split="train")
    assert {"text", "id", "url", "date", "language", "language_score", "source_file"} <= set(ds.column_names)
    assert len(ds) == report["output"]["documents"] > 10
    assert set(ds["language"]) == {"en"}
    assert not any(BLOCKED in url for url in ds["url"])
    assert len(load_web_dataset(out)) == len(ds)
    assert len(datasets.load_dataset(str(out), split="train")) == len(ds)  # via the dataset card's configs
    assert (out / SUCCESS_MARKER).is_file()
    assert not (out / "work" / "filtered").exists()  # intermediates are cleaned up


def test_every_step_keeps_what_it_dropped(built):
    out, _ = built
    reasons = {}
    for step in ("reader", "url", "language", "minhash", "pii"):
        rows = [json.loads(line) for f in (out / "removed" / step).glob("*.jsonl.gz") for line in gzip.open(f, "rt")]
        assert rows, step
        reasons[step] = {r.get("metadata", {}).get("filter_reason") or r.get("metadata", {}).get("skip_reason")
                         for r in rows}
    assert {"non_html", "binary", "empty", "too_large", "corrupt_record", "truncated_record"} <= reasons["reader"]
    assert reasons["url"] == {"blocklisted_domain"}
    assert reasons["language"] <= {"language_de", "language_fr", "language_low_confidence"}


def test_report_counts_steps_and_scores_against_ground_truth(built):
    out, report = built
    assert json.loads((out / "report.json").read_text()) == report
    md = (out / "report.md").read_text()
    assert "Documents through every step" in md and "Quality against the ground truth" in md
    steps = {s["step"]: s for s in report["steps"]}
    reader = next(s for name, s in steps.items() if "Warc" in name)
    assert reader["reasons"]["corrupt_record"] == 1 and reader["reasons"]["truncated_record"] == 1
    assert reader["notes"]["decoded_non_utf8"] == 2
    for s in report["steps"]:
        assert s["in"] - s["out"] == s["dropped"] >= 0
    q = report["quality"]
    assert q["fates"].get("unaccounted", 0) == 0
    assert q["pii"]["recall"] >= 0.99 and q["pii"]["clean_removed_fraction"] <= 0.01
    assert q["dedup"]["recall"] >= 0.95
    assert q["language"]["f1"] >= 0.98
    assert q["boilerplate"]["fraction"] <= 0.02
    assert q["kept"]["spam"] == 0 and q["kept"]["blocklisted"] == 0
    assert all(t["met"] for t in report["targets"].values())


def test_pii_is_gone_from_the_dataset(built, crawl):
    import pyarrow.parquet as pq

    out, _ = built
    texts = "\n".join(t for p in (out / "data").glob("*.parquet") for t in pq.read_table(p)["text"].to_pylist())
    gt = [json.loads(line) for line in (crawl / "ground_truth.jsonl").read_text().splitlines()]
    planted = [item["text"] for row in gt for item in row["pii"]]
    assert planted and not any(p in texts for p in planted)
    assert "<EMAIL>" in texts and "<PHONE>" in texts and "<ADDRESS>" in texts and "<IP>" in texts


def test_rerun_refuses_a_finished_output_and_overwrite_rebuilds(built, crawl):
    out, report = built
    cfg = PipelineConfig(crawl=str(crawl), out=str(out), blocklist=str(crawl / "blocklist.txt"))
    with pytest.raises(UserError, match="--overwrite"):
        run_pipeline(cfg)
    cfg.overwrite = True
    again = run_pipeline(cfg)
    assert again["output"]["documents"] == report["output"]["documents"]  # deterministic, not silently empty


def test_unfinished_run_is_cleaned_and_foreign_dir_refused(crawl, tmp_path):
    from align.data.web.pipeline import prepare_out_dir

    out = tmp_path / "partial"
    (out / "work" / "logs" / "1_filter" / "completions").mkdir(parents=True)
    (out / "data").mkdir()
    (out / "data" / "train-0.parquet").write_bytes(b"half")
    prepare_out_dir(out, overwrite=False)
    assert list(out.iterdir()) == []
    (tmp_path / "mine" / "notes.txt").parent.mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(UserError, match="not an `align data` output"):
        prepare_out_dir(tmp_path / "mine", overwrite=True)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_cli_user_errors_exit_2(tmp_path, capsys):
    from align.cli import main

    with pytest.raises(SystemExit) as err:
        main(["data", "--crawl", str(tmp_path / "missing"), "--out", str(tmp_path / "o")])
    assert err.value.code == 2
    assert "no such file or directory" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit) as err:
        main(["data", "--crawl", str(tmp_path / "empty"), "--out", str(tmp_path / "o")])
    assert err.value.code == 2
    assert "no WARC files" in capsys.readouterr().err
    with pytest.raises(SystemExit) as err:
        main(["data", "--crawl", str(tmp_path / "empty"), "--out", str(tmp_path / "o"), "--workers", "0"])
    assert err.value.code == 2


@pytest.mark.skipif(not REAL_WARC.is_file(), reason="real Common Crawl sample not present")
def test_cli_on_a_real_common_crawl_warc(tmp_path, capsys):
    from align.cli import main

    out = tmp_path / "cc"
    assert main(["data", "--crawl", str(REAL_WARC), "--out", str(out), "--blocklist", "none",
                 "--quality", "fineweb"]) == 0
    report = json.loads((out / "report.json").read_text())
    reader = report["steps"][0]
    assert reader["in"] == reader["out"] == 1  # one HTML response; warcinfo/request/revisit are not pages
    assert "quality" not in report  # no ground truth beside it
    assert (out / "data").is_dir() and (out / SUCCESS_MARKER).is_file()
    assert "documents" in capsys.readouterr().out


def test_synthetic_crawl_is_byte_deterministic(tmp_path):
    a = write_synthetic_crawl(tmp_path / "a", n_pages=20, seed=3, n_files=2)
    b = write_synthetic_crawl(tmp_path / "b", n_pages=20, seed=3, n_files=2)
    for f in sorted(a.iterdir()):
        assert f.read_bytes() == (b / f.name).read_bytes(), f.name


# real inputs, bad inputs --------------------------------------------------------------------------------------

FRENCH = [
    "Le vieux moulin de Vel Ostra se trouve au bord de la rivière depuis deux siècles. Les habitants du village y "
    "apportent leur blé chaque automne, et le meunier leur rend une farine fine et blanche. Le dimanche, les enfants "
    "viennent regarder la grande roue tourner dans le courant froid.",
    "La boulangerie de la place du marché ouvre ses portes très tôt le matin. On y vend du pain de campagne, des "
    "croissants dorés et une tarte aux pommes que tout le monde adore. La boulangère connaît chaque client par son "
    "prénom et garde toujours une baguette pour le facteur.",
]
ENGLISH = ("The old bridge over the river was built by the town's first mayor. Every spring the market fills the "
           "square with farmers who sell cheese, bread and honey, and the children of the school sing by the fountain.")


def _page(text: str) -> bytes:
    return f"<html><head><title>Page</title></head><body><article><p>{text}</p></article></body></html>".encode()


def _arc(path: Path, pages: list[tuple[str, bytes]]) -> Path:
    """An uncompressed ARC v1 file: a ``filedesc://`` header, then one record per page (URL on the header line)."""
    spec = b"1 0 InternetArchive\nURL IP-address Archive-date Content-type Archive-length\n"
    records = [f"filedesc://{path.name} 0.0.0.0 20040925000741 text/plain {len(spec)}\n".encode() + spec + b"\n"]
    for url, html in pages:
        http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
        records.append(f"{url} 93.184.216.34 20040925001013 text/html {len(http)}\n".encode() + http + b"\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(records))
    return path


def test_arc_pages_in_another_language_are_kept(tmp_path):
    """ARC records carry their URL on the header line (no page is lost as ``no_url``), and a kept language other
    than English is not judged by English stop words (Gopher's rule is skipped for it, and the report says so)."""
    crawl = _arc(tmp_path / "crawl" / "pages.arc", [
        ("http://moulin.fr/histoire du moulin.html", _page(FRENCH[0])),
        ("http://pain.fr/", _page(FRENCH[1])),
        ("http://bridge.example.org/", _page(ENGLISH)),
    ])
    report = run_pipeline(PipelineConfig(crawl=str(crawl), out=str(tmp_path / "out"), blocklist=None,
                                         languages=("en", "fr")))
    dataset = load_web_dataset(tmp_path / "out")
    assert sorted(dataset["url"]) == ["http://bridge.example.org/", "http://moulin.fr/histoire du moulin.html",
                                      "http://pain.fr/"]
    assert sorted(dataset["language"]) == ["en", "fr", "fr"]
    gopher = next(s for s in report["steps"] if "Gopher Quality" in s["step"])
    assert gopher["notes"] == {"stop_word_rule_skipped_fr": 2} and gopher["dropped"] == 0
    assert "stop-word rule counts English stop words, so it was not applied to pages in other languages (fr 2)" in (
        tmp_path / "out" / "report.md").read_text()


@pytest.mark.parametrize("name, content", [("empty.warc.gz", b""), ("notes.txt", b"just some notes\n" * 50)])
def test_an_input_without_any_record_is_an_error_naming_it(tmp_path, capsys, name, content):
    from align.cli import main

    (tmp_path / name).write_bytes(content)
    out = tmp_path / "out"
    code, stdout, err = run_cli(main, ["data", "--crawl", str(tmp_path / name), "--out", str(out)], capsys)
    reason = "empty file (0 bytes)" if not content else "no WARC or ARC record could be read from it"
    assert code == 2 and err.startswith(f"error: --crawl {tmp_path / name}: {reason}"), err
    assert err.count("\n") == 1 and not out.exists()


def test_unknown_language_code_is_an_error_naming_it(crawl, tmp_path, capsys):
    from align.cli import main

    out = tmp_path / "out"
    code, _, err = run_cli(main, ["data", "--crawl", str(crawl), "--out", str(out), "--languages", "en,english"],
                           capsys)
    assert code == 2 and err.startswith("error: --languages: 'english' is not a language code the language "
                                        "identifier knows; use one of ace, af, am, an, ar,"), err
    assert ", en, " in err and ", fr, " in err
    assert err.count("\n") == 1 and not out.exists()


def test_report_shows_the_reader_skips_when_no_record_parsed(tmp_path):
    """A WARC whose one page is cut off: nothing parses, and report.md still says what the reader skipped."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    writer.write_record(writer.create_warcinfo_record("cut.warc.gz", {"software": "test"}))
    start = buf.tell()
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record("http://ex.com/", "response", payload=io.BytesIO(_page(ENGLISH) * 20),
                                                  http_headers=http))
    data = buf.getvalue()
    (tmp_path / "crawl").mkdir()
    (tmp_path / "crawl" / "cut.warc.gz").write_bytes(data[: start + (len(data) - start) // 2])
    report = run_pipeline(PipelineConfig(crawl=str(tmp_path / "crawl"), out=str(tmp_path / "out"), blocklist=None))
    reader = report["steps"][0]
    assert "Warc" in reader["step"] and reader["in"] == 1 and reader["out"] == 0
    assert reader["reasons"] == {"truncated_record": 1}
    assert "| 1_filter | 🕷 Warc (robust) | 1 | 0 | 1 | truncated_record 1 |" in (tmp_path / "out" / "report.md").read_text()
