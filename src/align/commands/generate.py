"""`align generate --model DIR PROMPT`: the base model as a document simulator, streamed to the terminal."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser("generate", help="sample a continuation of PROMPT from a model")
    parser.add_argument("prompt", nargs="+", help="the start of a document")
    parser.add_argument("--model", required=True, help="model dir (or Hub id)")
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--temperature", type=float, default=0.8, help="0 = greedy")
    parser.add_argument("--top-k", type=int, default=50, help="0 = off")
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--num-samples", type=int, default=1)
    parser.add_argument("--seed", type=int, default=None)
    parser.set_defaults(func=_generate)


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
