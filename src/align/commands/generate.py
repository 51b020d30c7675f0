"""`align generate --model DIR PROMPT`: the base model as a document simulator, streamed to the terminal."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from align.cli_options import add_verb, option


@dataclass
class GenerateOptions:
    model: str = option(help="model dir (or Hub id)")
    prompt: list[str] | None = option(None, "the start of a document (also as plain words after the options)")
    max_new_tokens: int = 128
    temperature: float = option(0.8, "0 = greedy")
    top_k: int = option(50, "0 = off")
    top_p: float = 1.0
    num_samples: int = 1
    seed: int | None = None


def register(subparsers) -> None:
    add_verb(subparsers, "generate", GenerateOptions, _generate, help="sample a continuation of PROMPT from a model",
             positional="prompt")


def _generate(args) -> int:
    from align.engine import SamplingConfig, encode_document_prompt, load_model, stream_generate

    sampling = SamplingConfig(args.max_new_tokens, args.temperature, args.top_k, args.top_p, args.seed)
    model, tokenizer = load_model(args.model)
    prompt = " ".join(args.prompt)
    sampling.apply_seed()
    for n in range(args.num_samples):
        if args.num_samples > 1:
            sys.stdout.write(f"--- sample {n + 1}\n")
        sys.stdout.write(prompt)
        for text in stream_generate(model, tokenizer, encode_document_prompt(tokenizer, prompt), sampling):
            sys.stdout.write(text)
            sys.stdout.flush()
        sys.stdout.write("\n")
    return 0
