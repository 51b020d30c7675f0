"""`align report --run runs/RUN`: the report card (markdown + PNG plots) of a run's stages."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser("report", help="write the report card of a run (markdown + plots)")
    parser.add_argument("--run", action="append", default=None,
                        help="the run directory (default runs/tiny-world); repeat it for one card with a column set "
                             "per run, e.g. --run runs/tiny-world --run runs/smollm2")
    parser.add_argument("--out", default=None, help="output directory (default: the first RUN's report/)")
    parser.set_defaults(func=_report)


def _report(args) -> int:
    from align.report import write_report

    path = write_report(args.run or ["runs/tiny-world"], args.out)
    sys.stdout.write(path.read_text())
    sys.stdout.write(f"\n(written to {path})\n")
    return 0
