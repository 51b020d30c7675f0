"""The web UI (Gradio), started with ``align ui --model DIR``: chat with any stage's model (streamed, tool calls
shown, the prompt's tokens), compare two models on one prompt, and rank sampled answers into preference pairs.

    from align.ui import ModelPool, build_app, serve
    pool = ModelPool()
    pool.load("runs/tiny-world/sft")
    serve(build_app(pool), port=7860)

Modules: ``models`` (loading and locking the served models), ``chat`` (engine events -> chatbot messages),
``tokens`` (the token view), ``labels`` (sampling pairs, the preference jsonl), ``app`` (layout and server).
Gradio is imported only by ``app`` (``pip install -e ".[ui]"``).
"""

from align.ui.labels import Pair, PreferenceStore, PromptSource
from align.ui.models import ModelPool


def build_app(*args, **kwargs):
    """See :func:`align.ui.app.build_app` (imported lazily: gradio is an optional dependency)."""
    from align.ui.app import build_app as build

    return build(*args, **kwargs)


def serve(*args, **kwargs):
    """See :func:`align.ui.app.serve`."""
    from align.ui.app import serve as start

    return start(*args, **kwargs)


__all__ = ["ModelPool", "Pair", "PreferenceStore", "PromptSource", "build_app", "serve"]
