"""`align data` end to end on a small generated crawl (with bad records): dataset, audit trail, report, CLI."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from conftest import SHARED_DATA

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
