"""HTML → main text with trafilatura (datatrove's extractor), keeping what it dropped and why."""

from __future__ import annotations

import contextlib

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.extractors.base import ExtractorSandbox
from datatrove.pipeline.extractors.trafilatura import Trafilatura
from datatrove.pipeline.writers.disk_base import DiskWriter
from datatrove.utils.typeshelper import StatHints


class TrafilaturaExtractor(Trafilatura):
    """datatrove's ``Trafilatura`` step plus an ``exclusion_writer`` for pages that yield no text.

    ``deduplicate`` defaults to False here (datatrove: True): trafilatura's dedup is a per-process
    cache of paragraphs already seen, which makes the output depend on document order and worker
    count and strips near-duplicates before MinHash can see them. Near-dup removal is MinHash's job.
    Dropped pages are written with empty text (the HTML would bloat the audit trail) and a reason:
    ``no_text``, ``timeout`` or ``error``.
    """

    name = "⛏ Trafilatura"

    def __init__(self, favour_precision: bool = True, timeout: float = 5.0, deduplicate: bool = False,
                 exclusion_writer: DiskWriter | None = None, **kwargs):
        super().__init__(favour_precision=favour_precision, timeout=timeout, deduplicate=deduplicate, **kwargs)
        self.exclusion_writer = exclusion_writer

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        import logging

        # trafilatura logs an ERROR per empty/unparsable page; we count those as "no_text" instead
        logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
        with (
            self.exclusion_writer if self.exclusion_writer else contextlib.nullcontext() as writer,
            ExtractorSandbox(timeout=self.timeout, warmup_text="") as extractor,
        ):
            for doc in data:
                self.stat_update(StatHints.total)
                reason = None
                with self.track_time():
                    try:
                        try:
                            html = doc.text
                            doc.text = extractor.process_document(html, self.extract) or ""
                        except TimeoutError:
                            # once more in a fresh process: on a busy machine the sandbox's start-up
                            # alone can exceed the timeout; a page that really hangs fails again
                            doc.text = extractor.process_document(html, self.extract) or ""
                    except TimeoutError:
                        reason = "timeout"
                    except EOFError:  # the sandbox process died (e.g. OOM); it is restarted for the next page
                        reason = "error"
                    except Exception:  # noqa: BLE001 - one bad page must not stop the run
                        reason = "error"
                if reason is None and doc.text.strip():
                    self.stat_update(StatHints.forwarded)
                    self.update_doc_stats(doc)
                    yield doc
                    continue
                reason = reason or "no_text"
                self.stat_update(StatHints.dropped)
                self.stat_update(f"dropped_{reason}")
                if writer:
                    doc.text = ""
                    doc.metadata["filter_reason"] = reason
                    writer.write(doc, rank)
