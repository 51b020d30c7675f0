"""Reading WARC files robustly: skip (and count) bad records, never lose the good ones around them.

datatrove's ``WarcReader`` stops at the first corrupt gzip member (warcio raises) and so loses every
record after it; it also silently drops non-UTF-8 pages whose charset detection fails. This reader
re-synchronises on the next gzip member (or ``WARC/1.`` header) after a bad record, decodes pages
with the declared or detected charset, and sorts out what it skips: binary, empty, huge, truncated.
Every skipped record is counted in the step's stats and, when an ``exclusion_writer`` is given,
written there (without its bytes) with the reason.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import logging
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from datatrove.data import Document
from datatrove.pipeline.readers.warc import WarcReader
from datatrove.pipeline.writers.disk_base import DiskWriter

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_MAGIC = b"WARC/1."
_SCAN_CHUNK = 1 << 20
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.IGNORECASE)
_HEADER_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_\-:.]+)", re.IGNORECASE)
# Browsers (WHATWG) read these labels as windows-1252; so do we, so 0x80-0x9f become “smart quotes”.
_CP1252_ALIASES = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "cp819"}
_RECORD_ERRORS = (Exception,)  # warcio raises ArchiveLoadFailed, zlib.error, EOFError, ValueError, …


@dataclass
class Payload:
    """The outcome of decoding one WARC record: either ``text`` or a ``skip`` reason."""

    url: str | None
    record_id: str | None
    date: str | None
    text: str | None = None
    skip: str | None = None
    charset: str | None = None


def _find_resync_point(f, start: int, gzipped: bool) -> int | None:
    """Offset of the next gzip member (or WARC header) at or after ``start``; None at end of file."""
    magic = _GZIP_MAGIC if gzipped else _WARC_MAGIC
    pos = start
    while True:
        f.seek(pos)
        chunk = f.read(_SCAN_CHUNK + len(magic))
        if not chunk:
            return None
        idx = chunk.find(magic)
        if idx >= 0:
            return pos + idx
        if len(chunk) <= len(magic):
            return None
        pos += len(chunk) - len(magic)


def iter_warc_records(f, max_bytes: int, on_error=None) -> Iterator[tuple[object, bytes | None, str | None]]:
    """Yield ``(record, payload_bytes_or_None, error_or_None)`` for every record warcio can parse in ``f``.

    ``f`` is the raw (still compressed) seekable file. On a parse/decompression error the error is
    reported through ``on_error(kind, offset, exc)`` and reading resumes at the next record boundary.
    The payload is read here (capped at ``max_bytes + 1``) so that read errors are caught here too.
    """
    head = f.read(2)
    f.seek(0, 2)
    file_size = f.tell()
    if head == _GZIP_MAGIC[:2]:
        yield from _iter_gzip_members(f, file_size, max_bytes, on_error)
    else:
        yield from _iter_stream(f, 0, file_size, max_bytes, on_error, gzipped=False)


def has_record(path: str, max_bytes: int) -> bool:
    """Whether at least one WARC/ARC record can be read from the file at ``path`` (reads up to the first one)."""
    with open(path, "rb") as f, contextlib.closing(iter_warc_records(f, max_bytes, lambda *_: None)) as records:
        return next(records, None) is not None


def _iter_gzip_members(f, file_size: int, max_bytes: int, on_error):
    """A gzipped WARC, one gzip member at a time: zlib checks each member whole (its CRC included) before warcio
    parses it, so a corrupt member is one bad region however its garbage happens to decode, and reading resumes at
    the next member that checks out. A member too large to hold (a whole file compressed as one stream) is read
    as a stream by warcio instead."""
    pos, in_bad_region = 0, False
    while pos is not None and pos < file_size:
        member, end, error = _read_gzip_member(f, pos, file_size, cap=max(4 * max_bytes, 64 << 20))
        if error == "too_large":
            yield from _iter_stream(f, pos, file_size, max_bytes, on_error, gzipped=True)
            return
        if error is not None:
            resume = _find_resync_point(f, pos + 1, gzipped=True)
            # The file ends inside this member: a truncated last record, unless another member follows (corrupt
            # deflate data can read on through the members after it without failing).
            if error == "truncated" and resume is None:
                if on_error and not in_bad_region:
                    on_error("truncated_record", pos, None)
                return
            if not in_bad_region and on_error:  # the candidates tried while resyncing are the same bad region
                on_error("corrupt_record", pos, error)
            in_bad_region, pos = True, resume
            continue
        try:
            records = list(_iter_stream(io.BytesIO(member), 0, len(member), max_bytes, None, gzipped=False))
        except _RECORD_ERRORS as err:
            records, error = [], err
        if error is not None or not records:  # a sound gzip member that holds no WARC record
            if not in_bad_region and on_error:
                on_error("corrupt_record", pos, error or "no WARC record in the gzip member")
            in_bad_region = True
            pos = _find_resync_point(f, pos + 1, gzipped=True)
            continue
        in_bad_region = False
        yield from records
        pos = end


def _read_gzip_member(f, pos: int, file_size: int, cap: int) -> tuple[bytes | None, int, object]:
    """Decompress the gzip member at ``pos``: ``(data, end offset, None)``, or ``(None, pos, error)`` with error
    ``"truncated"`` (the file ends inside it), ``"too_large"`` (more than ``cap`` bytes) or a zlib error."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip wrapper: the header and the CRC are checked
    out, size, read_pos = [], 0, pos
    f.seek(pos)
    try:
        while not inflater.eof:
            chunk = f.read(1 << 16)
            if not chunk:
                return None, pos, "truncated"
            read_pos += len(chunk)
            data = inflater.decompress(chunk)
            size += len(data)
            if size > cap:
                return None, pos, "too_large"
            out.append(data)
    except zlib.error as err:
        return None, pos, err
    return b"".join(out), read_pos - len(inflater.unused_data), None


