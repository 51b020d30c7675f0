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
import re
import typing
from collections.abc import Callable

import yaml

from align.errors import UserError, first_line


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The description as written (its example command lines), the options with their defaults."""


class VerbHelpFormatter(HelpFormatter):
    """No "(default: None)": an option without a default says in its help what happens when it is not given."""

    def _get_help_string(self, action):
        return action.help if action.default is None else super()._get_help_string(action)


_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")  # argparse's own rule
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
    ``--max-new-tokens``), the options of ``--config FILE.yaml`` where the command line does not set them.
    ``positional``: a ``list[str]`` field that also takes the words given without a flag (``align generate --model
    DIR Once upon a time``; after ``--`` everything is words). A mistake (unknown option or config key, a missing
    required option, a bad value) is one line naming it: argparse's usage and error, or a :class:`UserError`."""
    if positional is not None:
        description = f"{description}\n\nWords after the options (all of them after --) are the {positional}."
    parser = _verb_parser(options, switches=positional is not None, prog=prog, allow_abbrev=False,
                          description=f"{description}\n\n{VERB_CONFIG_HELP}", formatter_class=VerbHelpFormatter)
    args, words = list(argv), []
    if positional is not None and "--" in args:
        cut = args.index("--")
        args, words = args[:cut], args[cut + 1 :]
    config_path = pop_option(args, "--config")
    if config_path is not None:  # the file's options as flags, before the command line's: argparse checks both alike
        args = config_flags(options, config_path, given=args, switches=positional is not None) + args
    parsed, rest = parser.parse_args_into_dataclasses(args, return_remaining_strings=True, look_for_args_file=False)
    flags = [a for a in rest if _is_flag(a)]
    if flags or (rest and positional is None):
        raise UserError(f"unknown option(s) or argument(s): {' '.join(flags or rest)} (see {prog} --help)")
    if positional is not None:
        setattr(parsed, positional, list(getattr(parsed, positional) or []) + rest + words)
        if not getattr(parsed, positional):
            raise UserError(f"{prog}: give the {positional} (as words, or --{positional} ...)")
    return parsed


def config_flags(options: type, path: str, given: list[str], switches: bool) -> list[str]:
    """The options of the YAML file ``path`` as command-line flags, leaving out those the command line ``given``
    sets (it wins, lists included)."""
    config = check_config_file(path)
    types = typing.get_type_hints(options)
    unknown = sorted(set(config) - set(types))
    if unknown:
        raise UserError(f"config {path}: unknown key(s) {', '.join(unknown)} (options: {', '.join(sorted(types))})")
    on_command_line = {a.split("=", 1)[0][2:].replace("-", "_") for a in given if a.startswith("--")}
    flags = []
    for key, value in config.items():
        if key in on_command_line or value is None:
            continue
        is_list = typing.get_origin(types[key]) is list or list in map(typing.get_origin, typing.get_args(types[key]))
        if types[key] is bool:
            if not isinstance(value, bool):
                raise UserError(f"config {path}: {key}: expected true or false, got {value!r}")
            flags += ([f"--{key}"] if value else []) if switches else [f"--{key}={value}"]
        elif isinstance(value, list):
            if not is_list:
                raise UserError(f"config {path}: {key}: expected one value, got a list")
            flags += [f"--{key}", *map(str, value)]
        elif isinstance(value, dict):
            raise UserError(f"config {path}: {key}: expected a value, got a mapping")
        else:  # --key=value: a value starting with a dash stays a value
            flags.append(f"--{key}={value}")
    return flags


def _is_flag(arg: str) -> bool:
    """What argparse takes for an option: a leading dash, unless it is a negative number or holds a space."""
    return arg.startswith("-") and arg != "-" and " " not in arg and not _NEGATIVE_NUMBER.match(arg)


def _verb_parser(options: type, switches: bool, **kwargs):
    """transformers' ``HfArgumentParser`` for ``options``. With ``switches``, a bool option that defaults to False
    takes no value (``--no_color``): HfArgumentParser's ``--flag [BOOL]`` would take the words after it (``align
    tokenizer show --no_color some text``) as its value; other verbs keep ``--flag`` / ``--flag false``."""
    from transformers import HfArgumentParser  # only when a verb runs: `align --help` stays instant

    class VerbParser(HfArgumentParser):
        @staticmethod
        def _parse_dataclass_field(parser, field):
            if switches and field.type is bool and field.default is False:
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
