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


def resolve_precision(args) -> None:
    """Fill in ``args.bf16`` when left unset (None) and set ``use_cpu`` on machines without an accelerator.

    ``args`` is any ``TrainingArguments``-like object, before its ``__post_init__`` checks run.
    """
    if not has_accelerator():
        args.use_cpu = True
    if args.bf16 is None:
        args.bf16 = not getattr(args, "fp16", False) and bf16_supported()
        logger.info("precision: %s", "bf16 autocast" if args.bf16 else "fp32 (no native bf16 here)")
