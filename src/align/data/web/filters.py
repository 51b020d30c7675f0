"""Filters datatrove lacks in an offline-usable form: a domain blocklist and py3langid language ID.

datatrove's ``URLFilter`` needs tldextract (which fetches the public-suffix list at run time) and
its ``LanguageFilter`` downloads a fastText model from the Hub; these two need nothing but the
package itself. Both follow datatrove's ``BaseFilter`` contract (keep/drop + reason, exclusion writer).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.filters.gopher_quality_filter import GopherQualityFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from align.errors import UserError

logger = logging.getLogger(__name__)

# py3langid takes ~1 s to load its model; cache it per process (forked workers inherit it).
_IDENTIFIERS: dict[tuple, object] = {}


def load_identifier(candidate_languages=None):
    """py3langid's identifier with normalised probabilities, optionally restricted to some labels."""
    key = tuple(candidate_languages or ())
    if key not in _IDENTIFIERS:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        if key:
            identifier.set_languages(list(key))
        _IDENTIFIERS[key] = identifier
    return _IDENTIFIERS[key]


def identifier_languages() -> list[str]:
    """The language codes the language identifier can label a page with (ISO 639-1 where a language has one)."""
    return sorted(set(load_identifier().nb_classes))


def check_languages(languages: Iterable[str]) -> None:
    """Raise a :class:`UserError` naming the first code the language identifier has no label for: a filter on it
    would drop every page."""
    known = identifier_languages()
    for code in languages:
        if code not in known:
            raise UserError(f"--languages: {code!r} is not a language code the language identifier knows; use one "
                            f"of {', '.join(known)}")


def read_blocklist(path: str | Path) -> set[str]:
    """Domains from a text file: one per line, ``#`` comments and blank lines ignored, case-folded."""
    domains = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().lower().rstrip(".")
        if line:
            # tolerate "http://host/path" and "*.host" entries
            if "://" in line:
                line = urlsplit(line).hostname or ""
            domains.add(line.removeprefix("*.").removeprefix("www."))
    return domains


def url_host(url: str | None) -> str | None:
    try:
        host = urlsplit(url or "").hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


class BlocklistURLFilter(BaseFilter):
    """Drop documents whose URL host is a blocklisted domain or a subdomain of one.

    Args:
        domains: blocklisted domains (``example.com`` also blocks ``www.example.com``, ``a.b.example.com``).
        blocklist_path: or a file of them (see :func:`read_blocklist`); both may be given.
    """

    name = "⛔ URL blocklist"

    def __init__(self, domains: Iterable[str] = (), blocklist_path: str | None = None,
                 exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.domains = {d.lower().strip() for d in domains if d.strip()}
        if blocklist_path:
            self.domains |= read_blocklist(blocklist_path)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        host = url_host(doc.metadata.get("url"))
        if host is None:
            return False, "no_url"
        parts = host.split(".")
        # host itself, then every parent domain: a.b.example.com → b.example.com → example.com → com
        if any(".".join(parts[i:]) in self.domains for i in range(len(parts))):
            return False, "blocklisted_domain"
        return True


class LangIdFilter(BaseFilter):
    """Keep documents whose py3langid language is in ``languages`` with probability ≥ ``threshold``.

    Stores ``language`` and ``language_score`` in the metadata of every document (kept or not), as
    datatrove's ``LanguageFilter`` does. The model ships inside the py3langid wheel.

    Args:
        languages: ISO 639-1 codes to keep; empty keeps every language (label only).
        threshold: minimum probability of the top language.
        candidate_languages: restrict the classifier to these labels (None: all 97 py3langid knows).
        max_chars: classify only the first characters, which is plenty and keeps huge pages cheap.
    """

    name = "🌍 Language ID (py3langid)"
    _requires_dependencies = ["py3langid"]

    def __init__(self, languages: Iterable[str] = ("en",), threshold: float = 0.65,
                 candidate_languages: Iterable[str] | None = None, max_chars: int = 3000,
                 exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.languages = {lang.lower() for lang in languages}
        self.threshold = threshold
        self.candidate_languages = list(candidate_languages) if candidate_languages else None
        self.max_chars = max_chars
        self._identifier = None

    @property
    def identifier(self):
        if self._identifier is None:
            self._identifier = load_identifier(self.candidate_languages)
        return self._identifier

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_identifier"] = None  # not pickled to worker processes
        return state

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        lang, score = self.identifier.classify(doc.text[: self.max_chars])
        doc.metadata["language"] = lang
        doc.metadata["language_score"] = round(float(score), 4)
        if self.languages and lang not in self.languages:
            return False, f"language_{lang}"
        if score < self.threshold:
            return False, "language_low_confidence"
        return True


# Gopher's stop-word rule counts English stop words (datatrove's list): a page in another language has none of them.
STOP_WORD_LANGUAGES = frozenset({"en"})


class LanguageAwareGopherQuality(GopherQualityFilter):
    """datatrove's ``GopherQualityFilter``, whose stop-word rule (at least ``min_stop_words`` of "the", "be", "to",
    "of", "and", "that", "have", "with") applies to English pages only: a page that language ID labelled otherwise
    passes or fails on the other rules, and is counted as ``stop_word_rule_skipped_<lang>`` in the step's stats (the
    report's notes)."""

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        language = doc.metadata.get("language") or "en"
        if language in STOP_WORD_LANGUAGES or not self.min_stop_words:
            return super().filter(doc)
        self.stat_update(f"stop_word_rule_skipped_{language}")
        min_stop_words, self.min_stop_words = self.min_stop_words, None  # one document; tasks are single-threaded
        try:
            return super().filter(doc)
        finally:
            self.min_stop_words = min_stop_words
