"""What the two stages that train on preference pairs share (the reward model, :mod:`align.reward_model`, and DPO,
:mod:`align.dpo`): reading the pairs with a held-out split, counting every pair left out, and building a TRL pair
trainer that loads its model from ``ModelConfig`` (LoRA, 4-bit)."""

from __future__ import annotations

import logging
from dataclasses import field
from typing import Any

from trl import ModelConfig

from align.data.preferences.formats import read_preference_splits
from align.data.text import split_holdout
from align.errors import UserError
from align.hardware import model_dtype
from align.modeling import quantized_load_kwargs
from align.tokenizer import load_tokenizer
from align.training import construct_trainer

logger = logging.getLogger(__name__)


def skip_invalid_rows_field():
    """The ``skip_invalid_rows`` option of every recipe that reads preference pairs (reward model, DPO)."""
    return field(default=False, metadata={
        "help": "Leave out pairs that fail the checks (an empty side, chosen == rejected, a garbled turn…) instead of "
                "stopping at the first; how many, why and the first row numbers are logged, the counts saved in "
                "all_results.json."})


def load_pairs(script_args, seed: int = 0, counts: dict | None = None):
    """(train, held-out or None) pairs: the dataset's test split, else a held-out fraction of the train split.
    ``counts`` receives how many rows each split left out (invalid with ``skip_invalid_rows``; ties and skips)."""
    if not script_args.dataset_name:
        raise UserError("set dataset_name (preference pairs: a dir from `align preferences`, a jsonl file, a Hub id)")
    skip_invalid = getattr(script_args, "skip_invalid_rows", False)
    splits = read_preference_splits(script_args.dataset_name, script_args.dataset_train_split,
                                    script_args.dataset_test_split, skip_invalid)
    for split, skipped in splits.skipped.items():
        if counts is not None and skip_invalid:
            counts[f"{split}_rows_skipped_invalid"] = skipped.count
        if counts is not None and skipped.left_out:
            counts[f"{split}_rows_tie_or_skip"] = sum(skipped.left_out.values())
    train, test = splits.train, splits.test
    if test is None:
        train, test = split_holdout(train, script_args.eval_fraction, script_args.max_eval_rows, seed)
    elif len(test) > script_args.max_eval_rows:
        test = test.shuffle(seed=seed).select(range(script_args.max_eval_rows))
    return train, test


def load_training_pairs(script_args, training_args, counts: dict | None = None):
    """``load_pairs`` on the main process first; evaluation turned off (with a warning) when nothing is held out."""
    with training_args.main_process_first(desc="loading the preference pairs"):
        train, heldout = load_pairs(script_args, training_args.seed, counts)
    if heldout is None and training_args.eval_strategy != "no":
        logger.warning("no pairs held out: evaluation is off")
        training_args.eval_strategy = "no"
    logger.info("%d training pairs, %d held out", len(train), 0 if heldout is None else len(heldout))
    return train, heldout


def count_dropped_pairs(trainer, train, heldout) -> dict[str, int]:
    """Pairs the TRL trainer dropped while preparing the data (a side longer than ``max_length``; for DPO a prompt
    that fills it), per split: logged, and returned for the saved metrics — never dropped silently."""
    counts = {}
    for split, before, after in (("train", train, trainer.train_dataset), ("eval", heldout, trainer.eval_dataset)):
        if before is None or after is None:
            continue
        dropped = len(before) - len(after)
        counts[f"{split}_pairs_dropped_max_length"] = dropped
        if dropped:
            logger.warning("max_length %s: dropped %d of %d %s pairs (too long to fit)", trainer.args.max_length,
                           dropped, len(before), "training" if split == "train" else "held-out")
    return counts


def load_tokenizer_for(model_args: ModelConfig, dataset, trust_remote_code: bool = False):
    """The model's tokenizer with a pad token; conversational pairs need its chat template."""
    if model_args.model_name_or_path is None:
        raise UserError("set model_name_or_path (an SFT model dir or Hub id)")
    tokenizer = load_tokenizer(model_args.model_name_or_path, trust_remote_code)
    if not isinstance(dataset[0]["chosen"], str) and not tokenizer.chat_template:
        raise UserError(f"{model_args.model_name_or_path}: the tokenizer has no chat template for conversational pairs")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def model_init_kwargs(model_args: ModelConfig, training_args) -> dict[str, Any]:
    """What the trainer passes to ``from_pretrained``: 4-bit QLoRA loading included (YAML ``model_init_kwargs``
    win)."""
    kwargs: dict[str, Any] = dict(revision=model_args.model_revision, attn_implementation=model_args.attn_implementation,
                                  dtype=model_dtype(model_args.dtype))
    kwargs.update(quantized_load_kwargs(model_args, bool(training_args.bf16)))
    kwargs.update(training_args.model_init_kwargs or {})
    return kwargs


def build_pair_trainer(trainer_class, training_args, model_args, train, heldout, peft_config, counts: dict,
                       callbacks=()):
    """A TRL trainer on preference pairs (RewardTrainer, DPOTrainer) that loads the model from ``model_args``;
    ``counts`` gets the pairs it dropped as too long (:func:`count_dropped_pairs`)."""
    tokenizer = load_tokenizer_for(model_args, train, training_args.trust_remote_code)
    training_args.model_init_kwargs = model_init_kwargs(model_args, training_args)
    trainer = construct_trainer(
        trainer_class, model_args.model_name_or_path, model=model_args.model_name_or_path, args=training_args,
        train_dataset=train, eval_dataset=heldout, processing_class=tokenizer, peft_config=peft_config,
        callbacks=list(callbacks))
    counts.update(count_dropped_pairs(trainer, train, heldout))
    return trainer
