"""Reward model: a sequence classifier with one output, trained on preference pairs with ``trl.RewardTrainer``
(Bradley–Terry loss: ``-log σ(r(chosen) − r(rejected))``).

It starts from the SFT model (a new ``score`` head on its last hidden state), reads any preference format
:mod:`align.data.preferences` accepts, and reports held-out pairwise accuracy: the fraction of held-out pairs with
``r(chosen) > r(rejected)`` (``eval_accuracy`` in ``all_results.json``). Optional LoRA (``use_peft``; task type
``SEQ_CLS``, the score head fully trained) and QLoRA (``load_in_4bit``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from trl import ModelConfig, RewardConfig, ScriptArguments

from align.errors import UserError
from align.eval.metrics import load_metric
from align.preference_training import (
    build_pair_trainer,
    skip_invalid_rows_field,
)
from align.training import (
    HardwareDefaults,
    merge_lora_field,
)

logger = logging.getLogger(__name__)


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


def peft_config_for(model_args: ModelConfig):
    """TRL's LoRA config, with task type ``SEQ_CLS`` (PEFT then trains the new ``score`` head fully)."""
    from trl import get_peft_config

    if model_args.use_peft and model_args.lora_task_type == "CAUSAL_LM":
        model_args.lora_task_type = "SEQ_CLS"
    return get_peft_config(model_args)


def build_trainer(script_args, training_args, model_args, train, heldout, counts: dict, callbacks=()):
    """``trl.RewardTrainer`` on the SFT model with a new score head (LoRA ``SEQ_CLS`` with ``use_peft``); ``counts``
    gets the pairs it drops as too long."""
    from trl import RewardTrainer

    if model_args.load_in_4bit and not training_args.bf16:
        # TRL keeps a quantized model's trainable weights (the score head too) in bf16: fp32 activations cannot meet it
        raise UserError("load_in_4bit (QLoRA) trains in bf16: set bf16: true")
    return build_pair_trainer(RewardTrainer, training_args, model_args, train, heldout, peft_config_for(model_args),
                              counts, callbacks)


def heldout_pairwise_accuracy(trainer) -> dict:
    """``eval_accuracy`` exact over every held-out pair (TRL's eval accuracy averages per-batch accuracies), and
    ``eval_pairs``."""
    accuracy = pairwise_accuracy(trainer.model, trainer.eval_dataset, trainer.processing_class.pad_token_id,
                                 trainer.args.per_device_eval_batch_size)
    logger.info("held-out pairwise accuracy: %.3f (%d pairs)", accuracy, len(trainer.eval_dataset))
    return {"eval_accuracy": accuracy, "eval_pairs": len(trainer.eval_dataset)}


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