def _iter_stream(f, pos: int, file_size: int, max_bytes: int, on_error, gzipped: bool):
    """warcio over ``f`` from ``pos``, resyncing after errors (uncompressed WARCs, a single gzip member's data,
    and gzip streams too large to check member by member)."""
    from warcio.archiveiterator import ArchiveIterator

    resynced = False
    while pos is not None and pos < file_size:
        f.seek(pos)
        it = ArchiveIterator(f, check_digests=False)
        record_start = None
        try:
            for record in it:
                # it.offset (absolute: warcio starts from fh.tell()), not get_record_offset(),
                # which reads the record to its end.
                record_start = it.offset
                resynced = False
                payload, error = None, None
                if record.rec_type in ("response", "conversion", "resource"):
                    payload = record.content_stream().read(max_bytes + 1)
                    # warcio hands out a record cut short by end of file as if whole: its block
                    # reader still expects bytes it will never get.
                    if len(payload) <= max_bytes and getattr(record.raw_stream, "limit", 0) > 0:
                        error = "truncated_record"
                yield record, payload, error
            # warcio stops quietly on a truncated last record; notice the unread tail.
            if it.offset < file_size and on_error:
                on_error("truncated_record", it.offset, None)
            return
        except _RECORD_ERRORS as err:  # noqa: PERF203 - the whole point is to survive this
            if on_error is None:  # the caller handles it (one gzip member: the member is the bad region)
                raise
            bad = record_start if record_start is not None else pos
            # A failure right at a resync point is the same bad region as the error that led there.
            if not (resynced and record_start is None):
                on_error("corrupt_record", bad, err)
            pos, resynced = _find_resync_point(f, bad + 1, gzipped), True
        finally:
            with contextlib.suppress(Exception):
                it.close()


def _http_content_type(record) -> str | None:
    if record.http_headers is not None:
        return record.http_headers.get_header("Content-Type")
    return None


def _mime(content_type: str | None) -> str | None:
    return content_type.split(";")[0].strip().lower() if content_type else None


