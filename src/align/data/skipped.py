"""Rows left out of a dataset, and why — with ``skip_invalid_rows`` a bad row is skipped instead of stopping the run,
but never silently: the count, the reasons and the first row numbers (1-based) are logged, and the counts saved."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from align.errors import UserError

logger = logging.getLogger(__name__)

T = TypeVar("T")
SHOWN_ROWS = 5


@dataclass
class SkippedRows:
    """Rows of ``source`` skipped so far: reason -> 1-based row numbers; and rows that are not data at all (a
    labeller's tie or skip), by label."""

    source: str
    rows: dict[str, list[int]] = field(default_factory=dict)
    total: int = 0
    left_out: Counter = field(default_factory=Counter)

    def add(self, row: int, reason: str) -> None:
        # Indices inside a row (chosen[3], turn 2) would make every row its own reason: group them.
        self.rows.setdefault(re.sub(r"\d+", "N", reason), []).append(row)

    @property
    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def reasons(self) -> str:
        """``4 × rejected: empty (rows 3, 17, 40, 52, 61, …); 1 × chosen and rejected are the same (row 8)``"""
        parts = []
        for reason, rows in sorted(self.rows.items(), key=lambda kv: (-len(kv[1]), kv[1][0])):
            shown = ", ".join(str(r) for r in rows[:SHOWN_ROWS]) + (", …" if len(rows) > SHOWN_ROWS else "")
            parts.append(f"{len(rows)} × {reason} (row{'s' if len(rows) > 1 else ''} {shown})")
        return "; ".join(parts)

    def summary(self) -> str:
        return f"{self.source}: skipped {self.count} of {self.total} rows (skip_invalid_rows): {self.reasons()}"


def convert_rows(rows: Iterable[dict], source: str, convert: Callable[[dict, str], T], skip_invalid: bool = False,
                 leave_out: Callable[[dict], str | None] | None = None) -> tuple[list[T], SkippedRows]:
    """``convert(row, where)`` for every row, ``where`` being ``"SOURCE: row N"`` (1-based). A row it rejects with a
    :class:`UserError` stops the run, or with ``skip_invalid`` is left out and counted (logged once at the end).
    ``leave_out(row)`` names rows that are not data (counted by that name, logged)."""
    out, skipped = [], SkippedRows(source)
    for number, row in enumerate(rows, 1):
        skipped.total += 1
        label = leave_out(row) if leave_out else None
        if label:
            skipped.left_out[label] += 1
            continue
        where = f"{source}: row {number}"
        try:
            out.append(convert(row, where))
        except UserError as err:
            if not skip_invalid:
                raise
            skipped.add(number, str(err).removeprefix(f"{where}: "))
    _report(skipped, kept=len(out))
    return out, skipped


def _report(skipped: SkippedRows, kept: int) -> None:
    """Log what was left out; with nothing kept, raise the reason instead."""
    source = skipped.source
    if skipped.left_out:
        logger.info("%s: left out %s", source, ", ".join(f"{n} row{'s' * (n != 1)} labelled {k!r}"
                                                         for k, n in skipped.left_out.items()))
    if kept and skipped.count:
        logger.warning("%s", skipped.summary())
    if kept:
        return
    if skipped.count:
        raise UserError(f"{source}: no valid row: {skipped.reasons()}")
    if skipped.left_out:
        raise UserError(f"{source}: no data row, only rows labelled {', '.join(map(repr, skipped.left_out))}")
    raise UserError(f"{source}: the dataset is empty")
