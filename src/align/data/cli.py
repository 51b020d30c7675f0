"""`align data`: turn a web crawl (WARC files) into a clean text dataset plus a report."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from align.cli_options import add_verb, option
from align.data.web.config import PipelineConfig, QualitySettings
from align.errors import UserError

logger = logging.getLogger(__name__)


@dataclass
class DataOptions:
    crawl: str = option(help="directory of WARC files (recursive), a WARC file, or a glob like 'crawl/*.warc.gz'",
                        metavar="DIR_OR_WARC_GLOB")
    out: str = option(help="output directory", metavar="DIR")
    blocklist: str | None = option(None, "domains to drop, one per line (default: the tiny world's blocklist); "
                                         "'none' disables", metavar="FILE")
    languages: str = option("en", "comma-separated ISO 639-1 codes to keep; 'all' keeps every language")
    language_threshold: float = option(0.65, "minimum language-ID probability", metavar="P")
    workers: int = option(1, "parallel worker processes", metavar="N")
    ground_truth: str | None = option(None, "ground_truth.jsonl to score against (default: the one beside the "
                                            "WARCs, if any)", metavar="FILE")
    quality: str = option("lenient", "quality-filter thresholds: 'lenient' (short pages such as the tiny world's) "
                                     "or 'fineweb' (datatrove's Gopher/C4 defaults, for real crawls)",
                          choices=["lenient", "fineweb"])
    no_pii: bool = option(False, "do not redact PII")
    overwrite: bool = option(False, "rebuild an OUT that already holds a finished dataset")
    keep_work: bool = option(False, "keep intermediate files under OUT/work")


def register(subparsers) -> None:
    add_verb(subparsers, "data", DataOptions, run,
             help="web crawl (WARC) → filtered, deduplicated, PII-redacted text dataset (parquet) + report",
             description="FineWeb-style pipeline on datatrove: URL blocklist → trafilatura → language ID → "
             "Gopher/C4 quality → MinHash near-dedup → PII redaction. Writes OUT/data/*.parquet "
             "(load with datasets.load_dataset('parquet', data_files='OUT/data/*.parquet')), "
             "OUT/removed/<step>/ and OUT/report.md.")


def config_from_args(args):
    if args.workers < 1:
        raise UserError(f"--workers must be at least 1, got {args.workers}")
    if not 0.0 <= args.language_threshold <= 1.0:
        raise UserError(f"--language_threshold must be within [0, 1], got {args.language_threshold}")
    languages = () if args.languages.strip().lower() == "all" else tuple(
        code.strip().lower() for code in args.languages.split(",") if code.strip())
    if args.languages.strip().lower() != "all" and not languages:
        raise UserError("--languages: give at least one language code, or 'all'")
    kwargs = {}
    if args.blocklist is not None:
        kwargs["blocklist"] = None if args.blocklist.lower() == "none" else args.blocklist
    return PipelineConfig(crawl=args.crawl, out=args.out, languages=languages,
                          language_threshold=args.language_threshold, workers=args.workers,
                          ground_truth=args.ground_truth, pii=not args.no_pii, overwrite=args.overwrite,
                          keep_work=args.keep_work, quality=QualitySettings.preset(args.quality), **kwargs)


def run(args) -> int:
    from align.data.web.pipeline import run_pipeline

    report = run_pipeline(config_from_args(args))
    print(f"{report['output']['documents']} documents → {report['output']['path']}; report: {args.out}/report.md")
    for name, target in (report.get("targets") or {}).items():
        flag = {True: "ok", False: "MISSED", None: "n/a"}[target["met"]]
        print(f"  {name:<18} {target['value']!s:<8} (target {target['target']}) {flag}")
    return 0
