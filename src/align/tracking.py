"""Experiment tracking, chosen with ``report_to`` in a recipe's YAML: trackio (the default: local, no account),
wandb (offline when no API key is set up), tensorboard — or several, or ``none``.

Every tracker writes beside the run, not into the home directory: trackio's database in ``<run>/trackio``
(``TRACKIO_DIR``), wandb's files in ``<run>/wandb`` (``WANDB_DIR``), where ``<run>`` is the parent of
``output_dir`` (``runs/tiny-world`` for ``runs/tiny-world/sft``, so every stage of a run shares one trackio
project); tensorboard's event files go to ``<output_dir>/runs/`` (transformers' default). Environment variables
the user set win.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import field
from pathlib import Path

logger = logging.getLogger(__name__)

DEFAULT_REPORT_TO = "trackio"
TRANSFORMERS_DEFAULT_PROJECT = "huggingface"


def report_to_field():
    """The ``report_to`` field of every recipe config: trackio unless the YAML says otherwise."""
    return field(default=DEFAULT_REPORT_TO, metadata={
        "help": "Experiment trackers: trackio (default; local), wandb (offline without an API key), tensorboard, "
                "several (a YAML list, or comma-separated), or none."})


def split_report_to(value):
    """``trackio,wandb`` (one command-line value) as a list; anything else unchanged."""
    if isinstance(value, str) and "," in value:
        return [name.strip() for name in value.split(",") if name.strip()]
    return value


def run_dir(output_dir: str) -> Path:
    """The run a stage belongs to: the parent of its output dir."""
    return Path(output_dir).expanduser().resolve().parent


def setup_tracking(args) -> None:
    """Before the trainer is built: local directories for the trackers in ``args.report_to``, the trackio project
    and run names (the run dir's and the output dir's names unless set), wandb offline when it has no API key."""
    report_to = args.report_to if isinstance(args.report_to, list) else [args.report_to]
    if not report_to or report_to == ["none"] or not args.output_dir:
        return
    run = run_dir(args.output_dir)
    if getattr(args, "run_name", None) in (None, args.output_dir):
        args.run_name = Path(args.output_dir).name
    if "trackio" in report_to:
        _setup_trackio(args, run)
    if "wandb" in report_to:
        _setup_wandb(run)
    if "tensorboard" in report_to:
        logger.info("tensorboard: event files in %s (tensorboard --logdir %s)",
                    os.environ.get("TENSORBOARD_LOGGING_DIR") or os.path.join(args.output_dir, "runs"), args.output_dir)


def _setup_trackio(args, run: Path) -> None:
    directory = os.environ.setdefault("TRACKIO_DIR", str(run / "trackio"))
    if getattr(args, "project", None) in (None, TRANSFORMERS_DEFAULT_PROJECT):
        args.project = run.name
    imported = sys.modules.get("trackio.utils")
    if imported is not None and str(imported.TRACKIO_DIR) != directory:
        # trackio reads TRACKIO_DIR once, on import: this process already has its directory.
        directory = str(imported.TRACKIO_DIR)
    logger.info("trackio: project %s, run %s, in %s (view: TRACKIO_DIR=%s trackio show --project %s)",
                args.project, args.run_name, directory, directory, args.project)


def _setup_wandb(run: Path) -> None:
    directory = os.environ.setdefault("WANDB_DIR", str(run))
    os.makedirs(directory, exist_ok=True)
    if os.environ.get("WANDB_MODE"):  # the user chose (online, offline, disabled)
        return
    if not wandb_has_api_key():
        os.environ["WANDB_MODE"] = "offline"
        logger.info("wandb: no API key (WANDB_API_KEY or `wandb login`): logging offline to %s/wandb "
                    "(upload later with `wandb sync`)", directory)


def wandb_has_api_key() -> bool:
    """An API key in the environment or in ``.netrc`` (what ``wandb login`` writes) for the W&B host in use;
    nothing is sent anywhere."""
    import netrc
    from urllib.parse import urlparse

    if os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_IDENTITY_TOKEN_FILE"):
        return True
    host = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")).hostname or "api.wandb.ai"
    path = os.environ.get("NETRC") or os.path.expanduser("~/.netrc")
    try:
        entry = netrc.netrc(path).authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return False
    return bool(entry and entry[2])
