"""`align chat --model DIR`: multi-turn chat in the terminal, streamed, with visible tool calls."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser("chat", help="chat with an SFT model in the terminal")
    parser.add_argument("--model", required=True, help="model dir (or Hub id); a LoRA adapter dir works too")
    parser.add_argument("--system", default=None, help="system prompt")
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy")
    parser.add_argument("--top-k", type=int, default=50, help="0 = off")
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--no-tools", action="store_true", help="do not run tool calls")
    parser.set_defaults(func=_chat)


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
