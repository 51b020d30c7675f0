"""Pretraining: next-token prediction on any text dataset with ``transformers.Trainer``.

From scratch (a Llama config chosen by depth/width/heads) or continued from ``model_name_or_path``.
Held-out evaluation reports loss and bits-per-byte and samples a few continuations.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from transformers import TrainingArguments
from trl import ModelConfig, ScriptArguments

from align.callbacks import SampleCallback
from align.chat_template import IM_START
from align.data.packing import pack_documents
from align.data.text import HeldoutSplit, load_text_dataset
from align.errors import UserError, first_line
from align.eval.bits_per_byte import BitsPerByte
from align.hardware import model_dtype
from align.modeling import (
    ModelShapeArguments,
    llama_config,
    model_context_length,
)
from align.tokenizer import load_tokenizer, token_byte_lengths
from align.training import HardwareDefaults

logger = logging.getLogger(__name__)

END_OF_TEXT = "<|endoftext|>"


@dataclass
class PretrainScriptArguments(ScriptArguments):
    """What to train on. ``dataset_name`` is a Hub id, a dataset dir, or jsonl/parquet/txt files (globs work)."""

    dataset_text_field: str = field(default="text", metadata={"help": "Column holding the documents."})
    tokenizer_name_or_path: str | None = field(
        default=None, metadata={"help": "Tokenizer dir or id (default: the one of model_name_or_path)."}
    )
    block_size: int = field(default=256, metadata={"help": "Tokens per training sequence."})
    eval_fraction: float = field(default=0.02, metadata={"help": "Fraction of documents held out for evaluation."})
    max_eval_documents: int = field(default=1000, metadata={"help": "Cap on held-out documents."})
    sample_prompts: list[str] = field(
        default_factory=list, metadata={"help": "Prompts continued after each evaluation (logged)."}
    )
    sample_max_new_tokens: int = field(default=32, metadata={"help": "Tokens sampled per prompt."})
    trust_remote_code: bool = field(default=False, metadata={"help": "Run model code shipped with a Hub model."})


@dataclass
class PretrainConfig(HardwareDefaults, TrainingArguments):
    """``TrainingArguments`` with pretraining defaults; ``bf16`` where the hardware has it, ``report_to`` trackio
    (see ``HardwareDefaults``)."""

    lr_scheduler_type: str = field(default="cosine", metadata={"help": "Learning-rate schedule."})
    warmup_steps: float = field(default=0.05, metadata={"help": "Warmup steps, or a fraction of all steps."})
    logging_steps: float = field(default=10, metadata={"help": "Log every N steps."})
    eval_strategy: str = field(default="steps", metadata={"help": "When to evaluate: no, steps, epoch."})
    eval_steps: float | None = field(default=100, metadata={"help": "Evaluate every N steps."})
    save_steps: float = field(default=200, metadata={"help": "Checkpoint every N steps."})
    save_total_limit: int | None = field(default=2, metadata={"help": "Checkpoints kept."})


def make_parser():
    from trl import TrlParser

    return TrlParser((PretrainScriptArguments, PretrainConfig, ModelConfig, ModelShapeArguments))


def load_pretraining_tokenizer(script_args: PretrainScriptArguments, model_args: ModelConfig):
    source = script_args.tokenizer_name_or_path or model_args.model_name_or_path
    if source is None:
        raise UserError("set tokenizer_name_or_path (train one with `align tokenizer train`) or model_name_or_path")
    tokenizer = load_tokenizer(source, script_args.trust_remote_code)
    if tokenizer.pad_token is None:  # open base models often have none; padding only fills the last block
        tokenizer.pad_token = tokenizer.eos_token
    if tokenizer.bos_token is None:
        tokenizer.bos_token = tokenizer.eos_token
    if tokenizer.bos_token == IM_START and END_OF_TEXT in tokenizer.get_vocab():
        # Instruct models may name the start of a chat turn as BOS (SmolLM2-Instruct); documents were separated by
        # <|endoftext|> in their pretraining, and packing web text behind <|im_start|> would teach otherwise.
        logger.info("document boundary: %s instead of the BOS %s", END_OF_TEXT, tokenizer.bos_token)
        tokenizer.bos_token = END_OF_TEXT
    return tokenizer


def load_or_init_model(model_args: ModelConfig, shape: ModelShapeArguments, tokenizer, trust_remote_code=False):
    from transformers import AutoModelForCausalLM, LlamaForCausalLM

    if model_args.model_name_or_path is None:
        model = LlamaForCausalLM(llama_config(shape, tokenizer))
        logger.info("initialised a Llama model from scratch: %s", shape)
        return model
    try:
        model = AutoModelForCausalLM.from_pretrained(
            model_args.model_name_or_path,
            revision=model_args.model_revision,
            trust_remote_code=trust_remote_code,
            attn_implementation=model_args.attn_implementation,
            dtype=model_dtype(model_args.dtype),
        )
    except OSError as err:
        raise UserError(f"model {model_args.model_name_or_path}: could not load: {first_line(err)}") from err
    if model.get_input_embeddings().weight.shape[0] < len(tokenizer):
        model.resize_token_embeddings(len(tokenizer))
    return model


def build_trainer(model, tokenizer, training_args, train_blocks, eval_blocks=None, script_args=None, callbacks=()):
    """The pretraining ``Trainer``: bits-per-byte on the eval blocks, sampled continuations after each eval."""
    from transformers import Trainer

    callbacks = list(callbacks)
    if script_args is not None and script_args.sample_prompts:
        callbacks.append(SampleCallback(script_args.sample_prompts, script_args.sample_max_new_tokens))
    bpb = BitsPerByte(token_byte_lengths(tokenizer)) if eval_blocks is not None else None
    # Training never reads the KV cache; not building it saves time and memory on every step.
    model.config.use_cache = False
    # Tensor-formatted rows collate by stacking instead of converting Python lists on every step.
    train_blocks = train_blocks.with_format("torch")
    eval_blocks = eval_blocks.with_format("torch") if eval_blocks is not None else None
    return Trainer(
        model=model,
        args=training_args,
        train_dataset=train_blocks,
        eval_dataset=eval_blocks,
        processing_class=tokenizer,
        compute_metrics=bpb.compute if bpb else None,
        preprocess_logits_for_metrics=bpb.preprocess_logits if bpb else None,
        callbacks=callbacks,
    )


def check_args(script_args: PretrainScriptArguments) -> None:
    """The mistakes pretraining reports before anything loads."""
    if not script_args.dataset_name:
        raise UserError("set dataset_name: a Hub id, a dataset dir, or jsonl/parquet/txt files")
    if script_args.block_size < 2:
        raise UserError(f"block_size must be at least 2, got {script_args.block_size}")


def check_block_size(model, block_size: int) -> None:
    context = model_context_length(model.config)
    if context is not None and block_size > context:
        raise UserError(f"block_size {block_size} is larger than the model's context length {context}")


def load_blocks(script_args: PretrainScriptArguments, tokenizer, split: HeldoutSplit):
    """(train blocks, held-out blocks or None): the documents split by ``split``, each part packed into
    ``block_size`` blocks (no document dropped)."""
    documents = load_text_dataset(script_args.dataset_name, script_args.dataset_text_field,
                                  script_args.dataset_train_split, script_args.dataset_config)
    train_docs, eval_docs = split.apply(documents)
    pack = dict(tokenizer=tokenizer, block_size=script_args.block_size, text_field=script_args.dataset_text_field)
    train_blocks = pack_documents(train_docs, desc="packing train", **pack)
    eval_blocks = pack_documents(eval_docs, desc="packing eval", **pack) if eval_docs is not None else None
    return train_blocks, eval_blocks
