"""Every `align` verb parses a dataclass the way the recipes do: snake_case flags (kebab-case works too), a
``--config FILE.yaml`` with the same keys under the command line, one line for a mistake."""

import dataclasses
import json
import subprocess
import sys

import pytest
from conftest import run_cli

from align.cli import build_parser, main
from align.cli_options import parse_verb_args
from align.errors import UserError


def leaf_verbs(parser, prefix=()):
    """(words, options dataclass) of every verb, through the nested ones (`world crawl`)."""
    for action in parser._subparsers._group_actions:
        for name, sub in action.choices.items():
            func = sub.get_default("func")
            if func is not None:
                yield (*prefix, name), func.args[0]
            else:
                yield from leaf_verbs(sub, (*prefix, name))


def test_every_verb_has_a_dataclass_of_options_with_help_and_answers_help():
    verbs = dict(leaf_verbs(build_parser()))
    assert {("eval",), ("world", "crawl"), ("tokenizer", "train"), ("data",), ("preferences",)} <= set(verbs)
    for words, options in verbs.items():
        assert dataclasses.is_dataclass(options), words
    out = subprocess.run([sys.executable, "-m", "align.cli", "eval", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--reward_model" in out.stdout and "knowledge_in_context" in out.stdout
    assert "--config FILE.yaml" in out.stdout


def test_config_file_flags_and_their_kebab_spelling_give_the_same_options(tmp_path):
    from align.data.preferences.config import PreferenceBuildConfig

    snake = parse_verb_args(PreferenceBuildConfig, ["--model", "m", "--out", "o", "--heldout_prompts", "7",
                                                    "--min_margin", "0.25", "--overwrite"])
    kebab = parse_verb_args(PreferenceBuildConfig, ["--model", "m", "--out", "o", "--heldout-prompts", "7",
                                                    "--min-margin", "0.25", "--overwrite"])
    config = tmp_path / "prefs.yaml"
    config.write_text("model: m\nout: o\nheldout_prompts: 3\nmin_margin: 0.25\noverwrite: true\n")
    from_yaml = parse_verb_args(PreferenceBuildConfig, ["--config", str(config), "--heldout_prompts", "7"])
    assert snake == kebab == from_yaml  # the command line wins over the file (7, not 3)
    assert snake.heldout_prompts == 7 and snake.overwrite is True and snake.prompts == 200


def test_a_verb_runs_from_a_config_file(tmp_path, capsys):
    config = tmp_path / "crawl.yaml"
    config.write_text(f"out: {tmp_path / 'crawl'}\npages: 40\nseed: 3\n")
    code, out, err = run_cli(main, ["world", "crawl", "--config", str(config)], capsys)
    assert code == 0, err
    assert "wrote 40 pages" in out and (tmp_path / "crawl" / "ground_truth.jsonl").is_file()
    assert json.loads((tmp_path / "crawl" / "world.json").read_text())["config"]["seed"] == 3


@pytest.mark.parametrize("argv, message", [
    (["world", "crawl", "--config", "{config}"], "unknown key(s) page"),
    (["world", "crawl", "--out", "x", "--bogus", "1"], "unknown option(s) or argument(s): --bogus"),
    (["world", "crawl", "--config", "{missing}"], "no such file"),
    (["preferences", "--model", "m", "--out", "o", "--samples", "1"], "samples must be at least 2"),
    (["world", "crawl", "--config", "{switch}"], "expected one value, got a list"),
])
def test_a_mistake_is_one_line_and_exit_2(tmp_path, capsys, argv, message):
    config, switch = tmp_path / "bad.yaml", tmp_path / "list.yaml"
    config.write_text("out: x\npage: 40\n")
    switch.write_text("out: [x, y]\n")
    argv = [a.format(config=config, missing=tmp_path / "missing.yaml", switch=switch) for a in argv]
    code, _, err = run_cli(main, argv, capsys)
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_a_switch_before_free_words_does_not_take_them(tmp_path):
    from align.commands.tokenizer import ShowOptions

    parsed = parse_verb_args(ShowOptions, ["--tokenizer", "t", "--no-color", "a b", "c"], positional="text")
    assert parsed.no_color is True and parsed.text == ["a b", "c"]
    with pytest.raises(UserError, match="give the text"):
        parse_verb_args(ShowOptions, ["--tokenizer", "t"], positional="text")


def test_free_words_may_start_with_a_dash_and_everything_after_double_dash_is_words():
    from align.commands.generate import GenerateOptions

    parsed = parse_verb_args(GenerateOptions, ["--model", "m", "-5", "degrees", "- item", "--max_new_tokens", "3",
                                               "--", "--not-a-flag"], positional="prompt")
    assert parsed.prompt == ["-5", "degrees", "- item", "--not-a-flag"] and parsed.max_new_tokens == 3


def test_config_values_are_checked_like_the_command_line_and_lose_to_it(tmp_path):
    from align.commands.convert import ConvertOptions
    from align.commands.report import ReportOptions

    runs = tmp_path / "runs.yaml"
    runs.write_text("run: [a, b]\n")
    assert parse_verb_args(ReportOptions, ["--config", str(runs)]).run == ["a", "b"]
    assert parse_verb_args(ReportOptions, ["--config", str(runs), "--run", "c"]).run == ["c"]  # not a, b, c
    convert = tmp_path / "convert.yaml"
    convert.write_text("gguf: g\nout: o\noverwrite: true\n")
    assert parse_verb_args(ConvertOptions, ["--config", str(convert)]).overwrite is True
    assert parse_verb_args(ConvertOptions, ["--config", str(convert), "--overwrite", "false"]).overwrite is False
    convert.write_text("gguf: g\nout: o\ndtype: int8\n")
    with pytest.raises(SystemExit):  # argparse: invalid choice
        parse_verb_args(ConvertOptions, ["--config", str(convert)])
    convert.write_text("gguf: g\nout: o\noverwrite: 'no'\n")
    with pytest.raises(UserError, match="overwrite: expected true or false"):
        parse_verb_args(ConvertOptions, ["--config", str(convert)])
