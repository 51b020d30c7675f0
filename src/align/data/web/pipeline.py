"""The FineWeb-style pipeline as datatrove executors: filter → MinHash (3 stages) → dedup + PII → parquet.

Output layout (``OUT``)::
    data/*.parquet         the dataset: text, id, url, date, language, language_score, source_file
    README.md              dataset card whose ``configs`` let ``datasets.load_dataset(OUT)`` find data/
    removed/<step>/        what each step dropped and why (jsonl.gz, ``metadata.filter_reason``)
    report.md report.json  documents in/out of every step; quality against the ground truth
    work/logs/<stage>/     datatrove logs and stats per stage
    _SUCCESS               written last; a directory without it is an unfinished run

The parquet files are written to ``work/staging`` and moved to ``data/`` only when every stage
has finished, so a crashed run never leaves a dataset that looks complete.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
from pathlib import Path

from align.data.text import load_text_dataset
from align.data.web.audit import PIIAuditWriter
from align.data.web.config import PipelineConfig
from align.data.web.dedup import MinhashBucketsBatched, MinhashSignature
from align.data.web.extract import TrafilaturaExtractor
from align.data.web.filters import (
    BlocklistURLFilter,
    LangIdFilter,
    LanguageAwareGopherQuality,
    check_languages,
    load_identifier,
)
from align.data.web.pii import PIIRedactor
from align.data.web.report import build_report
from align.data.web.warc import RobustWarcReader, has_record
from align.data.web.words import RegexWordTokenizer
from align.errors import UserError

logger = logging.getLogger(__name__)

SUCCESS_MARKER = "_SUCCESS"
OWN_ENTRIES = {"data", "removed", "work", "report.md", "report.json", "README.md", SUCCESS_MARKER}
STEP_DIRS = ["reader", "url", "extraction", "language", "gopher_repetition", "gopher_quality", "c4_quality", "minhash"]
PARQUET_COLUMNS = ["text", "id", "url", "date", "language", "language_score", "source_file"]


def prepare_out_dir(out: Path, overwrite: bool) -> None:
    """Refuse to clobber a finished dataset or a foreign directory; clean an unfinished run of ours."""
    if not out.exists():
        out.mkdir(parents=True)
        return
    if not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a directory")
    entries = set(os.listdir(out))
    foreign = entries - OWN_ENTRIES
    if foreign:  # never delete files we did not write, --overwrite or not
        raise UserError(
            f"--out {out} is not empty and not an `align data` output (it has {sorted(foreign)[0]!r}); "
            "choose another directory"
        )
    if (out / SUCCESS_MARKER).exists():
        if not overwrite:
            raise UserError(f"--out {out} already holds a finished dataset; pass --overwrite to rebuild it")
    elif entries:
        logger.warning("%s holds an unfinished run; removing it and starting over", out)
    for name in entries:
        target = out / name
        shutil.rmtree(target) if target.is_dir() and not target.is_symlink() else target.unlink()


@contextlib.contextmanager
def quiet_datatrove(level: str = "WARNING"):
    """datatrove logs every task at INFO to stderr; keep that in its per-task log files only.

    Patches datatrove's task-logger setup for the duration (our executors fork, so workers inherit
    the patch). ``DATATROVE_LOG_LEVEL`` overrides the console level.
    """
    import sys

    import datatrove.executor.base as executor_base
    import datatrove.utils.logging as dt_logging
    from loguru import logger as loguru_logger

    level = os.environ.get("DATATROVE_LOG_LEVEL", level)
    fmt = "{time:HH:mm:ss} {level} datatrove: {message}"
    originals = (executor_base.add_task_logger, dt_logging.setup_default_logger)

    def setup_default_logger():
        loguru_logger.remove()
        loguru_logger.add(sys.stderr, level=level, colorize=False, format=fmt)

    def add_task_logger(logging_dir, rank, local_rank=0, node_rank=-1):
        setup_default_logger()
        logfile = logging_dir.open(f"logs/task_{rank:05d}.log", "w")
        loguru_logger.add(logfile, level="DEBUG", colorize=False)
        return logfile

    executor_base.add_task_logger, dt_logging.setup_default_logger = add_task_logger, setup_default_logger
    setup_default_logger()
    try:
        yield
    finally:
        executor_base.add_task_logger, dt_logging.setup_default_logger = originals
        originals[1]()


def _parquet_row(self, document) -> dict:
    meta = document.metadata
    return {
        "text": document.text,
        "id": document.id,
        "url": meta.get("url"),
        "date": meta.get("date"),
        "language": meta.get("language"),
        "language_score": meta.get("language_score"),
        "source_file": os.path.basename(str(meta.get("file_path") or "")) or None,
    }


def _parquet_schema():
    import pyarrow as pa

    return pa.schema(
        [
            ("text", pa.string()),
            ("id", pa.string()),
            ("url", pa.string()),
            ("date", pa.string()),
            ("language", pa.string()),
            ("language_score", pa.float64()),
            ("source_file", pa.string()),
        ]
    )


def build_stages(cfg: PipelineConfig, out: Path, files: list[str]):
    """``(name, executor)`` for the five datatrove stages, in the order they must run."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupCluster,
        MinhashDedupFilter,
    )
    from datatrove.pipeline.filters import C4QualityFilter, GopherRepetitionFilter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter, ParquetWriter
    from datatrove.utils.hashing import HashConfig

    work, removed = out / "work", out / "removed"
    words = RegexWordTokenizer(cfg.languages[0] if cfg.languages else "en")
    q = cfg.quality

    def removed_writer(step: str):
        return JsonlWriter(str(removed / step), output_filename="${rank}.jsonl.gz")

    root = os.path.commonpath([os.path.dirname(f) for f in files])
    paths_file = work / "warc_files.txt"
    paths_file.parent.mkdir(parents=True, exist_ok=True)
    paths_file.write_text("".join(os.path.relpath(f, root) + "\n" for f in files))

    filtering = [
        RobustWarcReader(
            root, paths_file=str(paths_file), max_bytes=cfg.max_page_bytes, exclusion_writer=removed_writer("reader")
        ),
    ]
    if cfg.blocklist:
        filtering.append(BlocklistURLFilter(blocklist_path=cfg.blocklist, exclusion_writer=removed_writer("url")))
    filtering += [
        TrafilaturaExtractor(timeout=cfg.extraction_timeout, exclusion_writer=removed_writer("extraction")),
        LangIdFilter(
            languages=cfg.languages, threshold=cfg.language_threshold, exclusion_writer=removed_writer("language")
        ),
    ]
    if cfg.gopher_repetition:
        filtering.append(
            GopherRepetitionFilter(
                top_n_grams=q.top_n_grams,
                dup_n_grams=q.dup_n_grams,
                language=words,
                exclusion_writer=removed_writer("gopher_repetition"),
            )
        )
    if cfg.gopher_quality:
        filtering.append(
            LanguageAwareGopherQuality(
                min_doc_words=q.min_doc_words,
                min_stop_words=q.min_stop_words,
                max_non_alpha_words_ratio=q.max_non_alpha_words_ratio,
                language=words,
                exclusion_writer=removed_writer("gopher_quality"),
            )
        )
    if cfg.c4_quality:
        # C4's line filter drops lines without terminal punctuation — headings, list items — from kept pages;
        # keep the document-level rules only, as FineWeb does.
        filtering.append(
            C4QualityFilter(
                language=words,
                filter_no_terminal_punct=False,
                min_num_sentences=q.c4_min_sentences,
                exclusion_writer=removed_writer("c4_quality"),
            )
        )
    # intermediate, read twice and deleted: no compression
    filtering.append(JsonlWriter(str(work / "filtered"), output_filename="${rank}.jsonl", compression=None))

    mh = MinhashConfig(
        n_grams=cfg.minhash.n_grams,
        num_buckets=cfg.minhash.num_buckets,
        hashes_per_bucket=cfg.minhash.hashes_per_bucket,
        seed=cfg.minhash.seed,
        hash_config=HashConfig(precision=64),
    )
    n_tasks = len(files)
    workers = max(1, cfg.workers)

    def executor(name, pipeline, tasks):
        return name, LocalPipelineExecutor(
            pipeline=pipeline,
            tasks=tasks,
            workers=min(workers, tasks),
            logging_dir=str(work / "logs" / name),
            skip_completed=False,
            start_method="fork",
        )

    filtered = lambda: JsonlReader(str(work / "filtered"), glob_pattern="*.jsonl", compression=None)  # noqa: E731
    final = [
        filtered(),
        MinhashDedupFilter(str(work / "minhash" / "remove"), exclusion_writer=removed_writer("minhash")),
    ]
    if cfg.pii:
        final += [PIIRedactor(), PIIAuditWriter(str(removed / "pii"), output_filename="${rank}.jsonl.gz")]
    final.append(
        ParquetWriter(
            str(work / "staging"),
            output_filename="${rank}.parquet",
            adapter=_parquet_row,
            schema=_parquet_schema(),
            use_content_defined_chunking=False,
        )
    )
    return [
        executor("1_filter", filtering, n_tasks),
        executor(
            "2_minhash_signatures",
            [filtered(), MinhashSignature(str(work / "minhash" / "signatures"), config=mh, language=words)],
            n_tasks,
        ),
        executor(
            "3_minhash_buckets",
            [MinhashBucketsBatched(str(work / "minhash" / "signatures"), str(work / "minhash" / "buckets"), config=mh)],
            workers,
        ),
        executor(
            "4_minhash_cluster",
            [MinhashDedupCluster(str(work / "minhash" / "buckets"), str(work / "minhash" / "remove"), config=mh)],
            1,
        ),
        executor("5_dedup_pii_write", final, n_tasks),
    ]