def _normalise_charset(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    if label in _CP1252_ALIASES:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _looks_binary(data: bytes) -> bool:
    head = data[:2048]
    return b"\x00" in head or head.startswith((b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04"))


def decode_html(data: bytes, content_type: str | None) -> tuple[str | None, str | None]:
    """Decode page bytes: declared charset (HTTP, then <meta>), else UTF-8, else detected, else cp1252."""
    candidates = []
    match = _HEADER_CHARSET_RE.search(content_type or "")
    if match:
        candidates.append(_normalise_charset(match.group(1)))
    meta = _META_CHARSET_RE.search(data[:4096])
    if meta:
        candidates.append(_normalise_charset(meta.group(1).decode("ascii", "ignore")))
    candidates.append("utf-8")
    with contextlib.suppress(Exception):
        import cchardet

        candidates.append(_normalise_charset(cchardet.detect(data[:65536]).get("encoding")))
    candidates.append("cp1252")
    for charset in dict.fromkeys(c for c in candidates if c):
        try:
            return data.decode(charset), charset
        except (UnicodeDecodeError, LookupError):
            continue
    return None, None


def record_url(record) -> str | None:
    """The page's URL: ``WARC-Target-URI`` in a WARC record; an ARC record's header line carries it as ``uri``."""
    headers = record.rec_headers
    return headers.get_header("WARC-Target-URI") if record.format != "arc" else headers.get_header("uri")


def record_date(record) -> str | None:
    """``WARC-Date``, or an ARC record's 14-digit ``archive-date`` as the same ISO 8601 form."""
    from warcio.timeutils import timestamp_to_iso_date

    if record.format != "arc":
        return record.rec_headers.get_header("WARC-Date")
    stamp = record.rec_headers.get_header("archive-date")
    try:
        return timestamp_to_iso_date(stamp) if stamp else None
    except ValueError:  # a malformed date is no reason to lose the page
        return None


def decode_record(record, payload: bytes | None, max_bytes: int) -> Payload | None:
    """Turn a warcio record into a :class:`Payload`; None for records that are not pages (warcinfo, ARC file
    header…). ARC records have no record id: the reader names them by file and position."""
    headers = record.rec_headers
    if record.rec_type not in ("response", "conversion", "resource"):
        return None
    out = Payload(url=record_url(record), record_id=headers.get_header("WARC-Record-ID"), date=record_date(record))
    content_type = _http_content_type(record)
    if record.rec_type != "response":  # resource/conversion: the WARC header describes the payload itself
        content_type = content_type or headers.get_header("Content-Type")
    mime = _mime(headers.get_header("WARC-Identified-Payload-Type")) or _mime(content_type)
    if record.rec_type == "response" and record.http_headers is not None:
        status = record.http_headers.get_statuscode()
        if status and not status.startswith("2"):
            out.skip = f"http_{status}"
            return out
    if payload is None or not payload.strip():
        out.skip = "empty"
        return out
    if len(payload) > max_bytes:
        out.skip = "too_large"
        return out
    if record.rec_type == "conversion" and mime in (None, "text/plain"):
        out.text, out.charset = decode_html(payload, content_type)
    elif mime is not None and mime not in HTML_TYPES:
        out.skip = "non_html"
        return out
    elif _looks_binary(payload):
        out.skip = "binary"
        return out
    else:
        out.text, out.charset = decode_html(payload, content_type)
    if out.text is None:
        out.skip = "undecodable"
    elif not out.text.strip():
        out.skip = "empty"
    return out


class RobustWarcReader(WarcReader):
    """datatrove ``WarcReader`` that survives corrupt, truncated, binary, huge and non-UTF-8 records.

    Args (beyond WarcReader's):
        max_bytes: pages larger than this are skipped as ``too_large`` (Common Crawl truncates at 1 MiB).
        exclusion_writer: where skipped records go (text empty, ``metadata.skip_reason`` set).
    """

    name = "🕷 Warc (robust)"
    _requires_dependencies = ["warcio"]

    def __init__(self, data_folder, *args, max_bytes: int = 2 * 2**20, exclusion_writer: DiskWriter | None = None,
                 **kwargs):
        super().__init__(data_folder, *args, **kwargs)
        self.max_bytes = max_bytes
        self.exclusion_writer = exclusion_writer
        self._excluded = None

    def _exclude(self, filepath: str, index: int, reason: str, url=None, record_id=None) -> None:
        self.stat_update(f"skipped_{reason}")
        self.stat_update("skipped")
        if self._excluded is not None:
            doc = Document(text="", id=record_id or f"{filepath}/{index}",
                           metadata={"url": url, "file_path": filepath, "skip_reason": reason})
            self._excluded.write(doc, self._rank)

    def read_file(self, filepath: str):
        # Open without decompression: warcio reads gzip members itself, which is what lets us resync.
        compression = None if filepath.endswith((".gz", ".warc")) else self.compression
        with self.data_folder.open(filepath, "rb", compression=compression) as f:
            errors = []

            def on_error(kind, offset, exc):
                errors.append(kind)
                detail = str(exc).splitlines()[0][:60] if exc else "incomplete record at end of file"
                logger.warning("%s: %s at byte %d (%r); skipped, reading on", filepath, kind, offset, detail)

            index = 0
            for record, payload, error in iter_warc_records(f, self.max_bytes, on_error):
                while errors:
                    self._exclude(filepath, index, errors.pop(0))
                    index += 1
                if error:
                    index += 1
                    self._exclude(filepath, index, error, record_url(record),
                                  record.rec_headers.get_header("WARC-Record-ID"))
                    continue
                with self.track_time():
                    page = decode_record(record, payload, self.max_bytes)
                if page is None:
                    continue
                index += 1
                self.stat_update("records")
                if page.skip:
                    self._exclude(filepath, index, page.skip, page.url, page.record_id)
                    continue
                if page.charset not in (None, "utf-8"):
                    self.stat_update("decoded_non_utf8")
                data = {"text": page.text, "id": page.record_id or f"{filepath}/{index}", "url": page.url,
                        "date": page.date}
                document = self.get_document_from_dict(data, filepath, index)
                if document:
                    yield document
            for kind in errors:
                self._exclude(filepath, index, kind)

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        self._rank = rank
        with self.exclusion_writer if self.exclusion_writer else contextlib.nullcontext() as writer:
            self._excluded = writer
            yield from super().run(data, rank, world_size)
