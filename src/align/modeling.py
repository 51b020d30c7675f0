"""Model configs from scratch (depth/width/heads) and loading of base models."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from align.errors import UserError, first_line
from align.hardware import model_dtype

logger = logging.getLogger(__name__)


@dataclass
class ModelShapeArguments:
    """Shape of a Llama-architecture model trained from scratch (ignored when ``model_name_or_path`` is set)."""

    depth: int = field(default=4, metadata={"help": "Number of transformer layers."})
    width: int = field(default=256, metadata={"help": "Hidden size."})
    heads: int = field(default=4, metadata={"help": "Attention heads (width must divide by heads)."})
    kv_heads: int | None = field(default=None, metadata={"help": "Key/value heads for GQA (default: heads)."})
    mlp_ratio: float = field(default=8 / 3, metadata={"help": "MLP hidden size / width, rounded up to 64."})
    context_length: int = field(default=512, metadata={"help": "Maximum positions the model supports."})
    rope_theta: float = field(default=10_000.0, metadata={"help": "RoPE base frequency."})
    tie_word_embeddings: bool = field(default=True, metadata={"help": "Share input and output embeddings."})


def llama_config(shape: ModelShapeArguments, tokenizer):
    """A ``LlamaConfig`` for ``shape`` whose vocabulary and special ids match ``tokenizer``."""
    from transformers import LlamaConfig

    kv_heads = shape.kv_heads or shape.heads
    if shape.width % shape.heads:
        raise UserError(f"width {shape.width} is not divisible by heads {shape.heads}")
    if shape.heads % kv_heads:
        raise UserError(f"heads {shape.heads} is not divisible by kv_heads {kv_heads}")
    intermediate = 64 * -(-int(shape.width * shape.mlp_ratio) // 64)
    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=shape.width,
        intermediate_size=intermediate,
        num_hidden_layers=shape.depth,
        num_attention_heads=shape.heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=shape.context_length,
        rope_parameters={"rope_type": "default", "rope_theta": shape.rope_theta},
        tie_word_embeddings=shape.tie_word_embeddings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def model_context_length(config) -> int | None:
    return getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)


def stop_token_ids(tokenizer) -> list[int]:
    """Ids that end generation: end of turn (EOS) and end of document (BOS of the next one)."""
    ids = [tokenizer.eos_token_id, tokenizer.bos_token_id]
    return [i for i in dict.fromkeys(ids) if i is not None]


def generation_eos_ids(model) -> list[int]:
    """The ids plain ``model.generate`` stops at: its generation config's EOS (one id, a list, or none)."""
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    return [] if eos is None else [eos] if isinstance(eos, int) else list(eos)


def set_generation_defaults(model, tokenizer) -> None:
    """Make ``generate`` stop at end of turn/document and pad with the pad token."""
    model.generation_config.eos_token_id = stop_token_ids(tokenizer)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id


def merge_lora_adapter(adapter_dir: str, out_dir: str, sequence_classification: bool = False) -> str:
    """Merge a saved LoRA adapter into its base model and save a plain model dir with the adapter's tokenizer.

    The base model's config still names the base's EOS (SmolLM2, Gemma: end of document); the fine-tuned model
    ends its turns with the tokenizer's EOS, so that is written into ``config.json`` and
    ``generation_config.json``: plain ``generate`` on the merged dir stops where a trained turn ends."""
    from peft import AutoPeftModelForCausalLM, AutoPeftModelForSequenceClassification
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(adapter_dir)
    if sequence_classification:
        model = AutoPeftModelForSequenceClassification.from_pretrained(adapter_dir, num_labels=1, dtype="float32")
    else:
        model = AutoPeftModelForCausalLM.from_pretrained(adapter_dir, dtype="float32")
    merged = model.merge_and_unload()
    merged.config.eos_token_id = tokenizer.eos_token_id
    merged.config.pad_token_id = tokenizer.pad_token_id
    if not sequence_classification:
        set_generation_defaults(merged, tokenizer)
    merged.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    logger.info("merged model saved to %s", out_dir)
    return out_dir


def count_parameters(model, exclude_embeddings: bool = False, trainable_only: bool = False) -> int:
    total = sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
    if exclude_embeddings:
        total -= model.get_input_embeddings().weight.numel()
    return total


def kbit_device_map() -> dict:
    """Where a 4-/8-bit model goes: this process's GPU (one copy per process under DDP), else the CPU."""
    import torch

    if torch.cuda.is_available():
        from accelerate import PartialState

        return {"": PartialState().local_process_index}
    return {"": "cpu"}


def load_model_to_train(model_args, bf16: bool, trust_remote_code: bool = False):
    """The causal LM of TRL's ``ModelConfig`` for a training stage to fine-tune: its revision, attention and dtype,
    4-bit with ``load_in_4bit`` (QLoRA, computing in bf16 for ``bf16`` training); a model that cannot load is one
    line."""
    from transformers import AutoModelForCausalLM

    kwargs = dict(revision=model_args.model_revision, trust_remote_code=trust_remote_code,
                  attn_implementation=model_args.attn_implementation, dtype=model_dtype(model_args.dtype))
    kwargs.update(quantized_load_kwargs(model_args, bf16))
    try:
        return AutoModelForCausalLM.from_pretrained(model_args.model_name_or_path, **kwargs)
    except OSError as err:
        raise UserError(f"model {model_args.model_name_or_path}: could not load: {first_line(err)}") from err


def quantized_load_kwargs(model_args, bf16: bool) -> dict:
    """``from_pretrained`` kwargs for QLoRA from TRL's ``ModelConfig`` (``load_in_4bit`` / ``load_in_8bit``): the
    bitsandbytes config, computing in ``dtype`` (when unset: bf16 for bf16 training, else fp32), and the device map.
    Empty when not quantized."""
    import torch
    from trl import get_quantization_config

    quantization = get_quantization_config(model_args)
    if quantization is None:
        return {}
    dtype = model_args.dtype if model_args.dtype not in (None, "auto") else torch.bfloat16 if bf16 else torch.float32
    if model_args.load_in_4bit:
        quantization.bnb_4bit_compute_dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
    return {"quantization_config": quantization, "device_map": kbit_device_map(), "dtype": dtype}