def _publish(out: Path) -> None:
    """Move the staged parquet files to ``data/`` (an empty, typed file if nothing survived)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    staging, data = out / "work" / "staging", out / "data"
    data.mkdir()
    parts = sorted(staging.glob("*.parquet")) if staging.exists() else []
    for part in parts:
        os.replace(part, data / f"train-{part.stem}.parquet")
    if not parts:
        pq.write_table(pa.Table.from_pylist([], schema=_parquet_schema()), data / "train-00000.parquet")
    (out / "README.md").write_text(DATASET_CARD)


DATASET_CARD = """---
configs:
- config_name: default
  data_files:
  - split: train
    path: data/*.parquet
---
# Web text built by `align data`

Columns: `text`, `id` (WARC record id), `url`, `date`, `language`, `language_score`, `source_file`.
Load with `datasets.load_dataset("parquet", data_files="data/*.parquet", split="train")`
or `datasets.load_dataset("<this directory>", split="train")`. See `report.md` for what was removed and why.
"""


def _preflight() -> None:
    """Load the extractor and language model once, here: forked workers inherit them (saves ~1 s per
    task), and in datatrove's extractor sandbox an import error would only show up as timeouts."""
    try:
        import trafilatura  # noqa: F401
    except ImportError as err:
        raise RuntimeError(f"trafilatura cannot be imported ({err}); reinstall align's dependencies") from err

    load_identifier()


def check_inputs(cfg: PipelineConfig, files: list[str]) -> None:
    """Before anything is written: every input holds at least one WARC/ARC record (an empty or foreign file would
    otherwise make an empty dataset that looks finished), the language codes are ones language ID can label."""
    if cfg.blocklist and not os.path.isfile(cfg.blocklist):
        raise UserError(f"--blocklist {cfg.blocklist}: no such file")
    check_languages(cfg.languages)
    for path in files:
        if os.path.getsize(path) == 0:
            raise UserError(f"--crawl {path}: empty file (0 bytes), no WARC or ARC record in it")
        if not has_record(path, cfg.max_page_bytes):
            raise UserError(f"--crawl {path}: no WARC or ARC record could be read from it (not a WARC/ARC file?)")


def run_pipeline(cfg: PipelineConfig) -> dict:
    """Run every stage, publish the dataset, write the report; returns the report dict."""
    files = cfg.warc_files()
    ground_truth = cfg.ground_truth_path()
    check_inputs(cfg, files)
    out = Path(cfg.out)
    prepare_out_dir(out, cfg.overwrite)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")  # datatrove's MinHash stages draw progress bars
    logger.info("align data: %d WARC file(s) → %s (%d worker(s))", len(files), out, cfg.workers)
    _preflight()
    timings = {}
    with quiet_datatrove():
        for name, stage in build_stages(cfg, out, files):
            if name != "1_filter" and not any((out / "work" / "filtered").glob("*.jsonl")):
                logger.warning("no document passed the filters; skipping %s", name)
                continue
            start = time.perf_counter()
            stage.run()
            timings[name] = round(time.perf_counter() - start, 3)
            logger.info("stage %s done in %.1fs", name, timings[name])
    _publish(out)
    report = build_report(out, ground_truth=ground_truth, timings=timings, config=cfg)
    if not cfg.keep_work:
        for sub in ("filtered", "minhash", "staging"):
            shutil.rmtree(out / "work" / sub, ignore_errors=True)
    (out / SUCCESS_MARKER).write_text(json.dumps({"finished": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n")
    return report


def load_web_dataset(out_dir: str | os.PathLike, split: str = "train"):
    """The dataset ``align data`` wrote to ``out_dir`` as a ``datasets.Dataset`` (column ``text``).

    Same as ``align.data.text.load_text_dataset(f"{out_dir}/data")``, after checking the run finished.
    """
    out = Path(out_dir)
    if not (out / SUCCESS_MARKER).exists():
        raise UserError(f"{out} holds no finished `align data` output (no {SUCCESS_MARKER})")
    return load_text_dataset(str(out / "data"), split=split)
