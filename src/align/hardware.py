"""What the machine can do: accelerator present, bf16 support."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def has_accelerator() -> bool:
    import torch

    return torch.cuda.is_available() or (hasattr(torch, "xpu") and torch.xpu.is_available())


def bf16_supported() -> bool:
    """True where bf16 matmuls are native: CUDA Ampere+, or a CPU with AVX512-BF16 / AMX."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    if hasattr(torch, "xpu") and torch.xpu.is_available():
        return True
    cpu = torch.cpu
    return bool(
        getattr(cpu, "_is_avx512_bf16_supported", lambda: False)()
        or getattr(cpu, "_is_amx_tile_supported", lambda: False)()
    )


def model_dtype(requested: str | None) -> str:
    """The dtype to load a trained model's weights in: ``requested`` (a recipe's ``dtype``; "auto" is the
    checkpoint's), fp32 when unset, and fp32 instead of bf16 on a CPU without native bf16 matmuls (no AVX512-BF16
    or AMX), where bf16 runs emulated: measured 50x slower than fp32 on an AVX2-only EPYC, which would turn a
    recipe's minutes into hours."""
    if requested is None:
        return "float32"
    if requested == "bfloat16" and not has_accelerator() and not bf16_supported():
        logger.warning("dtype bfloat16: this CPU has no native bf16 (AVX512-BF16 or AMX), loading in float32")
        return "float32"
    return requested


def resolve_precision(args) -> None:
    """Fill in ``args.bf16`` when left unset (None) and set ``use_cpu`` on machines without an accelerator.

    ``args`` is any ``TrainingArguments``-like object, before its ``__post_init__`` checks run.
    """
    if not has_accelerator():
        args.use_cpu = True
    if args.bf16 is None:
        args.bf16 = not getattr(args, "fp16", False) and bf16_supported()
        logger.info("precision: %s", "bf16 autocast" if args.bf16 else "fp32 (no native bf16 here)")
