"""Invented names from a syllable generator: unique tokens that are in no real model's memory."""

from __future__ import annotations

import random

_ONSETS = ["b", "br", "d", "dr", "f", "g", "gl", "k", "kr", "l", "m", "n", "p", "pr", "r", "s", "sk", "t", "tr",
           "v", "vr", "z", "th", "qu", "j", "h", "w", "zl", "st", "fl"]
_VOWELS = ["a", "e", "i", "o", "u", "a", "e", "o", "ai", "ou", "y"]
_CODAS = ["n", "r", "l", "s", "k", "th", "m", "x", "nd", "z"]

# Words that tokens must never equal (they occur in templates and filler text).
_RESERVED = {"the", "and", "man", "men", "sun", "run", "tin", "ten", "bin", "pin", "pan", "van", "ban", "fan", "den"}


class NameGen:
    """Draws unique name tokens; no token is a substring of another (case-insensitive)."""

    def __init__(self, rng: random.Random, reserved: set[str] | None = None):
        self.rng = rng
        self.taken: list[str] = []
        self.reserved = {w.lower() for w in (reserved or set())} | _RESERVED

    def _raw(self, n_syll: int) -> str:
        parts = []
        for i in range(n_syll):
            parts.append(self.rng.choice(_ONSETS) + self.rng.choice(_VOWELS))
            if (i == n_syll - 1 and self.rng.random() < 0.6) or self.rng.random() < 0.15:
                parts.append(self.rng.choice(_CODAS))
        return "".join(parts)

    def _ok(self, tok: str) -> bool:
        if len(tok) < 4 or len(tok) > 10 or tok in self.reserved:
            return False
        return not any(tok in t or t in tok for t in self.taken)

    def token(self, min_syll: int = 2, max_syll: int = 3, suffix: str = "") -> str:
        """A fresh lowercase token (with optional suffix) unused so far."""
        for _ in range(10_000):
            tok = self._raw(self.rng.randint(min_syll, max_syll)) + suffix
            if self._ok(tok):
                self.taken.append(tok)
                return tok
        raise RuntimeError("name space exhausted")

    def title(self, **kw) -> str:
        return self.token(**kw).capitalize()
