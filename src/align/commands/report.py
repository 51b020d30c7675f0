"""`align report --run runs/RUN`: the report card (markdown + PNG plots) of a run's stages."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from align.cli_options import add_verb, option


@dataclass
class ReportOptions:
    run: list[str] | None = option(None, "the run directory (default runs/tiny-world); several make one card with a "
                                         "column set per run, e.g. --run runs/tiny-world --run runs/smollm2",
                                   action="extend")
    out: str | None = option(None, "output directory (default: the first run's report/)")


def register(subparsers) -> None:
    add_verb(subparsers, "report", ReportOptions, _report, help="write the report card of a run (markdown + plots)")


def _report(args) -> int:
    from align.report import write_report

    path = write_report(args.run or ["runs/tiny-world"], args.out)
    sys.stdout.write(path.read_text())
    sys.stdout.write(f"\n(written to {path})\n")
    return 0
