"""The recipe a run was started with — its YAML plus the command-line overrides, as one YAML — for the model card
and ``recipe.yaml`` beside the model, so ``python recipes/<stage>.py --config recipe.yaml`` runs it again."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from align.hub.secrets import redact

_ATTRIBUTE = "_align_recipe"  # set on the parsed training arguments (not a dataclass field: never serialised)
_SECRET_KEYS = ("hub_token",)


def remember_recipe(parsed: tuple, argv: list[str], config_text: str | None = None) -> None:
    """Record the config file (its text, or ``config_text``: the config as it was read) and the keys overridden on
    the command line on the parsed training arguments (the dataclass with ``output_dir``), for :func:`recipe_yaml`
    at the end of the run."""
    config, text, overrides = None, "", []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--config" and i + 1 < len(argv):
            config = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--"):
            key = arg[2:].split("=", 1)[0].replace("-", "_")
            if key and key not in overrides:
                overrides.append(key)
        i += 1
    if config_text is not None:
        text = config_text
    elif config is not None:
        with open(config, encoding="utf-8") as f:
            text = f.read()
    for obj in parsed:
        if hasattr(obj, "output_dir"):
            setattr(obj, _ATTRIBUTE, {"config": config, "text": text, "overrides": overrides})


def recipe_yaml(*parsed) -> str:
    """The run's recipe as YAML: the config file's keys with the command-line overrides applied (their parsed
    values), or — for a run not started from a recipe — the settings that differ from the defaults. Tokens are
    left out."""
    import yaml

    source = next((getattr(p, _ATTRIBUTE) for p in parsed if getattr(p, _ATTRIBUTE, None)), None)
    if source is not None:
        values = (yaml.safe_load(source["text"]) if source["text"] else None) or {}
        overrides = [key for key in source["overrides"] if key not in _SECRET_KEYS]
        for key in overrides:
            value = _lookup(parsed, key)
            if value is not _MISSING:
                values[key] = value
        header = f"# {source['config']}" if source["config"] else "# command line"
        if source["config"] and overrides:
            header += f" with command-line overrides: {', '.join(overrides)}"
    else:
        values = _non_default(parsed)
        header = "# the run's settings that differ from the defaults"
    for key in _SECRET_KEYS:
        values.pop(key, None)
    body = yaml.safe_dump(_plain(values), sort_keys=False, allow_unicode=True, width=120)
    return redact(f"{header}\n{body}")


_MISSING = object()


def _lookup(parsed: tuple, key: str):
    for obj in parsed:
        if dataclasses.is_dataclass(obj) and key in {f.name for f in dataclasses.fields(obj)}:
            return getattr(obj, key)
    return _MISSING


def _non_default(parsed: tuple) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for obj in parsed:
        if not dataclasses.is_dataclass(obj):
            continue
        for f in dataclasses.fields(obj):
            if not f.init or f.name in values:
                continue
            if f.default is not dataclasses.MISSING:
                default = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = _MISSING
            value = getattr(obj, f.name)
            if _plain(value) != _plain(default):
                values[f.name] = value
    return values


def _plain(value):
    """YAML-safe: enums by value, tuples as lists, anything exotic as its string."""
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
