"""`align ui --model DIR`: the web UI (Gradio) — chat, compare two models, rank answers into preference pairs."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "ui", help="web UI: chat with a model, compare two, label preference pairs",
        description="Serves a Gradio app on HOST:PORT with three tabs: Chat (streamed replies, tool calls shown, the "
        "prompt's tokens), Compare (two models answer one prompt) and Label (rank two sampled answers; each pair is "
        "appended to --preferences in the format recipes/reward_model.py takes). Needs `pip install -e \".[ui]\"`.")
    p.add_argument("--model", required=True, metavar="DIR", help="model dir of any stage (base, SFT, RL, PPO) or Hub id")
    p.add_argument("--compare", default=None, metavar="DIR", help="a second model, for the Compare tab")
    p.add_argument("--preferences", default=None, metavar="OUT.jsonl", help="jsonl file the Label tab appends ranked pairs to")
    p.add_argument("--world", default=None, metavar="DIR",
                   help="tiny world (seed, world.json or crawl dir): label its describe prompts")
    p.add_argument("--system", default=None, metavar="PROMPT", help="system prompt")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    p.add_argument("--port", type=int, default=7860, help="default: %(default)s")
    p.add_argument("--trust-remote-code", action="store_true")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from align.errors import UserError
    from align.ui import ModelPool, PreferenceStore, PromptSource

    if not 0 < args.port < 65536:
        raise UserError(f"--port must be in 1-65535, got {args.port}")
    store = PreferenceStore(args.preferences) if args.preferences else None
    prompts = PromptSource(args.world)
    pool = ModelPool()
    for path in [args.model] + ([args.compare] if args.compare else []):
        pool.load(path, args.trust_remote_code)

    from align.ui.app import build_app, serve

    app = build_app(pool, store, prompts, system=args.system, compare=args.compare)
    logger.info("serving on http://%s:%d (Ctrl-C to stop)", args.host, args.port)
    serve(app, args.host, args.port, block=True)
    return 0
