"""PII redaction: emails, IPv4 addresses, phone numbers and street addresses → placeholders.

datatrove's ``PIIFormatter`` covers emails and *public* IPs and swaps in fake look-alikes; here every
match becomes a typed placeholder (``<EMAIL>``, ``<PHONE>``, ``<ADDRESS>``, ``<IP>``) so downstream
stages can see that something was removed, and phones and street addresses are covered too.
Each document's matches (type, text, offset in the redacted text) go to ``metadata["pii"]`` so an
audit writer can keep them; the final dataset writer drops that field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.typeshelper import StatHints

PLACEHOLDERS = {"email": "<EMAIL>", "ip": "<IP>", "phone": "<PHONE>", "address": "<ADDRESS>"}

# datatrove's email pattern (RFC 5322-ish), minus the bracketed-IP domain form.
_EMAIL = (r"\b[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
          r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}\b")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# not part of a longer dotted number (a version string like 1.2.3.4.5)
_IPV4 = rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)"
# +CC (area) NNN-NNNN, (NNN) NNN-NNNN, NNN-NNN-NNNN, NNN.NNN.NNNN, +44 20 7946 0958, +49 30 1234567 …
# part of a longer hyphen/dot-joined number (ISBN 978-3-16-148410-0, 1.2.3.4.5) is not a phone
_PHONE = (r"(?<![\w+\-.])(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{1,4}\)[\s.\-]?)?\d{2,4}(?:[\s.\-]\d{2,8}){1,4}"
          r"(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w\-]|\.\d)")
_STREET_TYPES = (r"(?:Street|Avenue|Road|Lane|Drive|Boulevard|Way|Court|Place|Terrace|Square|Close|Crescent|"
                 r"Parkway|Highway|Row|Hill|Gardens|Mews|Walk|Alley|Circle|Trail|Plaza|Quay|Wharf|Green|Grove|"
                 r"Park)\b|(?:St|Ave|Rd|Ln|Dr|Blvd|Ct|Pl|Sq|Pkwy|Hwy|Cir)\b\.?")
# 12 Mill Lane · 221B Baker Street · 1600 Pennsylvania Avenue NW · Apt/Suite and ", Town[, ST] 12345" tails
_ADDRESS = (rf"\b\d{{1,5}}[A-Za-z]?(?:\s+[A-Z][\w'’\-]*){{1,4}}\s+(?:{_STREET_TYPES})"
            r"(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?"
            r"(?:,?\s+(?:Apt|Apartment|Suite|Unit|Flat|Floor)\.?\s*#?\w+)?"
            r"(?:,\s+[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*){0,2}(?:,?\s+[A-Z]{2})?(?:\s+\d{5}(?:-\d{4})?)?"
            r"(?:\s+[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2})?)?")

PATTERNS = {
    "email": re.compile(_EMAIL),
    "ip": re.compile(_IPV4),
    "address": re.compile(_ADDRESS),
    "phone": re.compile(_PHONE),
}


def _plausible_phone(text: str) -> bool:
    """Reject digit runs that are dates, years, prices or plain numbers rather than phone numbers."""
    digits = sum(ch.isdigit() for ch in text)
    if not 7 <= digits <= 15:
        return False
    if text.startswith("+") or "(" in text:
        return digits >= 8
    groups = re.split(r"[\s.\-]", text)
    # "1999 2004 2010", "12.05.2023": year lists and dates are not phones
    if all(len(g) == 4 and g[:2] in ("19", "20") for g in groups if g.isdigit()):
        return False
    if re.fullmatch(r"\d{1,2}[./\-]\d{1,2}[./\-]\d{2,4}", text) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    return digits >= 9 or len(groups) >= 2 and digits >= 7 and "-" in text


@dataclass
class PIIMatch:
    type: str
    start: int  # in the original text
    end: int
    text: str


def find_pii(text: str, types=("email", "ip", "address", "phone")) -> list[PIIMatch]:
    """Non-overlapping PII matches, earlier types winning ties (an IP is not also a phone)."""
    taken: list[PIIMatch] = []
    for kind in types:
        for m in PATTERNS[kind].finditer(text):
            if kind == "phone" and not _plausible_phone(m.group(0)):
                continue
            if any(m.start() < t.end and t.start < m.end() for t in taken):
                continue
            taken.append(PIIMatch(kind, m.start(), m.end(), m.group(0)))
    return sorted(taken, key=lambda t: t.start)


def redact(text: str, matches: list[PIIMatch]) -> tuple[str, list[dict]]:
    """Replace matches by placeholders; return the text and [{type, text, start}] (start in the new text)."""
    out, records, pos, shift = [], [], 0, 0
    for m in matches:
        out.append(text[pos : m.start])
        placeholder = PLACEHOLDERS[m.type]
        records.append({"type": m.type, "text": m.text, "start": m.start + shift})
        out.append(placeholder)
        shift += len(placeholder) - (m.end - m.start)
        pos = m.end
    out.append(text[pos:])
    return "".join(out), records


def unredact(text: str, records: list[dict]) -> str:
    """Inverse of :func:`redact` (used by the report to recover the text the detector saw)."""
    out, pos = [], 0
    for r in records:
        placeholder = PLACEHOLDERS[r["type"]]
        out.append(text[pos : r["start"]])
        out.append(r["text"])
        pos = r["start"] + len(placeholder)
    out.append(text[pos:])
    return "".join(out)


class PIIRedactor(PipelineStep):
    """Replace emails, IPv4s, phone numbers and street addresses with placeholders.

    Args:
        types: which PII kinds to redact.
        keep_matches: store the matches in ``metadata["pii"]`` (for the audit trail and the report).
    """

    type = "✂️ - FORMAT"
    name = "📞 PII redaction"

    def __init__(self, types=("email", "ip", "address", "phone"), keep_matches: bool = True):
        super().__init__()
        self.types = tuple(types)
        self.keep_matches = keep_matches

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            self.stat_update(StatHints.total)
            with self.track_time():
                matches = find_pii(doc.text, self.types)
                if matches:
                    doc.text, records = redact(doc.text, matches)
                    self.stat_update("docs_with_pii")
                    for r in records:
                        self.stat_update(f"redacted_{r['type']}")
                    if self.keep_matches:
                        doc.metadata["pii"] = records
            yield doc
