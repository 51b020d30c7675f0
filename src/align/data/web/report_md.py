"""Render the data report dict as markdown (``report.md``)."""

from __future__ import annotations


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.2f}%"


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _stop_word_note(steps: list[dict]) -> list[str]:
    """Say where Gopher's stop-word rule (English stop words) was not applied, by language."""
    prefix = "stop_word_rule_skipped_"
    skipped = {k.removeprefix(prefix): v for s in steps for k, v in s.get("notes", {}).items() if k.startswith(prefix)}
    if not skipped:
        return []
    counts = ", ".join(f"{lang} {n}" for lang, n in sorted(skipped.items()))
    return [f"Gopher's stop-word rule counts English stop words, so it was not applied to pages in other languages "
            f"({counts}); their other quality rules were.", ""]


def render_markdown(report: dict) -> str:
    md = ["# Data report", ""]
    out = report["output"]
    md += [f"Output: **{out['documents']} documents** in `{out['path']}` (parquet, column `text`).", ""]
    md += ["## Documents through every step", ""]
    rows = []
    for s in report["steps"]:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(s["reasons"].items(), key=lambda kv: -kv[1]))
        notes = ", ".join(f"{k} {v}" for k, v in s.get("notes", {}).items())
        rows.append(
            [s["stage"], s["step"], s["in"], s["out"], s["dropped"], "; ".join(x for x in (reasons, notes) if x)]
        )
    md += _table(["stage", "step", "in", "out", "dropped", "reasons / notes"], rows)
    md += _stop_word_note(report["steps"])
    if report.get("timings_s"):
        md += _table(["stage", "seconds"], [[k, v] for k, v in report["timings_s"].items()])
    q = report.get("quality")
    if not q:
        md += [
            "No ground truth given: quality figures need `ground_truth.jsonl` beside the WARCs or `--ground_truth`.",
            "",
        ]
        return "\n".join(md)
    md += [
        "## Quality against the ground truth",
        "",
        f"Ground truth: `{q['ground_truth']}` ({q['records']} records).",
        "",
    ]
    md += _table(["fate", "records"], [[k, v] for k, v in sorted(q["fates"].items(), key=lambda kv: -kv[1])])
    md += ["### Targets", ""]
    md += _table(
        ["figure", "value", "target", "met"],
        [
            [k, v["value"], v["target"], {True: "yes", False: "**no**", None: "n/a"}[v["met"]]]
            for k, v in report["targets"].items()
        ],
    )
    lang, dedup, pii, bp = q["language"], q["dedup"], q["pii"], q["boilerplate"]
    md += ["### Details", ""]
    md += _table(
        ["check", "figures"],
        [
            ["URL blocklist", f"precision {q['blocklist']['precision']}, recall {q['blocklist']['recall']}"],
            [
                "language ID",
                f"F1 {lang['f1']} (precision {lang['precision']}, recall {lang['recall']}; "
                f"tp {lang['tp']}, fp {lang['fp']}, fn {lang['fn']}) on pages that are not spam/gibberish; "
                f"all pages: F1 {q['language_all_pages']['f1']}",
            ],
            [
                "near-dup removal",
                f"recall {_pct(dedup['recall'])}: {dedup['left_in']} of {dedup['redundant_copies']} "
                f"redundant copies in {dedup['clusters']} clusters left in; "
                f"{dedup['removed_not_duplicates']} of {dedup['removed']} removed were not labelled duplicates "
                "(templated pages can be near-identical without a label)",
            ],
            [
                "PII",
                f"recall {_pct(pii['recall'])} ({pii['removed']}/{pii['items']} items), clean text removed "
                f"{_pct(pii['clean_removed_fraction'])} ({pii['clean_chars_removed']} chars); "
                f"missed {pii['missed_by_type']}",
            ],
            [
                "boilerplate",
                f"{bp['docs_with_boilerplate']} of {bp['kept_docs']} kept docs ({_pct(bp['fraction'])}) "
                "still hold a boilerplate phrase",
            ],
            ["kept but unwanted", ", ".join(f"{k} {v}" for k, v in q["kept"].items())],
            [
                "clean pages lost",
                f"{q['clean_pages']['lost']} of {q['clean_pages']['total']}: {q['clean_pages']['lost_by_step']}",
            ],
            [
                "extraction vs main_text",
                f"word recall {q['extraction']['word_recall']}, word precision {q['extraction']['word_precision']}",
            ],
        ],
    )
    if pii["missed_examples"]:
        md += ["Missed PII examples: " + "; ".join(f"{m['type']} `{m['text']}`" for m in pii["missed_examples"]), ""]
    return "\n".join(md)
