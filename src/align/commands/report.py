"""`align report --run runs/RUN`: the report card (markdown + PNG plots) of a run's stages."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser("report", help="write the report card of a run (markdown + plots)")
    parser.add_argument("--run", default="runs/tiny-world", help="the run directory")
    parser.add_argument("--out", default=None, help="output directory (default: RUN/report)")
    parser.set_defaults(func=_report)


def _report(args) -> int:
    from align.report import write_report

    path = write_report(args.run, args.out)
    sys.stdout.write(path.read_text())
    sys.stdout.write(f"\n(written to {path})\n")
    return 0
