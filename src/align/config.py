"""Recipe argument parsing: TRL's parser (YAML + command-line overrides) with one-line errors."""

from __future__ import annotations

import os

from align.errors import UserError, first_line


def parse_recipe_args(parser, argv: list[str] | None = None) -> tuple:
    """``parser.parse_args_and_config`` where an unknown key, a missing config file or an invalid value
    raises :class:`UserError` instead of a traceback."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if "--config" in args:
        index = args.index("--config")
        if index + 1 >= len(args):
            raise UserError("--config needs a YAML file")
        if not os.path.isfile(args[index + 1]):
            raise UserError(f"config {args[index + 1]}: no such file")
    try:
        parsed = parser.parse_args_and_config(args)
    except ValueError as err:
        message = first_line(err)
        if "Unknown arguments from config file" in message or "not used by the HfArgumentParser" in message:
            message = f"unknown config key(s): {message.split(':', 1)[1].strip()}"
        raise UserError(message) from err
    from align.hub.recipe import remember_recipe

    remember_recipe(parsed, args)  # for recipe.yaml and the model card
    return parsed


def yaml_option(value, name: str):
    """A structured option (a list of dicts, say) given on the command line as YAML/JSON text; else ``value``."""
    if not isinstance(value, str):
        return value
    import yaml

    try:
        return yaml.safe_load(value)
    except yaml.YAMLError as err:
        raise UserError(f"{name}: not YAML/JSON ({first_line(err)})") from err
