"""`align <verb>`: the command line. Each verb lives in its own module and registers itself here with its options
as a dataclass (:func:`align.cli_options.add_verb`); this parser only picks the verb and hands it the rest."""

from __future__ import annotations

import argparse
import importlib
import sys

from align.errors import exit_on_user_error
from align.logging_utils import setup_logging

# verb -> module exposing ``register(subparsers)``; kept light so `align --help` is fast.
COMMAND_MODULES = [
    "align.commands.tokenizer",
    "align.commands.generate",
    "align.commands.convert",
    "align.commands.chat",
    "align.world.cli",
    "align.data.cli",
    "align.commands.preferences",
    "align.commands.eval",
    "align.commands.report",
    "align.commands.push",
    "align.commands.ui",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="align", description="Make a chat assistant stage by stage.")
    subparsers = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


@exit_on_user_error
def main(argv: list[str] | None = None) -> int:
    args, rest = build_parser().parse_known_args(argv)
    setup_logging()
    result = args.func(rest)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
