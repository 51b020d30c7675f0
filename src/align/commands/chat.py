"""`align chat --model DIR`: multi-turn chat in the terminal, streamed, with visible tool calls."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from align.cli_options import add_verb, option


@dataclass
class ChatOptions:
    model: str = option(help="model dir (or Hub id); a LoRA adapter dir works too")
    system: str | None = option(None, "system prompt")
    max_new_tokens: int = 256
    temperature: float = option(0.0, "0 = greedy")
    top_k: int = option(50, "0 = off")
    top_p: float = 1.0
    seed: int | None = None
    no_tools: bool = option(False, "do not run tool calls")


def register(subparsers) -> None:
    add_verb(subparsers, "chat", ChatOptions, _chat, help="chat with an SFT model in the terminal")


def _chat(args) -> int:
    from align.chat_engine import ChatSession
    from align.engine import SamplingConfig, load_model

    sampling = SamplingConfig(args.max_new_tokens, args.temperature, args.top_k, args.top_p, args.seed)
    model, tokenizer = load_model(args.model)
    session = ChatSession(model, tokenizer, sampling, system=args.system, tools={} if args.no_tools else None)
    sampling.apply_seed()
    interactive = sys.stdin.isatty()
    if interactive:
        sys.stdout.write("Chat with the model. Empty line or Ctrl-D to quit, /reset to start over.\n")
    while True:
        if interactive:
            sys.stdout.write("\n> ")
            sys.stdout.flush()
        line = sys.stdin.readline()
        if not line or not line.strip():
            return 0
        if line.strip() == "/reset":
            session.messages = [m for m in session.messages[:1] if m["role"] == "system"]
            continue
        for event in session.send(line.strip()):
            if event.kind == "text":
                sys.stdout.write(event.text)
            elif event.kind == "tool_call":
                sys.stdout.write(f"\n  [tool call] {event.text}\n")
            elif event.kind == "tool_output":
                sys.stdout.write(f"  [tool output] {event.text}\n")
            elif event.kind == "end" and event.text != "eos":
                sys.stdout.write(f" [stopped: {event.text}]")
            sys.stdout.flush()
        sys.stdout.write("\n")
