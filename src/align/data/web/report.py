"""The data report: documents in/out of every step (datatrove stats) and quality against ground truth.

Ground truth is the ``ground_truth.jsonl`` align.world writes beside its WARCs (one row per response
record). Each record's fate — the step that removed it, or "kept" — is read back from
``removed/<step>/`` and ``data/``, so every figure is computed from what the pipeline actually wrote.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
from collections import Counter, defaultdict
from pathlib import Path

from align.data.web.pii import PLACEHOLDERS, unredact
from align.data.web.report_md import render_markdown

logger = logging.getLogger(__name__)

STAGE_ORDER = ["reader", "url", "extraction", "language", "gopher_repetition", "gopher_quality", "c4_quality",
               "minhash"]
TARGETS = {"pii_recall": 0.99, "pii_clean_removed": 0.01, "dup_recall": 0.95, "language_f1": 0.98,
           "boilerplate_left": 0.02}


def _value(v):
    return v.get("total", 0) if isinstance(v, dict) else v


def step_counts(out: Path) -> list[dict]:
    """One row per datatrove step: documents in, out, dropped, and the drop reasons."""
    rows = []
    for stats_file in sorted((out / "work" / "logs").glob("*/stats.json")):
        stage = stats_file.parent.name
        for step in json.loads(stats_file.read_text()):
            name, stats = step["name"], {k: _value(v) for k, v in step["stats"].items()}
            if "READER" in name and ("records" in stats or "skipped" in stats):  # skips count when nothing parsed
                n_out = stats.get("documents", 0)
                n_in = n_out + stats.get("skipped", 0)
            elif "total" in stats:
                n_in, n_out = stats["total"], stats.get("forwarded", stats["total"] - stats.get("dropped", 0))
            else:
                continue
            if "WRITER" in name and "Parquet" not in name:
                continue
            reasons = {k.removeprefix("dropped_").removeprefix("skipped_"): v for k, v in stats.items()
                       if (k.startswith("dropped_") or k.startswith("skipped_")) and k != "skipped"}
            extra = {k: v for k, v in stats.items()
                     if k.startswith(("redacted_", "decoded_", "docs_with", "stop_word_rule_skipped_"))}
            rows.append({"stage": stage, "step": name.split(": ", 1)[-1], "in": n_in, "out": n_out,
                         "dropped": n_in - n_out, "reasons": reasons, **({"notes": extra} if extra else {})})
    return rows


def _read_jsonl_gz(folder: Path):
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def record_fates(out: Path) -> tuple[dict, dict, dict]:
    """``fate[id] = step | "kept"``, ``reasons[id]``, ``kept_text[id]`` from removed/ and data/."""
    import pyarrow.parquet as pq

    fate, reasons = {}, {}
    for step in STAGE_ORDER:
        for row in _read_jsonl_gz(out / "removed" / step):
            meta = row.get("metadata", {})
            fate[row["id"]] = step
            reasons[row["id"]] = meta.get("filter_reason") or meta.get("skip_reason") or step
    kept_text = {}
    for part in sorted((out / "data").glob("*.parquet")):
        table = pq.read_table(part, columns=["id", "text"])
        for rid, text in zip(table.column("id").to_pylist(), table.column("text").to_pylist()):
            fate[rid], kept_text[rid] = "kept", text
    return fate, reasons, kept_text


def _f1(tp: int, fp: int, fn: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "tp": tp, "fp": fp, "fn": fn}


def _spans(text: str, needle: str) -> list[tuple[int, int]]:
    spans, start = [], text.find(needle)
    while needle and start >= 0:
        spans.append((start, start + len(needle)))
        start = text.find(needle, start + 1)
    return spans


def pii_quality(gt_rows: list[dict], kept_text: dict, audit: dict) -> dict:
    """Recall of ground-truth PII in kept documents, and how much non-PII text the detector removed.

    The text the detector saw is rebuilt from the output and the audit (``unredact``). A PII item
    counts if it occurs in that text; it is removed if every occurrence overlaps a redaction and it
    no longer occurs in the output. Clean text removed = redacted characters outside any PII item,
    over all characters the detector saw.
    """
    found = missed = clean_removed = total_chars = 0
    by_type, missed_examples = Counter(), []
    for row in gt_rows:
        rid = row.get("warc_record_id")
        if rid not in kept_text:
            continue
        records = audit.get(rid, [])
        before = unredact(kept_text[rid], records)
        total_chars += len(before)
        redacted, shift = [], 0  # redaction spans in `before`
        for r in records:
            start = r["start"] - shift
            redacted.append((start, start + len(r["text"])))
            shift += len(PLACEHOLDERS[r["type"]]) - len(r["text"])
        pii_spans = []
        for item in row.get("pii") or []:
            occurrences = _spans(before, item["text"])
            if not occurrences:
                continue
            pii_spans += occurrences
            hit = all(any(a < e and s < b for s, e in redacted) for a, b in occurrences)
            if hit and item["text"] not in kept_text[rid]:
                found += 1
            else:
                missed += 1
                by_type[item["type"]] += 1
                if len(missed_examples) < 10:
                    missed_examples.append({"type": item["type"], "text": item["text"]})
        for s, e in redacted:
            covered = set()
            for a, b in pii_spans:
                covered.update(range(max(a, s), min(b, e)))
            clean_removed += (e - s) - len(covered)
    total = found + missed
    return {"items": total, "removed": found, "recall": round(found / total, 4) if total else None,
            "missed_by_type": dict(by_type), "missed_examples": missed_examples,
            "clean_chars_removed": clean_removed,
            "clean_removed_fraction": round(clean_removed / total_chars, 5) if total_chars else 0.0}


def ground_truth_quality(gt_path: str, out: Path, languages) -> dict:
    """Every quality figure the ground truth allows (see module docstring)."""
    gt_rows = [json.loads(line) for line in Path(gt_path).read_text(encoding="utf-8").splitlines() if line.strip()]
    fate, reasons, kept_text = record_fates(out)
    audit = {row["id"]: row["pii"] for row in _read_jsonl_gz(out / "removed" / "pii")}
    fates = Counter(fate.get(r.get("warc_record_id"), "unaccounted") for r in gt_rows)
    kept = [r for r in gt_rows if fate.get(r.get("warc_record_id")) == "kept"]
    res = {"ground_truth": str(gt_path), "records": len(gt_rows), "fates": dict(fates)}

    # URL blocklist
    seen = [r for r in gt_rows if fate.get(r["warc_record_id"]) not in (None, "reader")]
    tp = sum(1 for r in seen if r["blocklisted"] and fate[r["warc_record_id"]] == "url")
    fp = sum(1 for r in seen if not r["blocklisted"] and fate[r["warc_record_id"]] == "url")
    fn = sum(1 for r in seen if r["blocklisted"] and fate[r["warc_record_id"]] != "url")
    res["blocklist"] = _f1(tp, fp, fn)

    # language ID, on the documents that reached it. Spam and gibberish carry the language of the
    # site they sit on ("en" for lorem ipsum), which says nothing about the classifier: the target
    # figure leaves them out; the all-pages figure keeps them.
    wanted = set(languages)
    reached = [r for r in gt_rows if fate.get(r["warc_record_id"]) not in (None, "reader", "url", "extraction")]
    passed = {r["warc_record_id"] for r in reached if fate[r["warc_record_id"]] != "language"}

    def lang_f1(rows):
        tp = sum(1 for r in rows if r["lang"] in wanted and r["warc_record_id"] in passed)
        fp = sum(1 for r in rows if r["lang"] not in wanted and r["warc_record_id"] in passed)
        fn = sum(1 for r in rows if r["lang"] in wanted and r["warc_record_id"] not in passed)
        return _f1(tp, fp, fn)

    res["language"] = lang_f1([r for r in reached if not (r["spam"] or r["low_quality"])])
    res["language_all_pages"] = lang_f1(reached)

    # near-duplicates: of the copies that reached MinHash, all but one per cluster should go
    clusters = defaultdict(list)
    for r in gt_rows:
        if r.get("dup_cluster") is not None and fate.get(r["warc_record_id"]) in ("minhash", "kept"):
            clusters[r["dup_cluster"]].append(fate[r["warc_record_id"]])
    expected = sum(len(m) - 1 for m in clusters.values())
    missed = sum(max(m.count("kept") - 1, 0) for m in clusters.values())
    dedup_removed = [r for r in gt_rows if fate.get(r["warc_record_id"]) == "minhash"]
    # the ground truth labels only the copies it planted; templated pages can be near-identical too
    false_pos = sum(1 for r in dedup_removed if r.get("dup_cluster") is None)
    res["dedup"] = {"clusters": len(clusters), "redundant_copies": expected, "left_in": missed,
                    "recall": round(1 - missed / expected, 4) if expected else None,
                    "removed": len(dedup_removed), "removed_not_duplicates": false_pos}

    res["pii"] = pii_quality(gt_rows, kept_text, audit)

    # boilerplate phrases that survived extraction
    with_bp = [r for r in kept if any(p in kept_text[r["warc_record_id"]] for p in r.get("boilerplate") or [])]
    res["boilerplate"] = {"kept_docs": len(kept), "docs_with_boilerplate": len(with_bp),
                          "fraction": round(len(with_bp) / len(kept), 4) if kept else 0.0,
                          "examples": [r["url"] for r in with_bp[:5]]}

    # what should and should not be in the output
    def bad(r):
        return r["spam"] or r["low_quality"] or r["blocklisted"] or r["lang"] not in wanted

    res["kept"] = {"docs": len(kept), "spam": sum(r["spam"] for r in kept),
                   "low_quality": sum(r["low_quality"] for r in kept),
                   "blocklisted": sum(r["blocklisted"] for r in kept),
                   "wrong_language": sum(r["lang"] not in wanted for r in kept)}
    clean = [r for r in gt_rows if not bad(r) and fate.get(r["warc_record_id"]) != "reader"]
    clean_lost = Counter(fate.get(r["warc_record_id"], "unaccounted") for r in clean
                         if fate.get(r["warc_record_id"]) not in ("kept", "minhash"))
    res["clean_pages"] = {"total": len(clean), "lost": sum(clean_lost.values()), "lost_by_step": dict(clean_lost)}
    res["extraction"] = _extraction_overlap(kept, kept_text)
    return res


def _extraction_overlap(kept: list[dict], kept_text: dict) -> dict:
    """Word-set recall/precision of output text vs the ground-truth ``main_text`` (PII placeholders aside)."""
    import re

    rec = prec = 0.0
    for r in kept:
        truth = set(re.findall(r"\w+", r.get("main_text") or ""))
        got = set(re.findall(r"\w+", kept_text[r["warc_record_id"]])) - {"EMAIL", "PHONE", "ADDRESS", "IP"}
        rec += len(truth & got) / len(truth) if truth else 1.0
        prec += len(truth & got) / len(got) if got else 1.0
    n = len(kept) or 1
    return {"word_recall": round(rec / n, 4), "word_precision": round(prec / n, 4)}


def build_report(out: Path, ground_truth: str | None = None, timings: dict | None = None, config=None) -> dict:
    """Write ``report.json`` and ``report.md`` into ``out``; return the report dict."""
    report = {"steps": step_counts(out), "timings_s": timings or {}}
    if config is not None:
        report["config"] = json.loads(json.dumps(dataclasses.asdict(config), default=str))
    report["output"] = {"documents": _count_rows(out / "data"), "path": str(out / "data")}
    if ground_truth:
        report["quality"] = ground_truth_quality(ground_truth, out, config.languages if config else ("en",))
        report["targets"] = check_targets(report["quality"])
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "report.md").write_text(render_markdown(report))
    return report


def check_targets(q: dict) -> dict:
    figures = {"pii_recall": q["pii"]["recall"], "pii_clean_removed": q["pii"]["clean_removed_fraction"],
               "dup_recall": q["dedup"]["recall"], "language_f1": q["language"]["f1"],
               "boilerplate_left": q["boilerplate"]["fraction"]}
    out = {}
    for name, value in figures.items():
        target = TARGETS[name]
        lower_is_better = name in ("pii_clean_removed", "boilerplate_left")
        ok = None if value is None else (value <= target if lower_is_better else value >= target)
        out[name] = {"value": value, "target": ("≤ " if lower_is_better else "≥ ") + str(target), "met": ok}
    return out


def _count_rows(folder: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet"))
