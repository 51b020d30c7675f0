"""Audit trail of PII redaction: one row per document that had PII, under ``removed/pii/``."""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.writers.jsonl import JsonlWriter


def _audit_row(self, document: Document) -> dict:
    return {"id": document.id, "url": document.metadata.get("url"), "pii": document.metadata.get("pii", [])}


class PIIAuditWriter(JsonlWriter):
    """Writes ``{id, url, pii: [{type, text, start}]}`` for documents with PII and passes every document on.

    ``start`` is the placeholder's offset in the redacted text, so the original is recoverable with
    :func:`align.data.web.pii.unredact` (the report uses this to score against the ground truth).
    """

    name = "🧾 PII audit"

    def __init__(self, output_folder, output_filename: str | None = None):
        super().__init__(output_folder, output_filename=output_filename, adapter=_audit_row, expand_metadata=False)

    def write(self, document: Document, rank: int = 0, **kwargs):
        if document.metadata.get("pii"):
            super().write(document, rank, **kwargs)
