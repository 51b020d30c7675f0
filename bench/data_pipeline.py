"""Benchmark: documents/s of the whole `align data` pipeline next to text extraction alone.

Both run on the same crawl with the same number of workers, in one process, one after the other:

- extraction alone: WARC reader → trafilatura (datatrove executor, nothing written);
- whole pipeline: everything `align data` does, report included.

Figures, not pass/fail (the aim is whole ≥ 0.7× extraction). Usage:

    python bench/data_pipeline.py [--crawl DIR] [--pages 4000] [--workers 2]

Without --crawl it writes the tiny world's crawl (align.world) into a temporary directory.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")
logger = logging.getLogger("bench.data_pipeline")


def make_crawl(out: Path, pages: int, seed: int) -> str:
    from align.world import World
    from align.world.crawl import write_crawl

    write_crawl(World.generate(seed=seed), out, n_pages=pages, seed=seed)
    return "tiny world"


def extraction_only(files: list[str], work: Path, workers: int) -> tuple[int, float]:
    """WARC → trafilatura, same reader and extractor settings as the pipeline; returns (docs in, seconds)."""
    from datatrove.executor import LocalPipelineExecutor

    from align.data.web.extract import TrafilaturaExtractor
    from align.data.web.pipeline import quiet_datatrove
    from align.data.web.warc import RobustWarcReader

    root = os.path.commonpath([os.path.dirname(f) for f in files])
    paths = work / "paths.txt"
    paths.write_text("".join(os.path.relpath(f, root) + "\n" for f in files))
    executor = LocalPipelineExecutor(
        pipeline=[RobustWarcReader(root, paths_file=str(paths)), TrafilaturaExtractor()],
        tasks=len(files), workers=min(workers, len(files)), logging_dir=str(work / "logs"),
        skip_completed=False, start_method="fork")
    start = time.perf_counter()
    with quiet_datatrove():
        stats = executor.run()
    seconds = time.perf_counter() - start
    docs = next(s for s in stats.stats if "READER" in s.name).stats["documents"].total
    return int(docs), seconds


def whole_pipeline(crawl: str, out: Path, workers: int) -> tuple[int, float, dict]:
    from align.data.web.config import PipelineConfig
    from align.data.web.pipeline import run_pipeline

    start = time.perf_counter()
    report = run_pipeline(PipelineConfig(crawl=crawl, out=str(out), workers=workers))
    seconds = time.perf_counter() - start
    reader = report["steps"][0]
    return reader["in"], seconds, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crawl", help="directory of WARC files (default: generate one)")
    parser.add_argument("--pages", type=int, default=4000, help="pages of the generated crawl")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from align.data.web.config import resolve_warc_files

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        crawl, source = args.crawl, "given"
        if crawl is None:
            crawl = str(tmp / "crawl")
            source = make_crawl(Path(crawl), args.pages, args.seed)
        files = resolve_warc_files(crawl)
        (tmp / "extract").mkdir()
        n_extract, t_extract = extraction_only(files, tmp / "extract", args.workers)
        n_whole, t_whole, report = whole_pipeline(crawl, tmp / "out", args.workers)

    rate_extract, rate_whole = n_extract / t_extract, n_whole / t_whole
    rows = [("extraction alone (WARC → trafilatura)", n_extract, t_extract, rate_extract),
            ("whole pipeline (align data)", n_whole, t_whole, rate_whole)]
    print(f"\ncrawl: {source} ({len(files)} WARC files, {n_extract} pages), workers: {args.workers}\n")
    print(f"| {'run':<40} | {'docs':>6} | {'seconds':>8} | {'docs/s':>8} |")
    print(f"|{'-' * 42}|{'-' * 8}|{'-' * 10}|{'-' * 10}|")
    for name, n, t, rate in rows:
        print(f"| {name:<40} | {n:>6} | {t:>8.2f} | {rate:>8.1f} |")
    print(f"\nwhole / extraction = {rate_whole / rate_extract:.2f}× (aim ≥ 0.70×)")
    print("stage seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in report["timings_s"].items()))
    print(f"kept {report['output']['documents']} documents")


if __name__ == "__main__":
    main()
