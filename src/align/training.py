"""Pieces every training recipe shares: held-out splits and checkpoint resolution."""

from __future__ import annotations

import logging
import os

from align.errors import UserError

logger = logging.getLogger(__name__)


def split_holdout(dataset, fraction: float, max_rows: int, seed: int):
    """Hold out a seeded random ``fraction`` of rows (at most ``max_rows``); returns (train, held-out or None)."""
    n_eval = min(max_rows, int(round(len(dataset) * fraction)))
    if n_eval == 0 or len(dataset) < 2:
        return dataset, None
    parts = dataset.train_test_split(test_size=n_eval, seed=seed, shuffle=True)
    return parts["train"], parts["test"]


def resolve_checkpoint(training_args) -> str | None:
    """``resume_from_checkpoint``: ``last`` (or ``true``) → the newest checkpoint in ``output_dir``, if any."""
    from transformers.trainer_utils import get_last_checkpoint

    checkpoint = training_args.resume_from_checkpoint
    if checkpoint in ("last", "true", "True"):
        checkpoint = get_last_checkpoint(training_args.output_dir) if os.path.isdir(training_args.output_dir) else None
        if checkpoint is None:
            logger.info("no checkpoint in %s: starting fresh", training_args.output_dir)
    elif checkpoint is not None and not os.path.isdir(checkpoint):
        raise UserError(f"resume_from_checkpoint {checkpoint}: no such directory")
    return checkpoint
