"""`align tokenizer train|show`."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from align.cli_options import add_verb, option

# Background colours cycled over tokens, like the tiktokenizer page.
COLOURS = [43, 42, 46, 45, 44, 41, 103, 102, 106, 105]


@dataclass
class TrainOptions:
    data: str = option(help="Hub id, dataset dir, or jsonl/parquet/txt files")
    out: str = option(help="tokenizer dir to write")
    text_field: str = "text"
    vocab_size: int = 4096
    max_digits: int = option(2, "longest digit group in one pre-token")


@dataclass
class ShowOptions:
    tokenizer: str = option(help="tokenizer dir or model dir")
    text: list[str] | None = option(None, "text to tokenize (also as plain words after the options; use quotes)")
    no_color: bool = option(False, "plain output")


def register(subparsers) -> None:
    parser = subparsers.add_parser("tokenizer", help="train or inspect a BPE tokenizer")
    verbs = parser.add_subparsers(dest="tokenizer_verb", metavar="{train,show}", required=True)
    add_verb(verbs, "train", TrainOptions, _train, help="train byte-level BPE on a text dataset")
    add_verb(verbs, "show", ShowOptions, _show, help="print TEXT's tokens and ids, coloured by token",
             positional="text")


def _train(args) -> int:
    import json

    from align.data.text import load_text_dataset
    from align.tokenizer import TokenizerTrainingConfig, train_from_dataset

    config = TokenizerTrainingConfig(vocab_size=args.vocab_size, max_digits=args.max_digits)
    dataset = load_text_dataset(args.data, text_field=args.text_field)
    report = train_from_dataset(dataset, args.out, config, text_field=args.text_field, source=args.data)
    report.pop("config")
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
    return 0


def _show(args) -> int:
    from align.tokenizer import load_tokenizer

    tokenizer = load_tokenizer(args.tokenizer)
    text = " ".join(args.text)
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    sys.stdout.write(render_tokens(tokenizer, ids, colour=not args.no_color and sys.stdout.isatty()) + "\n")
    n_bytes = len(text.encode("utf-8"))
    sys.stdout.write(f"{len(ids)} tokens, {n_bytes} bytes, {n_bytes / max(len(ids), 1):.2f} bytes/token\n")
    sys.stdout.write(" ".join(str(i) for i in ids) + "\n")
    return 0


def render_tokens(tokenizer, ids: list[int], colour: bool) -> str:
    """The text with each token's span marked: a background colour, or ``[piece]`` without colour.

    A token holding part of a multi-byte character shows its bytes as ``\\xNN``.
    """
    from align.tokenizer import token_pieces

    pieces = []
    for n, piece in enumerate(token_pieces(tokenizer, ids)):
        piece = piece.replace("\n", "\\n")
        pieces.append(f"\x1b[30;{COLOURS[n % len(COLOURS)]}m{piece}\x1b[0m" if colour else f"[{piece}]")
    return "".join(pieces)
