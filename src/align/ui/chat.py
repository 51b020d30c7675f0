"""Chat turns for the web UI, run by :class:`align.chat_engine.ChatSession` (the same engine as ``align chat``):
its events become chatbot messages — streamed text in the assistant's bubble, each tool call in a box of its own
titled with the call and its output."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from align.chat_engine import ChatEvent, ChatSession
from align.engine import SamplingConfig
from align.tools import parse_tool_call
from align.ui.models import ServedModel
from align.ui.tokens import token_view

logger = logging.getLogger(__name__)

STOPPED = {"length": "stopped: max new tokens", "tool_limit": "stopped: too many tool calls"}


@dataclass
class ChatSettings:
    """What the person sets beside the chat box."""

    system: str | None = None
    temperature: float = 0.0
    max_new_tokens: int = 128
    tools: bool = True
    seed: int | None = None

    def sampling(self) -> SamplingConfig:
        return SamplingConfig(max_new_tokens=int(self.max_new_tokens), temperature=float(self.temperature),
                              seed=self.seed)


class ReplyView:
    """Chatbot messages (Gradio's ``{"role", "content", "metadata"}`` dicts) built from one reply's events."""

    def __init__(self):
        self.messages: list[dict] = []
        self._call = ""

    def add(self, event: ChatEvent) -> None:
        last = self.messages[-1] if self.messages else None
        if event.kind == "text":
            if last is not None and "metadata" not in last:
                last["content"] += event.text
            else:
                self.messages.append({"role": "assistant", "content": event.text})
        elif event.kind == "tool_call":
            self._call = describe_call(event.text)
            self.messages.append({"role": "assistant", "content": f"```json\n{event.text.strip()}\n```",
                                  "metadata": {"title": f"tool call: {self._call}", "status": "pending"}})
        elif event.kind == "tool_output" and last is not None and "metadata" in last:
            last["content"] += f"\n\noutput: `{event.text}`"
            last["metadata"] = {"title": f"tool call: {self._call} → {event.text}", "status": "done"}
        elif event.kind == "end":
            notes = [] if any(m["content"].strip() for m in self.messages) else ["empty reply"]
            notes += [STOPPED[event.text]] if event.text in STOPPED else []
            if not notes:
                return
            if last is not None and "metadata" not in last:
                last["content"] += f" *[{'; '.join(notes)}]*"
            else:
                self.messages.append({"role": "assistant", "content": f"*[{'; '.join(notes)}]*"})


def describe_call(call: str) -> str:
    """``calculator(123 * 456)`` for a well-formed call; the raw text (cut short) otherwise."""
    try:
        name, arguments = parse_tool_call(call.strip())
    except (ValueError, RecursionError):
        return call.strip()[:80]
    shown = [str(v) if len(arguments) == 1 else f"{k}={json.dumps(v)}" for k, v in arguments.items()]
    return f"{name}({', '.join(shown)})"


def chat_turn(served: ServedModel, messages: list[dict], text: str,
              settings: ChatSettings) -> Iterator[tuple[list[dict], list[dict], str]]:
    """Send ``text`` after ``messages`` (the engine's conversation so far). Yields (the reply's chatbot messages,
    the conversation so far, the token view of the prompt the model was given) as the reply streams in."""
    session = ChatSession(served.model, served.tokenizer, settings.sampling(), system=settings.system or None,
                          tools=None if settings.tools else {}, messages=[dict(m) for m in messages])
    session.messages.append({"role": "user", "content": text})
    tokens = token_view(served.tokenizer, session.prompt_ids())
    view = ReplyView()
    yield view.messages, session.messages, tokens
    with served.lock:
        session.sampling.apply_seed()
        for event in session.respond():
            view.add(event)
            yield view.messages, session.messages, tokens
    logger.info("%s replied in %d message(s)", served.name, len(view.messages))
