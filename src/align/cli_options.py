"""The options of the ``align`` verbs, parsed the way the recipes parse theirs: each verb's options are a dataclass,
given as snake_case flags (the kebab-case spelling, ``--max-new-tokens``, works too) or as keys of a
``--config FILE.yaml`` (the command line wins), parsed by transformers' ``HfArgumentParser`` (which TRL's recipe
parser extends); a mistake is one line naming it. Low in the layers (no align module but ``errors``), so every
package's verb can use it.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
from collections.abc import Callable

import yaml

from align.errors import UserError, first_line


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The description as written (its example command lines), the options with their defaults."""


VERB_CONFIG_HELP = ("--config FILE.yaml: a YAML mapping of the options below, each without its dashes; the command "
                    "line wins over it.")


def option(default=dataclasses.MISSING, help: str | None = None, **argparse_kwargs):
    """A dataclass field for a verb's option: its default (none: required), help and other ``add_argument`` keywords
    (``choices``, ``metavar``), in transformers' ``field(metadata=...)`` convention."""
    return dataclasses.field(default=default, metadata={"help": help, **argparse_kwargs})


def add_verb(subparsers, name: str, options: type, run: Callable, help: str, description: str | None = None,
             positional: str | None = None) -> None:
    """Register the verb ``name``: its options are the dataclass ``options``, parsed (:func:`parse_verb_args`) when the
    verb runs, then ``run(parsed)``. Building the verb costs nothing (``align --help`` starts without torch or
    transformers): the top-level parser hands the verb's arguments on unparsed."""
    parser = subparsers.add_parser(name, help=help, add_help=False)  # its own parser answers --help
    parser.set_defaults(func=functools.partial(_run_verb, options, run, parser.prog, description or help, positional))


def _run_verb(options: type, run: Callable, prog: str, description: str, positional: str | None,
              argv: list[str]) -> int:
    return run(parse_verb_args(options, argv, prog, description, positional))


def parse_verb_args(options: type, argv: list[str], prog: str = "align", description: str | None = None,
                    positional: str | None = None):
    """``argv`` as an instance of the dataclass ``options``: flags named after its fields (``--max_new_tokens`` or
    ``--max-new-tokens``), defaults from ``--config FILE.yaml``. ``positional``: a ``list[str]`` field that also
    takes the words given without a flag (``align generate --model DIR Once upon a time``). A mistake (unknown
    option or config key, a missing required option, a bad value) is a :class:`UserError` naming it."""
    parser = _verb_parser(options, prog=prog, description=f"{description}\n\n{VERB_CONFIG_HELP}",
                              formatter_class=HelpFormatter)
    args = list(argv)
    config_path = pop_option(args, "--config")
    if config_path is not None:
        config = check_config_file(config_path)
        fields = {f.name for f in dataclasses.fields(options)}
        unknown = sorted(set(config) - fields)
        if unknown:
            raise UserError(f"config {config_path}: unknown key(s) {', '.join(unknown)} (options: "
                            f"{', '.join(sorted(fields))})")
        for action in parser._actions:  # a required option the config sets is given
            if action.dest in config:
                action.required = False
        parser.set_defaults(**config)
    # a bad value or a missing required option: argparse's usage line and error, exit status 2
    parsed, rest = parser.parse_args_into_dataclasses(args, return_remaining_strings=True)
    flags = [a for a in rest if a.startswith("-")]
    if flags or (rest and positional is None):
        raise UserError(f"unknown option(s) or argument(s): {' '.join(flags or rest)} (see {prog} --help)")
    if positional is not None:
        setattr(parsed, positional, list(getattr(parsed, positional) or []) + rest)
        if not getattr(parsed, positional):
            raise UserError(f"{prog}: give the {positional} (as words, or --{positional} ...)")
    return parsed


def _verb_parser(options: type, **kwargs):
    """transformers' ``HfArgumentParser`` for ``options``, where a bool option that defaults to False is a switch
    (``--overwrite``): HfArgumentParser's ``--flag [BOOL]`` would take the words after it (``align tokenizer show
    --no_color some text``) as its value."""
    from transformers import HfArgumentParser  # only when a verb runs: `align --help` stays instant

    class VerbParser(HfArgumentParser):
        @staticmethod
        def _parse_dataclass_field(parser, field):
            if field.type is bool and field.default is False:
                names = dict.fromkeys([f"--{field.name}", f"--{field.name.replace('_', '-')}"])
                parser.add_argument(*names, dest=field.name, action="store_true", help=field.metadata.get("help"))
                return
            HfArgumentParser._parse_dataclass_field(parser, field)

    return VerbParser(options, **kwargs)


def pop_option(args: list[str], option: str) -> str | None:
    """Remove ``option VALUE`` (or ``option=VALUE``) from ``args``; its value, or None."""
    for i, arg in enumerate(args):
        if arg == option:
            if i + 1 >= len(args):
                raise UserError(f"{option} needs a value")
            value = args[i + 1]
            del args[i : i + 2]
            return value
        if arg.startswith(option + "="):
            del args[i]
            return arg.split("=", 1)[1]
    return None


def check_config_file(path: str) -> dict:
    """The config file's mapping, when it exists and parses as YAML; else one line naming the file, line and
    column."""
    if not os.path.isfile(path):
        raise UserError(f"config {path}: no such file")
    try:
        with open(path, encoding="utf-8") as f:
            config = yaml.safe_load(f)
    except UnicodeDecodeError as err:
        raise UserError(f"config {path}: not UTF-8 text ({first_line(err)})") from err
    except yaml.YAMLError as err:
        raise UserError(f"config {path}: {yaml_error_text(err)}") from err
    if not isinstance(config, dict):
        raise UserError(f"config {path}: expected a mapping of option: value, got "
                        f"{'nothing' if config is None else type(config).__name__}")
    return config


def yaml_error_text(err) -> str:
    """``line L, column C: not valid YAML: <problem> (<context> at line L', column C')`` from a PyYAML error."""
    mark, problem = getattr(err, "problem_mark", None), getattr(err, "problem", None) or first_line(err)
    text = (f"line {mark.line + 1}, column {mark.column + 1}: " if mark else "") + f"not valid YAML: {problem}"
    context, context_mark = getattr(err, "context", None), getattr(err, "context_mark", None)
    if context and context_mark is not None:
        text += f" ({context} at line {context_mark.line + 1}, column {context_mark.column + 1})"
    return text
