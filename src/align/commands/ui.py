"""`align ui --model DIR`: the web UI (Gradio) — chat, compare two models, rank answers into preference pairs."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from align.cli_options import add_verb, option
from align.errors import UserError

logger = logging.getLogger(__name__)


@dataclass
class UIOptions:
    model: str = option(help="model dir of any stage (base, SFT, RL, PPO) or Hub id", metavar="DIR")
    compare: str | None = option(None, "a second model, for the Compare tab", metavar="DIR")
    preferences: str | None = option(None, "jsonl file the Label tab appends ranked pairs to", metavar="OUT.jsonl")
    world: str | None = option(None, "tiny world (seed, world.json or crawl dir): label its describe prompts",
                               metavar="DIR")
    system: str | None = option(None, "system prompt", metavar="PROMPT")
    host: str = option("127.0.0.1", "address to listen on")
    port: int = option(7860, "port to listen on")
    trust_remote_code: bool = False


def register(subparsers) -> None:
    add_verb(subparsers, "ui", UIOptions, _run, help="web UI: chat with a model, compare two, label preference pairs",
             description="Serves a Gradio app on HOST:PORT with three tabs: Chat (streamed replies, tool calls shown, "
             "the prompt's tokens), Compare (two models answer one prompt) and Label (rank two sampled answers; each "
             "pair is appended to --preferences in the format recipes/reward_model.py takes). Needs "
             "`pip install -e \".[ui]\"`.")


def _run(args) -> int:
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
