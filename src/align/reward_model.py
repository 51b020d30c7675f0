"""Reward model: a sequence classifier with one output, trained on preference pairs with ``trl.RewardTrainer``
(Bradley–Terry loss: ``-log σ(r(chosen) − r(rejected))``).

It starts from the SFT model (a new ``score`` head on its last hidden state), reads any preference format
:mod:`align.data.preferences` accepts, and reports held-out pairwise accuracy: the fraction of held-out pairs with
``r(chosen) > r(rejected)`` (``eval_accuracy`` in ``all_results.json``). Optional LoRA (``use_peft``; task type
``SEQ_CLS``, the score head fully trained) and QLoRA (``load_in_4bit``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from trl import ModelConfig, RewardConfig, ScriptArguments

from align.data.preferences.formats import read_preference_splits
from align.errors import UserError
from align.eval.metrics import load_metric
from align.hardware import model_dtype
from align.hub.hook import StageHub
from align.modeling import merge_lora_adapter, quantized_load_kwargs
from align.tokenizer import load_tokenizer
from align.tracking import setup_tracking
from align.training import (
    HardwareDefaults,
    check_quantized_training,
    construct_trainer,
    merge_lora_field,
    resolve_checkpoint,
    save_run,
    split_holdout,
)

logger = logging.getLogger(__name__)


def skip_invalid_rows_field():
    """The ``skip_invalid_rows`` option of every recipe that reads preference pairs (reward model, DPO)."""
    return field(default=False, metadata={
        "help": "Leave out pairs that fail the checks (an empty side, chosen == rejected, a garbled turn…) instead of "
                "stopping at the first; how many, why and the first row numbers are logged, the counts saved in "
                "all_results.json."})


@dataclass
class RewardScriptArguments(ScriptArguments):
    """``dataset_name``: preference pairs — a dir written by ``align preferences`` (train.jsonl, test.jsonl), a jsonl
    file, a dataset dir or a Hub id, in TRL's explicit- or implicit-prompt format or Anthropic HH."""

    eval_fraction: float = field(
        default=0.1, metadata={"help": "Fraction of pairs held out when the dataset has no test split."})
    max_eval_rows: int = field(default=1000, metadata={"help": "Cap on held-out pairs."})
    skip_invalid_rows: bool = skip_invalid_rows_field()
    merge_lora: bool = merge_lora_field()


@dataclass
class AlignRewardConfig(HardwareDefaults, RewardConfig):
    """``RewardConfig`` with ``bf16`` where the hardware has it (see ``HardwareDefaults``)."""

    max_length: int | None = field(default=512, metadata={"help": "Pairs with a longer side are dropped."})
    lr_scheduler_type: str = field(default="cosine", metadata={"help": "Learning-rate schedule."})
    save_total_limit: int | None = field(default=2, metadata={"help": "Checkpoints kept."})


def make_parser():
    from trl import TrlParser

    return TrlParser((RewardScriptArguments, AlignRewardConfig, ModelConfig))


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


def peft_config_for(model_args: ModelConfig):
    """TRL's LoRA config, with task type ``SEQ_CLS`` (PEFT then trains the new ``score`` head fully)."""
    from trl import get_peft_config

    if model_args.use_peft and model_args.lora_task_type == "CAUSAL_LM":
        model_args.lora_task_type = "SEQ_CLS"
    return get_peft_config(model_args)


def build_trainer(script_args, training_args, model_args, train, heldout, callbacks=()):
    from trl import RewardTrainer

    return build_pair_trainer(RewardTrainer, training_args, model_args, train, heldout, peft_config_for(model_args),
                              callbacks)


def build_pair_trainer(trainer_class, training_args, model_args, train, heldout, peft_config, callbacks=()):
    """A TRL trainer on preference pairs (RewardTrainer, DPOTrainer) that loads the model from ``model_args``."""
    tokenizer = load_tokenizer_for(model_args, train, training_args.trust_remote_code)
    training_args.model_init_kwargs = model_init_kwargs(model_args, training_args)
    return construct_trainer(
        trainer_class, model_args.model_name_or_path, model=model_args.model_name_or_path, args=training_args,
        train_dataset=train, eval_dataset=heldout, processing_class=tokenizer, peft_config=peft_config,
        callbacks=list(callbacks))


def pairwise_accuracy(model, dataset, pad_token_id: int, batch_size: int = 32) -> float:
    """The fraction of tokenized pairs (``chosen_ids``, ``rejected_ids``) that the model scores chosen > rejected."""
    rewards = {side: score_token_ids(model, dataset[f"{side}_ids"], pad_token_id, batch_size)
               for side in ("chosen", "rejected")}

    return load_metric("pairwise_accuracy").compute(chosen_rewards=rewards["chosen"],
                                                    rejected_rewards=rewards["rejected"])["accuracy"]


def score_token_ids(model, sequences: list[list[int]], pad_token_id: int, batch_size: int = 32) -> list[float]:
    """The reward model's score of each token sequence (right-padded batches)."""
    import torch

    device = next(model.parameters()).device
    scores: list[float] = []
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(sequences), batch_size):
            batch = sequences[start : start + batch_size]
            width = max(len(ids) for ids in batch)
            input_ids = torch.tensor([list(ids) + [pad_token_id] * (width - len(ids)) for ids in batch], device=device)
            mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids in batch], device=device)
            with torch.no_grad():
                logits = model(input_ids=input_ids, attention_mask=mask).logits
            scores += logits[:, 0].float().tolist()
    finally:
        model.train(was_training)
    return scores


def run_reward(script_args: RewardScriptArguments, training_args: AlignRewardConfig, model_args: ModelConfig) -> dict:
    """Train the reward model, measure held-out pairwise accuracy, save; returns the final metrics."""
    from transformers import set_seed

    set_seed(training_args.seed)
    setup_tracking(training_args)
    check_quantized_training(model_args)
    if model_args.load_in_4bit and not training_args.bf16:
        # TRL keeps a quantized model's trainable weights (the score head too) in bf16: fp32 activations cannot meet it
        raise UserError("load_in_4bit (QLoRA) trains in bf16: set bf16: true")
    hub = StageHub("reward", script_args, training_args, model_args)  # takes over push_to_hub: before the trainer
    counts: dict[str, int] = {}
    train, heldout = load_training_pairs(script_args, training_args, counts)
    trainer = build_trainer(script_args, training_args, model_args, train, heldout)
    counts.update(count_dropped_pairs(trainer, train, heldout))
    hub.attach(trainer)
    result = trainer.train(resume_from_checkpoint=resolve_checkpoint(training_args))
    metrics = {**result.metrics, **counts}
    if heldout is not None:
        metrics.update(trainer.evaluate())
        # Exact over every held-out pair (TRL's eval accuracy averages per-batch accuracies).
        metrics["eval_accuracy"] = pairwise_accuracy(trainer.model, trainer.eval_dataset,
                                                     trainer.processing_class.pad_token_id,
                                                     training_args.per_device_eval_batch_size)
        metrics["eval_pairs"] = len(trainer.eval_dataset)
        logger.info("held-out pairwise accuracy: %.3f (%d pairs)", metrics["eval_accuracy"], metrics["eval_pairs"])
    if save_run(trainer, metrics):
        if model_args.use_peft and script_args.merge_lora:
            merged = merge_lora_adapter(training_args.output_dir, os.path.join(training_args.output_dir, "merged"),
                                        sequence_classification=True)
            logger.info("merged reward model saved to %s", merged)
        logger.info("saved the reward model to %s", training_args.output_dir)
        hub.finish()
    return metrics
