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
from align.data.text import load_text_dataset
from align.errors import UserError, first_line
from align.eval.bits_per_byte import BitsPerByte
from align.hardware import model_dtype
from align.hub.hook import StageHub
from align.modeling import (
    ModelShapeArguments,
    count_parameters,
    llama_config,
    model_context_length,
    set_generation_defaults,
)
from align.tokenizer import load_tokenizer, token_byte_lengths
from align.tracking import setup_tracking
from align.training import HardwareDefaults, HeldoutSplit, resolve_checkpoint

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


def run_pretraining(
    script_args: PretrainScriptArguments,
    training_args: PretrainConfig,
    model_args: ModelConfig,
    shape: ModelShapeArguments,
) -> dict:
    """Train, evaluate and save; returns the final metrics."""
    from peft import get_peft_model
    from transformers import set_seed
    from trl import get_peft_config

    if not script_args.dataset_name:
        raise UserError("set dataset_name: a Hub id, a dataset dir, or jsonl/parquet/txt files")
    if script_args.block_size < 2:
        raise UserError(f"block_size must be at least 2, got {script_args.block_size}")
    set_seed(training_args.seed)
    setup_tracking(training_args)
    hub = StageHub("pretraining", script_args, training_args, model_args, shape)  # takes over push_to_hub
    tokenizer = load_pretraining_tokenizer(script_args, model_args)
    model = load_or_init_model(model_args, shape, tokenizer, script_args.trust_remote_code)
    context = model_context_length(model.config)
    if context is not None and script_args.block_size > context:
        raise UserError(f"block_size {script_args.block_size} is larger than the model's context length {context}")
    set_generation_defaults(model, tokenizer)
    logger.info("model: %.2fM parameters", count_parameters(model) / 1e6)

    with training_args.main_process_first(desc="loading and packing the dataset"):
        documents = load_text_dataset(
            script_args.dataset_name, script_args.dataset_text_field, script_args.dataset_train_split,
            script_args.dataset_config,
        )
        split = HeldoutSplit(script_args.eval_fraction, script_args.max_eval_documents, training_args.seed)
        train_docs, eval_docs = split.apply(documents)
        pack = dict(tokenizer=tokenizer, block_size=script_args.block_size, text_field=script_args.dataset_text_field)
        train_blocks = pack_documents(train_docs, desc="packing train", **pack)
        eval_blocks = pack_documents(eval_docs, desc="packing eval", **pack) if eval_docs is not None else None
    if eval_blocks is None and training_args.eval_strategy != "no":
        logger.warning("no documents held out: evaluation is off")
        training_args.eval_strategy = "no"

    peft_config = get_peft_config(model_args)
    if peft_config is not None:  # continued pretraining with LoRA: the saved base is merged (a plain model dir)
        model = get_peft_model(model, peft_config)
        logger.info("LoRA: %.2fM trainable parameters", count_parameters(model, trainable_only=True) / 1e6)
    trainer = build_trainer(model, tokenizer, training_args, train_blocks, eval_blocks, script_args)
    hub.attach(trainer)
    train_result = trainer.train(resume_from_checkpoint=resolve_checkpoint(training_args))
    metrics = dict(train_result.metrics)
    if eval_blocks is not None:
        metrics.update(trainer.evaluate())
    if peft_config is not None:
        model = trainer.model = trainer.model.merge_and_unload()
    model.config.use_cache = True  # the saved model generates with a KV cache
    trainer.save_model(training_args.output_dir)
    if trainer.is_world_process_zero():
        model.generation_config.save_pretrained(training_args.output_dir)
        split.save(training_args.output_dir)  # evaluation holds out the same documents
        trainer.save_metrics("all", metrics)
        trainer.save_state()
        logger.info("saved the base model to %s", training_args.output_dir)
        hub.finish()
    return metrics
