"""Name -> dataset builder registry, so a YAML mixture can pick builders by name.

A builder is ``fn(world, *, n=None, seed=0, **options) -> datasets.Dataset`` with a ``messages`` column (extra
metadata columns allowed). ``world`` is the tiny world (builders of real-format files ignore it). The real-format
loaders (:mod:`.loaders`) register here; the tiny world's task builders register when :mod:`align.tasks` is
imported (``align.tasks.build_mixture`` sees them all).
"""

from __future__ import annotations

from collections.abc import Callable

from align.errors import UserError

BUILDERS: dict[str, Callable] = {}


def register(name: str):
    """Decorator: make a builder available to mixtures as ``name``."""

    def wrap(fn):
        if name in BUILDERS and BUILDERS[name] is not fn:
            raise ValueError(f"builder {name!r} registered twice")
        BUILDERS[name] = fn
        return fn

    return wrap


def get_builder(name: str) -> Callable:
    _load_builtin_builders()
    if name not in BUILDERS:
        raise UserError(f"unknown dataset builder {name!r} (known: {', '.join(sorted(BUILDERS))}; the tiny world's "
                        "builders register when align.tasks is imported)")
    return BUILDERS[name]


def builder_names() -> list[str]:
    _load_builtin_builders()
    return sorted(BUILDERS)


def _load_builtin_builders() -> None:
    # Importing the module runs its @register decorators.
    from align.data.conversations import loaders  # noqa: F401
