"""Configuration of the web data pipeline, and resolving its inputs (crawl files, ground truth)."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path

from align.errors import UserError
from align.world import BLOCKLIST_PATH

WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
GROUND_TRUTH_NAME = "ground_truth.jsonl"


def default_blocklist() -> str | None:
    """The tiny world's domain blocklist (shipped with the package; None if a trimmed install left it out)."""
    return str(BLOCKLIST_PATH) if Path(BLOCKLIST_PATH).is_file() else None


@dataclass
class MinhashSettings:
    """MinHash LSH over word 8-grams, 60 bands of 7 hashes (420 hashes per document).

    Chosen on the tiny world's crawls (seeds 0 and 1), whose pages are short and share template
    sentences: datatrove's default (5-grams, 14×8) found 94% of the planted near-duplicates; 5-grams
    at 20×5 found all of them but also merged hundreds of distinct pages that only share boilerplate
    sentences. Longer shingles discount shared sentences; 60×7 puts the LSH threshold near Jaccard
    0.53 (P(candidate) ≈ 0.5 at J=0.53, 0.82 at 0.6, 0.95 at 0.65), which caught 97.8% on both seeds.
    """

    n_grams: int = 8
    num_buckets: int = 60
    hashes_per_bucket: int = 7
    seed: int = 1


@dataclass
class QualitySettings:
    """Thresholds of the Gopher repetition/quality and C4 filters (datatrove's argument names).

    ``fineweb`` is datatrove's defaults (Gopher paper, C4), for real web crawls. ``lenient`` (the
    default, for the tiny world's short pages of 15–80 words) relaxes what short, clean pages trip
    over: the 50-word minimum, the n-gram repetition shares (a name said 4 times in 40 words, a forum
    reply quoting a sentence), the
    alphabetic-word share (math pages), and C4's 5-sentence minimum. Spam and gibberish still fail.
    """

    min_doc_words: int = 50
    min_stop_words: int = 2
    max_non_alpha_words_ratio: float = 0.8
    top_n_grams: tuple = ((2, 0.2), (3, 0.18), (4, 0.16))
    dup_n_grams: tuple = ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10))
    c4_min_sentences: int = 5

    @classmethod
    def preset(cls, name: str) -> QualitySettings:
        if name == "fineweb":
            return cls()
        if name == "lenient":
            return cls(min_doc_words=15, min_stop_words=1, max_non_alpha_words_ratio=0.6,
                       top_n_grams=((2, 0.35), (3, 0.35), (4, 0.35)), c4_min_sentences=2,
                       dup_n_grams=((5, 0.3), (6, 0.29), (7, 0.28), (8, 0.27), (9, 0.26), (10, 0.25)))
        raise UserError(f"--quality {name!r}: choose one of {', '.join(QUALITY_PRESETS)}")


QUALITY_PRESETS = ("lenient", "fineweb")


@dataclass
class PipelineConfig:
    """Everything ``align data`` needs; the CLI fills it from flags."""

    crawl: str
    """A directory of WARC files (searched recursively), one WARC file, or a glob of them."""
    out: str
    """Output directory: ``data/`` (parquet), ``removed/<step>/``, ``report.md``/``report.json``."""
    blocklist: str | None = field(default_factory=default_blocklist)
    """File of blocklisted domains, one per line; None disables URL filtering."""
    languages: tuple[str, ...] = ("en",)
    language_threshold: float = 0.65
    workers: int = 1
    ground_truth: str | None = None
    """``ground_truth.jsonl``; None looks for one beside the WARC files."""
    max_page_bytes: int = 2 * 2**20
    extraction_timeout: float = 5.0
    quality: QualitySettings = field(default_factory=lambda: QualitySettings.preset("lenient"))
    gopher_repetition: bool = True
    gopher_quality: bool = True
    c4_quality: bool = True
    pii: bool = True
    minhash: MinhashSettings = field(default_factory=MinhashSettings)
    overwrite: bool = False
    keep_work: bool = False
    """Keep the intermediate files under ``OUT/work`` (filtered jsonl, MinHash signatures)."""

    def warc_files(self) -> list[str]:
        """The WARC files to read, sorted; raises :class:`UserError` if there are none."""
        return resolve_warc_files(self.crawl)

    def ground_truth_path(self) -> str | None:
        if self.ground_truth:
            if not os.path.isfile(self.ground_truth):
                raise UserError(f"--ground_truth {self.ground_truth}: no such file")
            return self.ground_truth
        files = self.warc_files()
        candidate = Path(os.path.commonpath([os.path.dirname(f) for f in files])) / GROUND_TRUTH_NAME
        return str(candidate) if candidate.is_file() else None


def resolve_warc_files(crawl: str) -> list[str]:
    """A directory (recursive), a single file, or a glob → absolute, sorted WARC paths."""
    path = Path(crawl)
    if path.is_dir():
        files = [str(p) for p in path.rglob("*") if p.is_file() and p.name.endswith(WARC_SUFFIXES)]
        where = f"directory {crawl}"
    elif path.is_file():
        files = [str(path)]
        where = crawl
    else:
        files = [f for f in glob.glob(crawl, recursive=True) if os.path.isfile(f)]
        if not files and not glob.has_magic(crawl):
            raise UserError(f"--crawl {crawl}: no such file or directory")
        where = f"pattern {crawl}"
    if not files:
        raise UserError(f"--crawl: no WARC files ({', '.join(WARC_SUFFIXES)}) in {where}")
    return sorted(os.path.abspath(f) for f in files)
