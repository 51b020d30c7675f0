"""`align data`: turn a web crawl (WARC files) into a clean text dataset plus a report."""

from __future__ import annotations

import argparse
import logging

logger = logging.getLogger(__name__)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "data",
        help="web crawl (WARC) → filtered, deduplicated, PII-redacted text dataset (parquet) + report",
        description="FineWeb-style pipeline on datatrove: URL blocklist → trafilatura → language ID → "
        "Gopher/C4 quality → MinHash near-dedup → PII redaction. Writes OUT/data/*.parquet "
        "(load with datasets.load_dataset('parquet', data_files='OUT/data/*.parquet')), "
        "OUT/removed/<step>/ and OUT/report.md.",
    )
    p.add_argument("--crawl", required=True, metavar="DIR_OR_WARC_GLOB",
                   help="directory of WARC files (recursive), a WARC file, or a glob like 'crawl/*.warc.gz'")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--blocklist", metavar="FILE", default=None,
                   help="domains to drop, one per line (default: the tiny world's blocklist); 'none' disables")
    p.add_argument("--languages", default="en",
                   help="comma-separated ISO 639-1 codes to keep (default: en); 'all' keeps every language")
    p.add_argument("--language-threshold", type=float, default=0.65, metavar="P",
                   help="minimum language-ID probability (default: 0.65)")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="parallel worker processes (default: 1)")
    p.add_argument("--ground-truth", metavar="FILE", default=None,
                   help="ground_truth.jsonl to score against (default: the one beside the WARCs, if any)")
    p.add_argument("--quality", default="lenient", choices=("lenient", "fineweb"),
                   help="quality-filter thresholds: 'lenient' (default; short pages such as the tiny world's) "
                   "or 'fineweb' (datatrove's Gopher/C4 defaults, for real crawls)")
    p.add_argument("--no-pii", action="store_true", help="do not redact PII")
    p.add_argument("--overwrite", action="store_true", help="rebuild an OUT that already holds a finished dataset")
    p.add_argument("--keep-work", action="store_true", help="keep intermediate files under OUT/work")
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace):
    from align.data.web.config import PipelineConfig, QualitySettings
    from align.errors import UserError

    if args.workers < 1:
        raise UserError(f"--workers must be at least 1, got {args.workers}")
    if not 0.0 <= args.language_threshold <= 1.0:
        raise UserError(f"--language-threshold must be within [0, 1], got {args.language_threshold}")
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


def run(args: argparse.Namespace) -> int:
    from align.data.web.pipeline import run_pipeline

    report = run_pipeline(config_from_args(args))
    print(f"{report['output']['documents']} documents → {report['output']['path']}; report: {args.out}/report.md")
    for name, target in (report.get("targets") or {}).items():
        flag = {True: "ok", False: "MISSED", None: "n/a"}[target["met"]]
        print(f"  {name:<18} {target['value']!s:<8} (target {target['target']}) {flag}")
    return 0
