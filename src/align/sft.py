"""Supervised fine-tuning: a base model becomes an assistant, with ``trl.SFTTrainer``.

Data is a mixture of named conversation builders (``mixture`` in the YAML) or any dataset in TRL's
conversational (``messages``) or prompt–completion format (``dataset_name``). Assistant-only loss for
conversations, completion-only loss for prompt–completion; optional packing; LoRA / QLoRA from TRL's
``ModelConfig`` (``use_peft``, ``load_in_4bit``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from trl import ModelConfig, ScriptArguments, SFTConfig

from align.chat_template import apply_chatml, template_is_trainable, use_end_of_turn_as_eos
from align.data.conversations import validate_dataset
from align.data.conversations.loaders import load_rows
from align.data.conversations.validate import valid_rows
from align.errors import UserError
from align.modeling import load_model_to_train, set_generation_defaults
from align.tasks import build_mixture
from align.tokenizer import load_tokenizer
from align.training import (
    HardwareDefaults,
    construct_trainer,
    merge_lora_field,
)

logger = logging.getLogger(__name__)


@dataclass
class SFTScriptArguments(ScriptArguments):
    """What to fine-tune on: a ``mixture`` of builders, or ``dataset_name`` (Hub id, dataset dir, jsonl/parquet)."""

    mixture: list[dict[str, Any]] | str | None = field(
        default=None,
        metadata={"help": "List of {builder: NAME, n: N, weight: W, ...options}, or a YAML file holding one."},
    )
    world: str = field(default="0", metadata={"help": "Tiny world for the builders: a seed, world.json or crawl dir."})
    tokenizer_name_or_path: str | None = field(
        default=None, metadata={"help": "Tokenizer dir or id (default: the one of model_name_or_path)."}
    )
    chat_template: str = field(
        default="auto",
        metadata={"help": "auto: keep the tokenizer's template if assistant-only loss works with it, else ChatML; "
                          "keep; chatml.", "choices": ["auto", "keep", "chatml"]},
    )
    skip_invalid_rows: bool = field(default=False, metadata={
        "help": "dataset_name: leave out rows that fail the checks instead of stopping at the first; how many, why "
                "and the first row numbers are logged, the count saved in all_results.json."})
    eval_fraction: float = field(default=0.0, metadata={"help": "Fraction of rows held out for eval_loss."})
    max_eval_rows: int = field(default=500, metadata={"help": "Cap on held-out rows."})
    merge_lora: bool = merge_lora_field()


@dataclass
class AlignSFTConfig(HardwareDefaults, SFTConfig):
    """``SFTConfig`` with assistant-only loss on, ``bf16`` where the hardware has it (see ``HardwareDefaults``)."""

    assistant_only_loss: bool = field(
        default=True, metadata={"help": "Loss on the assistant's tokens only (conversational data)."}
    )
    max_length: int | None = field(default=512, metadata={"help": "Tokens per sequence (and per packed block)."})
    lr_scheduler_type: str = field(default="cosine", metadata={"help": "Learning-rate schedule."})
    warmup_steps: float = field(default=0.03, metadata={"help": "Warmup steps, or a fraction of all steps."})
    save_total_limit: int | None = field(default=2, metadata={"help": "Checkpoints kept."})


def make_parser():
    from trl import TrlParser

    return TrlParser((SFTScriptArguments, AlignSFTConfig, ModelConfig))


# tokenizer and model ------------------------------------------------------------------------------------------

def prepare_tokenizer(script_args: SFTScriptArguments, model_args: ModelConfig, trust_remote_code: bool = False):
    """The tokenizer with a chat template that assistant-only loss works with; returns (tokenizer, added tokens)."""
    source = script_args.tokenizer_name_or_path or model_args.model_name_or_path
    if source is None:
        raise UserError("set model_name_or_path (a base model dir or Hub id)")
    tokenizer = load_tokenizer(source, trust_remote_code)
    added: list[str] = []
    mode = script_args.chat_template
    if mode == "chatml" or (mode == "auto" and not template_is_trainable(tokenizer)):
        if mode == "auto":
            logger.warning("%s: no chat template with {%% generation %%} markers: using ChatML", source)
        added = apply_chatml(tokenizer)
    elif not tokenizer.chat_template:
        raise UserError(f"{source}: the tokenizer has no chat template (set chat_template: chatml)")
    else:
        use_end_of_turn_as_eos(tokenizer)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, added


def load_model(model_args: ModelConfig, tokenizer, trust_remote_code: bool = False, bf16: bool = True):
    """The base model (4-bit with ``load_in_4bit``, computing in bf16 for ``bf16`` training), embeddings resized to
    the tokenizer, EOS = end of turn."""
    model = load_model_to_train(model_args, bf16, trust_remote_code)
    if model.get_input_embeddings().weight.shape[0] < len(tokenizer):
        model.resize_token_embeddings(len(tokenizer), mean_resizing=True)
    model.config.eos_token_id = tokenizer.eos_token_id
    set_generation_defaults(model, tokenizer)
    return model


def peft_config_for(model_args: ModelConfig, tokenizer, added_tokens: list[str], model=None):
    """TRL's LoRA config from ``ModelConfig``; tokens added for the chat template get trainable embeddings.

    With embeddings tied to the output layer (SmolLM2, Qwen2.5, Llama 3.2 1B/3B) the whole embedding is trained
    instead, kept tied: PEFT's trainable-token rows would wrap the output layer too, which TRL's fused LM head
    (it reads ``lm_head.weight`` directly) cannot run, and the new tokens must be learnt as outputs as well."""
    from trl import get_peft_config

    peft_config = get_peft_config(model_args)
    if peft_config is None or not added_tokens:
        return peft_config
    if model is not None and model.config.get_text_config().tie_word_embeddings:
        peft_config.modules_to_save = [*(peft_config.modules_to_save or []), "embed_tokens"]
        peft_config.ensure_weight_tying = True
        logger.info("tied embeddings: training the whole embedding for the %d added tokens", len(added_tokens))
    else:
        # The new tokens start untrained: without this LoRA could never learn to read them.
        peft_config.trainable_token_indices = {"embed_tokens": tokenizer.convert_tokens_to_ids(added_tokens)}
    return peft_config


# data ---------------------------------------------------------------------------------------------------------

def load_sft_dataset(script_args: SFTScriptArguments, seed: int = 0, counts: dict | None = None):
    """The training rows, validated: a builder mixture, or a conversational / prompt–completion dataset (``counts``
    receives how many rows ``skip_invalid_rows`` left out)."""
    if script_args.mixture and script_args.dataset_name:
        raise UserError("set either mixture or dataset_name, not both")
    if script_args.mixture:
        return build_mixture(script_args.mixture, world=script_args.world, seed=seed).select_columns(
            ["messages", "tools"])
    if not script_args.dataset_name:
        raise UserError("set mixture (dataset builders) or dataset_name (a conversational or prompt-completion dataset)")
    dataset, skipped = _load_dataset(script_args)
    if counts is not None and script_args.skip_invalid_rows:
        counts["train_rows_skipped_invalid"] = skipped.count
    validate_dataset(dataset, script_args.dataset_name)
    keep = ["messages"] if "messages" in dataset.column_names else ["prompt", "completion"]
    return dataset.select_columns(keep + [c for c in ("tools",) if c in dataset.column_names])


def _load_dataset(script_args: SFTScriptArguments):
    """(dataset, skipped rows). Rows are read with json where they can be, so a malformed one is reported by number
    instead of failing inside Arrow."""
    from datasets import Dataset

    spec = script_args.dataset_name
    rows, skipped = valid_rows(load_rows(spec, script_args.dataset_train_split), spec, script_args.skip_invalid_rows)
    return Dataset.from_list(rows), skipped


# training -----------------------------------------------------------------------------------------------------

def build_trainer(model, tokenizer, training_args, train_dataset, eval_dataset=None, peft_config=None, callbacks=()):
    from trl import SFTTrainer

    if training_args.assistant_only_loss and "messages" not in train_dataset.column_names:
        training_args.assistant_only_loss = False  # prompt–completion: completion-only loss instead
        logger.info("prompt-completion data: loss on the completions")
    return construct_trainer(SFTTrainer, model=model, args=training_args, train_dataset=train_dataset,
                             eval_dataset=eval_dataset, processing_class=tokenizer, peft_config=peft_config,
                             callbacks=list(callbacks))
