"""One logging setup for the CLI and the recipes."""

from __future__ import annotations

import logging
import os


def setup_logging(level: str | int | None = None) -> None:
    """Log ``LEVEL name: message`` lines to stderr; ``ALIGN_LOG_LEVEL`` overrides the default INFO."""
    level = level or os.environ.get("ALIGN_LOG_LEVEL", "INFO")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    # Quiet the chattiest third-party loggers; their warnings still show.
    for name in ("httpx", "urllib3", "filelock", "datasets", "fsspec", "accelerate"):
        logging.getLogger(name).setLevel(logging.WARNING)
