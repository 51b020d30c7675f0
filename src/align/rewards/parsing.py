"""Final answers: the one a model states, the gold one, and whether they agree.

A stated answer is the last of these in the text:

- the project's format, a last line ``The answer is N.`` (any "answer is ...", to the end of its line);
- GSM8K's ``#### N``;
- LaTeX ``\\boxed{...}`` (balanced braces).

Plain numbers may carry thousands separators, ``$``, ``%`` and a trailing ``.``; ``a/b`` is a number too.
Anything else (``\\frac{1}{2}``, ``\\sqrt{2}``, ``x+1``) is compared with ``math_verify`` when it is installed,
else as a whitespace-normalised string. Nothing here raises on model text.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from dataclasses import dataclass

MAX_ANSWER_CHARS = 200
"""A stated answer longer than this is not an answer (and never reaches the symbolic parser)."""

_MARKER = re.compile(r"answer is[ \t]*:?|####|\\boxed\s*\{", re.IGNORECASE)
_LEADING_NUMBER = re.compile(r"\s*\$?\s*(-?[\d,]*\.?\d+)")
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+")
_FRACTION = re.compile(r"([-+]?\d+)\s*/\s*(\d+)")


def final_answer(value) -> str:
    """The project's answer line: ``The answer is N.``"""
    return f"The answer is {value}."


@dataclass(frozen=True)
class Answer:
    """An answer as written, and its numeric value when it is a plain number."""

    text: str
    value: float | None = None


def parse_number(text: str) -> float | None:
    """``text`` as a number when it is one: "1,234", "$5", "-3.", "50%", "3/4"; else None."""
    s = _clean(text)
    if _NUMBER.fullmatch(s):
        return _finite(float(s.replace(",", "")))
    fraction = _FRACTION.fullmatch(s)
    if fraction and int(fraction.group(2)) != 0:
        return _finite(int(fraction.group(1)) / int(fraction.group(2)))
    return None


def _clean(text: str) -> str:
    s = text.strip().replace("\u2212", "-").replace("{,}", ",").replace("\\!", "").replace("\\,", "")
    s = s.strip("*").strip()
    for prefix in ("\\$", "$"):
        s = s.removeprefix(prefix)
    for suffix in (".", "\\$", "$", "\\%", "%"):
        s = s.removesuffix(suffix).strip()
    return s.replace("$", "", 1) if s.startswith("-$") else s


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def extract_final(text: str) -> str | None:
    """The last stated answer in ``text`` as written (see the module docstring), or None."""
    if not isinstance(text, str):
        return None
    markers = list(_MARKER.finditer(text))
    for marker in reversed(markers[-20:]):
        if marker.group().startswith("\\"):
            candidate = _braced(text, marker.end())
        else:
            candidate = text[marker.end():marker.end() + MAX_ANSWER_CHARS + 1].split("\n", 1)[0]
        if candidate is not None:
            candidate = candidate.strip()
            if candidate.endswith("."):
                candidate = candidate[:-1].rstrip()
            if 0 < len(candidate) <= MAX_ANSWER_CHARS:
                return candidate
    return None


def _braced(text: str, start: int) -> str | None:
    """The text from ``start`` to the brace that closes the one just before it (None when unbalanced)."""
    depth = 1
    for i in range(start, min(len(text), start + MAX_ANSWER_CHARS + 1)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start:i]
    return None


def extract_prediction(text: str) -> Answer | None:
    """The model's final answer in ``text`` (None when it states none)."""
    written = extract_final(text)
    if written is None:
        return None
    value = parse_number(written)
    if value is None and not written.lstrip().startswith("\\"):
        leading = _LEADING_NUMBER.match(written)  # "42 apples", "12 (twelve)"
        if leading:
            value = parse_number(leading.group(1))
    return Answer(written, value)


def parse_gold(gold) -> Answer | None:
    """A gold answer (int, float or str; GSM8K solutions ending in ``#### N`` too); None when unusable: not a
    finite number, and as text neither a number nor a formula (a digit or a LaTeX command, balanced braces)."""
    if isinstance(gold, bool):
        return None
    if isinstance(gold, (int, float)):
        try:
            value = _finite(float(gold))
        except OverflowError:
            return None
        return None if value is None else Answer(str(gold), value)
    if not isinstance(gold, str):
        return None
    text = gold.rsplit("####", 1)[1] if "####" in gold else gold
    text = text.strip()
    if not text or len(text) > MAX_ANSWER_CHARS:
        return None
    value = parse_number(text)
    if value is not None:
        return Answer(text, value)
    if not _looks_mathematical(text):
        return None
    parsed = _symbolic(text)
    if parsed is None:  # math_verify not installed: compare as strings
        return Answer(text)
    return Answer(text) if parsed else None


def _looks_mathematical(text: str) -> bool:
    """Has a digit or a LaTeX command, and balanced braces: free text ("see above", "}{") is no gold answer."""
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0 and any(c.isdigit() or c == "\\" for c in text)


def answers_match(predicted: Answer | None, gold: Answer | None) -> bool:
    """True when the predicted answer equals the gold one (numerically, symbolically, or as text)."""
    if predicted is None or gold is None:
        return False
    if predicted.value is not None and gold.value is not None:
        return math.isclose(predicted.value, gold.value, rel_tol=1e-9, abs_tol=1e-6)
    gold_parsed, predicted_parsed = _symbolic(gold.text), _symbolic(predicted.text)
    if gold_parsed is None or predicted_parsed is None:
        return _normalise(predicted.text) == _normalise(gold.text)
    if not gold_parsed or not predicted_parsed:
        return False
    try:
        from math_verify import verify

        return bool(verify(gold_parsed, predicted_parsed, timeout_seconds=_timeout()))
    except Exception:  # noqa: BLE001 - a symbolic comparison that fails is a wrong answer, not a crash
        return False


def grade(text: str, gold) -> bool | None:
    """THE math grader, shared by the GRPO reward and every evaluation: does the last answer stated in ``text``
    equal ``gold``? None when the gold answer itself cannot be parsed (the row cannot be graded)."""
    expected = parse_gold(gold)
    if expected is None:
        return None
    return answers_match(extract_prediction(text), expected)


def _normalise(text: str) -> str:
    return "".join(_clean(text).split()).lower()


def _timeout() -> int | None:
    """math_verify times out with SIGALRM, which only works in the main thread."""
    return 5 if threading.current_thread() is threading.main_thread() else None


@functools.lru_cache(maxsize=4096)
def _symbolic(text: str) -> list | None:
    """math_verify's parse of ``text`` as LaTeX ([] when it finds nothing); None when math_verify is missing."""
    try:
        from math_verify import parse
    except ImportError:
        return None
    try:
        return list(parse(f"${text}$", parsing_timeout=_timeout()))
    except Exception:  # noqa: BLE001 - math_verify on arbitrary text: anything it cannot parse is no answer
        return []
