"""Recipe argument parsing: TRL's parser (YAML + command-line overrides) with one-line errors and a ``--help`` that
starts with how to run the recipe. The ``align`` verbs parse their options the same way (:mod:`align.cli_options`)."""

from __future__ import annotations

import os
import sys
import tempfile

import yaml

from align.cli_options import HelpFormatter, check_config_file, pop_option
from align.errors import UserError, exit_on_user_error, first_line
from align.hub.recipe import remember_recipe
from align.logging_utils import setup_logging
from align.model_dir import check_model_dir

USAGE = "%(prog)s --config FILE.yaml [--KEY VALUE ...]"
CONFIG_HELP = ("--config FILE.yaml: a YAML mapping of the options below, each without its dashes\n"
               "(the recipes/<model>/*.yaml files are ready to run).\n"
               "--run DIR: the run directory; ${run} in any value (YAML or command line) stands for it\n"
               "(default: the YAML's run key), so one recipe writes every stage of a run under one dir.")
RUN_PLACEHOLDER = "${run}"


def recipe_main(make_parser, train, doc: str):
    """A recipe's command line, ``main(argv=None)``: log to stderr, parse (:func:`parse_recipe_args`), ``train(*parsed)``;
    a user's mistake is one ``error:`` line and exit status 2."""

    @exit_on_user_error
    def main(argv: list[str] | None = None) -> None:
        setup_logging()
        train(*parse_recipe_args(make_parser(), argv, doc))

    return main


def parse_recipe_args(parser, argv: list[str] | None = None, doc: str | None = None) -> tuple:
    """``parser.parse_args_and_config`` where an unknown key, a missing or malformed config file or an invalid value
    raises :class:`UserError` instead of a traceback. ``doc`` (the recipe's docstring) heads ``--help``, after a
    one-line usage: the full argparse usage lists every option of the trainer's config (hundreds of lines)."""
    set_recipe_help(parser, doc)
    args = list(sys.argv[1:] if argv is None else argv)
    run = pop_option(args, "--run")
    config, config_path, config_text = None, None, None
    if "--config" in args:
        index = args.index("--config")
        if index + 1 >= len(args):
            raise UserError("--config needs a YAML file")
        config_path = args[index + 1]
        config = check_config_file(config_path)
        config_run = config.pop("run", None)
        run = run if run is not None else config_run
        config = expand_run(config, run, f"config {config_path}")
        config_text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=120)
    args = [expand_run(arg, run, "the command line") for arg in args]
    with tempfile.TemporaryDirectory() as tmp:
        if config is not None:  # TRL's parser reads the config from a file: the one with ${run} filled in
            expanded = os.path.join(tmp, "config.yaml")
            with open(expanded, "w", encoding="utf-8") as f:
                f.write(config_text)
            args[args.index("--config") + 1] = expanded
        try:
            parsed = parser.parse_args_and_config(args)
        except ValueError as err:
            message = first_line(err)
            if "Unknown arguments from config file" in message or "not used by the HfArgumentParser" in message:
                message = f"unknown config key(s): {message.split(':', 1)[1].strip()}"
            raise UserError(message) from err
    check_model_paths(parsed)

    if config is not None:
        args[args.index("--config") + 1] = config_path
    remember_recipe(parsed, args, config_text)  # for recipe.yaml and the model card
    return parsed


def expand_run(value, run: str | None, where: str):
    """``${run}`` in a value (strings, and inside lists and mappings) replaced by the run directory ``run``."""
    if isinstance(value, str):
        if RUN_PLACEHOLDER not in value:
            return value
        if run is None:
            raise UserError(f"{where}: {value!r} uses ${{run}}, but no run directory is set (a run key, or --run DIR)")
        return value.replace(RUN_PLACEHOLDER, str(run).rstrip("/"))
    if isinstance(value, list):
        return [expand_run(v, run, where) for v in value]
    if isinstance(value, dict):
        return {k: expand_run(v, run, where) for k, v in value.items()}
    return value


MODEL_OPTIONS = ("model_name_or_path", "reward_model", "value_model")


def check_model_paths(parsed: tuple) -> None:
    """Options naming a model that point at a local dir holding none (only a tokenizer, only checkpoints): one line
    before anything loads."""
    for obj in parsed:
        for option in MODEL_OPTIONS:
            value = getattr(obj, option, None)
            if isinstance(value, str):
                check_model_dir(value, option)


def set_recipe_help(parser, doc: str | None) -> None:
    """A short usage naming ``--config``, then ``doc`` and how the YAML and the options combine."""
    parser.usage = USAGE
    parser.description = "\n\n".join(part for part in ((doc or "").strip(), CONFIG_HELP) if part)
    parser.formatter_class = HelpFormatter


def yaml_option(value, name: str):
    """A structured option (a list of dicts, say) given on the command line as YAML/JSON text; else ``value``."""
    if not isinstance(value, str):
        return value
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError as err:
        raise UserError(f"{name}: not YAML/JSON ({first_line(err)})") from err
