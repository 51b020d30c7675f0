"""Every YAML recipe parses against the installed TRL/transformers: a rename breaks CI, not a user."""

from __future__ import annotations

from pathlib import Path

import pytest

from align.config import parse_recipe_args

ROOT = Path(__file__).resolve().parents[1]
PARSERS = {"pretrain": "align.pretraining", "sft": "align.sft", "reward_model": "align.reward_model", "dpo": "align.dpo",
           "grpo": "align.grpo", "ppo": "align.ppo"}


@pytest.mark.parametrize("config", sorted(ROOT.glob("recipes/*/*.yaml")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_recipe_config_parses(config, tmp_path, monkeypatch):
    import importlib

    monkeypatch.chdir(tmp_path)  # the recipes' relative runs/... paths: not whatever a run in this checkout left there

    stage = config.stem.split("-")[0]  # sft-ablation.yaml is an sft config
    assert stage in PARSERS, f"{config}: no recipe parser registered for stage {stage!r}"
    parser = importlib.import_module(PARSERS[stage]).make_parser()
    parsed = parse_recipe_args(parser, ["--config", str(config), "--output_dir", str(tmp_path)])
    assert parsed[1].output_dir == str(tmp_path)


@pytest.mark.parametrize("stage", sorted(PARSERS))
def test_recipe_help_renders(stage):
    import importlib

    # argparse formats help strings with %: a bare "30%" in a field's help breaks `--help`
    assert "--output_dir" in importlib.import_module(PARSERS[stage]).make_parser().format_help()


@pytest.mark.parametrize("text, message", [
    ("model_name_or_path: base\noutput_dir: [runs, sft\nlearning_rate: 1e-4\n",
     "line 3, column 14: not valid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence at line 2, "
     "column 13)"),
    ("model_name_or_path: base\n  output_dir: runs/sft\n", "line 2, column 13: not valid YAML: mapping values are not "
                                                         "allowed here"),
    ("learning_rate: 1e-4\n\tmax_steps: 10\n", "line 2, column 1: not valid YAML: found character '\\t' that cannot "
                                               "start any token"),
    ("- learning_rate\n- 1e-4\n", "expected a mapping of option: value, got list"),
])
def test_malformed_yaml_is_one_line_with_line_and_column(tmp_path, capsys, text, message):
    from conftest import load_recipe, run_cli

    config = tmp_path / "sft.yaml"
    config.write_text(text)
    code, _, err = run_cli(load_recipe("sft").main, ["--config", str(config)], capsys)
    assert code == 2 and err == f"error: config {config}: {message}\n"


@pytest.mark.parametrize("stage", sorted(PARSERS))
def test_recipe_help_leads_with_a_short_usage_naming_config(stage, capsys):
    from conftest import load_recipe, run_cli

    code, out, _ = run_cli(load_recipe(stage).main, ["--help"], capsys)
    head = out.split("\noptions:")[0].splitlines()
    assert code == 0 and head[0].endswith(" --config FILE.yaml [--KEY VALUE ...]")
    assert len(head) < 20 and f"recipes/{stage}.py --config recipes/" in out.split("\noptions:")[0]
    assert "--output_dir" in out  # every option still follows


def test_run_placeholder_puts_every_path_of_a_recipe_in_one_run_dir(tmp_path):
    """``${run}`` stands for the YAML's ``run`` (or ``--run DIR``) in every value: nested mixture options and
    command-line values too; the recipe recorded for the model card holds the paths as used."""
    from align.hub.recipe import recipe_yaml
    from align.sft import make_parser

    config = tmp_path / "sft.yaml"
    config.write_text('run: runs/a\nmodel_name_or_path: ${run}/base\noutput_dir: ${run}/sft\n'
                      'mixture:\n  - {builder: world_chat, n: 8, probe_results: "${run}/probe.json"}\n')
    script_args, training_args, model_args = parse_recipe_args(make_parser(), ["--config", str(config)])
    assert (model_args.model_name_or_path, training_args.output_dir) == ("runs/a/base", "runs/a/sft")
    assert script_args.mixture == [{"builder": "world_chat", "n": 8, "probe_results": "runs/a/probe.json"}]

    parsed = parse_recipe_args(make_parser(), ["--config", str(config), "--run", "/tmp/b/",
                                               "--tokenizer_name_or_path", "${run}/tokenizer"])
    assert parsed[2].model_name_or_path == "/tmp/b/base" and parsed[0].tokenizer_name_or_path == "/tmp/b/tokenizer"
    recorded = recipe_yaml(*parsed)
    assert recorded.startswith(f"# {config} with command-line overrides: tokenizer_name_or_path")
    assert "model_name_or_path: /tmp/b/base" in recorded and "${run}" not in recorded


def test_run_placeholder_without_a_run_is_one_line(tmp_path, capsys):
    from conftest import load_recipe, run_cli

    config = tmp_path / "sft.yaml"
    config.write_text("model_name_or_path: ${run}/base\n")
    code, _, err = run_cli(load_recipe("sft").main, ["--config", str(config)], capsys)
    assert code == 2 and err == (f"error: config {config}: '${{run}}/base' uses ${{run}}, but no run directory is set "
                                 "(a run key, or --run DIR)\n")
