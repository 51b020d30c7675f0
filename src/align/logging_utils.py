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


def progress(total: int, desc: str, unit: str = "it", leave: bool = True):
    """A progress bar for work that takes more than a few seconds (``with progress(n, "sampling") as bar:
    bar.update(k)``): on stderr when it is a terminal, hidden in logs and tests and with ``TQDM_DISABLE=1``."""
    from tqdm.auto import tqdm

    hidden = os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true", "yes")
    return tqdm(total=total, desc=desc, unit=unit, leave=leave, disable=True if hidden else None,
                dynamic_ncols=True)
