"""FineWeb-style web data pipeline on datatrove: WARC → URL filter → trafilatura → language ID →
Gopher/C4 quality → MinHash near-dedup → PII redaction → parquet dataset + report.

One concern per module: ``warc`` (robust reading), ``filters`` (blocklist, language ID), ``extract``,
``words`` (offline tokenizer for datatrove's filters), ``dedup``, ``pii``, ``audit``, ``pipeline``
(the datatrove executors), ``report``/``report_md``, ``config``, ``synth`` (test crawls).
"""
