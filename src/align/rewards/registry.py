"""Name -> reward function, and the YAML list of rewards a GRPO recipe asks for.

    rewards:
      - {name: math_accuracy, weight: 1.0}
      - {name: length_penalty, weight: 0.2, target: 256, limit: 512}

``build_reward_funcs(specs)`` gives the functions (parameters bound with ``functools.partial``) and their
weights, ready for ``GRPOTrainer(reward_funcs=funcs, args=GRPOConfig(reward_weights=weights, ...))``.
A reward's parameters are its keyword-only arguments.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Mapping

from align.errors import UserError, first_line

REWARDS: dict[str, Callable] = {}
"""Registered reward name -> function with TRL's signature."""


def register(name: str):
    """Decorator: make a reward function available under ``name``."""

    def decorator(func: Callable) -> Callable:
        old = REWARDS.get(name)
        if old is not None and _origin(old) != _origin(func):  # the same function re-imported may replace itself
            raise ValueError(f"reward {name!r} is already registered by {'.'.join(_origin(old))}")
        REWARDS[name] = func
        return func

    return decorator


def _origin(func: Callable) -> tuple[str, str]:
    return getattr(func, "__module__", "?"), getattr(func, "__qualname__", "?")


def known() -> str:
    return ", ".join(sorted(REWARDS))


def get_reward(name: str) -> Callable:
    """The reward registered as ``name``; UserError (listing the known names) when there is none."""
    if not isinstance(name, str) or name not in REWARDS:
        raise UserError(f"unknown reward {name!r}; known rewards: {known()}")
    return REWARDS[name]


def reward_params(func: Callable) -> list[str]:
    """The parameters a spec may set: the reward's keyword-only arguments."""
    return [p.name for p in inspect.signature(func).parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]


def build_reward_funcs(specs) -> tuple[list[Callable], list[float]]:
    """(functions, weights) from ``[{"name": ..., "weight": 1.0, **params}, ...]`` (a bare name means weight 1).

    Every entry is checked now, not at the first training step: an unknown name, an unknown or bad parameter or
    a non-numeric weight raises :class:`UserError` naming the entry.
    """
    if isinstance(specs, (str, Mapping)) or specs is None:
        specs = [specs]
    funcs, weights = [], []
    for i, spec in enumerate(specs):
        where = f"rewards[{i}]"
        if isinstance(spec, str):
            spec = {"name": spec}
        if not isinstance(spec, Mapping) or "name" not in spec:
            raise UserError(f"{where}: expected {{name: ..., weight: ...}}, got {spec!r}; known rewards: {known()}")
        spec = dict(spec)
        name, weight = spec.pop("name"), spec.pop("weight", 1.0)
        try:
            func = get_reward(name)
        except UserError as err:
            raise UserError(f"{where}: {err}") from None
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
            raise UserError(f"{where} ({name}): weight must be a finite number, got {weight!r}")
        allowed = reward_params(func)
        unknown = sorted(set(spec) - set(allowed))
        if unknown:
            raise UserError(f"{where} ({name}): unknown parameter(s) {', '.join(map(str, unknown))}; "
                            f"{name} takes {', '.join(allowed) or 'no parameters'}")
        bound = functools.partial(func, **spec)
        bound.__name__ = name
        bound.__doc__ = func.__doc__
        try:  # parameters are checked before the rows are scored, so an empty batch validates them
            bound(prompts=[], completions=[], completion_ids=[])
        except (TypeError, ValueError) as err:
            raise UserError(f"{where} ({name}): {first_line(err)}") from None
        funcs.append(bound)
        weights.append(float(weight))
    return funcs, weights
