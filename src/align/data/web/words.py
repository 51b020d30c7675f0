"""A word/sentence tokenizer that ships with the package, for datatrove's quality filters and MinHash.

datatrove tokenizes English with spaCy (or NLTK punkt, whose data must be downloaded); neither is
available offline here, so the Gopher/C4 filters and MinHash get this regex tokenizer instead.
Pass an instance wherever datatrove takes ``language=`` (it accepts a ``WordTokenizer``).
"""

from __future__ import annotations

import re

from datatrove.utils.word_tokenizers import WordTokenizer

# Gopher (Rae et al. 2021) counts whitespace-delimited words; edge punctuation is stripped so that
# "town." is the stop-word-able "town", while a lone "-" or "..." stays a (symbol) word.
_EDGE_PUNCT = "\"'“”‘’«»()[]{}<>.,;:!?"
# A sentence ends at . ! ? (optionally followed by quotes/brackets) and whitespace, or at a newline.
_SENT_END_RE = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n+")


class RegexWordTokenizer(WordTokenizer):
    """Fast, dependency-free tokenizer for space-separated languages."""

    def __init__(self, language: str = "en"):
        super().__init__(language)

    def word_tokenize(self, text: str) -> list[str]:
        return [word.strip(_EDGE_PUNCT) or word for word in text.split()]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        spans, start = [], 0
        for match in _SENT_END_RE.finditer(text):
            if text[start : match.start()].strip():
                spans.append((start, match.start()))
            start = match.end()
        if text[start:].strip():
            spans.append((start, len(text)))
        return spans

    def sent_tokenize(self, text: str) -> list[str]:
        return [text[a:b].strip() for a, b in self.span_tokenize(text)]

    # datatrove caches on (text, language); make equal tokenizers hash alike so the cache is shared.
    def __hash__(self) -> int:
        return hash((type(self).__name__, self.language))

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.language == self.language
