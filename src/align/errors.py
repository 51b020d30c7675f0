"""User-facing errors: one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import TypeVar

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable)


class UserError(Exception):
    """A mistake in the user's input (config, data, paths). Reported as one line, exit code 2."""


def first_line(err: BaseException) -> str:
    """The first line of an exception's message (its type name when the message is empty)."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def exit_on_user_error(func: F) -> F:
    """Run ``func``; turn a :class:`UserError` into ``error: <message>`` on stderr and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except UserError as err:
            sys.stderr.write(f"error: {err}\n")
            sys.exit(2)
        except KeyboardInterrupt:
            sys.stderr.write("interrupted\n")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]
