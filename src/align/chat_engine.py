"""Multi-turn chat with tool use: generate until end of turn or ``<|/tool_call|>``; run the call; feed the
output back as a ``tool`` message; continue — streamed as events a terminal (or a test) can show."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from align.chat_template import end_of_turn_ids
from align.engine import SamplingConfig, stream_generate
from align.errors import UserError
from align.tools import TOOLS, format_tool_call, parse_tool_call, run_tool_call, tool_schemas
from align.tools.syntax import ToolSyntax, syntax_of

logger = logging.getLogger(__name__)


@dataclass
class ChatEvent:
    """One piece of an assistant reply: ``text`` (visible, streamed), ``tool_call`` (the raw call JSON),
    ``tool_output`` (what the tool returned) or ``end`` (``text`` holds why: ``eos`` or ``length``)."""

    kind: str
    text: str


@dataclass
class ChatSession:
    """A conversation with a chat model; ``send`` adds a user message and yields the reply's events."""

    model: object
    tokenizer: object
    sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(temperature=0.0))
    system: str | None = None
    tools: dict[str, Callable[..., str]] | None = None
    """Tool name -> function (default: align.tools.TOOLS)."""
    max_tool_calls: int = 8
    """Tool calls allowed in one reply (a model stuck in a loop of calls is cut off)."""
    messages: list[dict] = field(default_factory=list)

    def __post_init__(self):
        if not self.tokenizer.chat_template:
            raise UserError("this tokenizer has no chat template: chat needs an SFT model (see recipes/sft.py)")
        if self.system and not self.messages:
            self.messages.append({"role": "system", "content": self.system})

    def send(self, text: str) -> Iterator[ChatEvent]:
        self.messages.append({"role": "user", "content": text})
        yield from self.respond()

    def stop_ids(self) -> list[int]:
        return turn_stop_ids(self.tokenizer, tools=True)

    def prompt_ids(self) -> list[int]:
        """What the model is given next: the conversation in its chat template, the tools offered, and the
        assistant's header when a new turn starts."""
        offered = tool_schemas(TOOLS if self.tools is None else self.tools) or None
        return list(self.tokenizer.apply_chat_template(self.messages, tools=offered, add_generation_prompt=True,
                                                       tokenize=True, return_dict=False))

    def respond(self) -> Iterator[ChatEvent]:
        """Generate the assistant's reply to the conversation so far, running tool calls on the way."""
        special = sorted(set(self.tokenizer.all_special_tokens), key=len, reverse=True)
        syntax = syntax_of(self.tokenizer)
        stop_tokens = tuple(self.tokenizer.convert_ids_to_tokens(self.stop_ids()))
        for _ in range(self.max_tool_calls + 1):
            ids = self.prompt_ids()
            raw, shown = "", 0
            for piece in stream_generate(self.model, self.tokenizer, ids, self.sampling, self.stop_ids(),
                                         skip_special_tokens=False):
                raw += piece
                visible = visible_text(raw, special, syntax)
                if len(visible) > shown:
                    yield ChatEvent("text", visible[shown:])
                    shown = len(visible)
            content = visible_text(raw, special, syntax)
            call = syntax.ending_call(raw, stop_tokens)
            if call is not None:
                yield ChatEvent("tool_call", call)
                output = run_tool_call(call, self.tools)
                yield ChatEvent("tool_output", output)
                try:
                    name, arguments = parse_tool_call(call)
                except (ValueError, RecursionError):
                    name, arguments = "unparsed", {"text": call[:200]}
                self.messages.append({"role": "assistant", "content": content,
                                      "tool_calls": [format_tool_call(name, arguments)]})
                self.messages.append({"role": "tool", "content": output})
                continue
            self.messages.append({"role": "assistant", "content": content.strip()})
            ended = any(raw.rstrip().endswith(token) for token in stop_tokens)
            yield ChatEvent("end", "eos" if ended else "length")
            return
        logger.warning("reply cut off after %d tool calls", self.max_tool_calls)
        yield ChatEvent("end", "tool_limit")

    def reply(self, text: str) -> str:
        """``send`` and return the visible reply text (for scripts and evaluation)."""
        return "".join(e.text for e in self.send(text) if e.kind == "text").strip()


def visible_text(raw: str, special: list[str], syntax: ToolSyntax) -> str:
    """The text a user sees: up to the tool call, special tokens removed."""
    text = syntax.visible(raw)
    for token in special:
        text = text.replace(token, "")
    return text


def turn_stop_ids(tokenizer, tools: bool) -> list[int]:
    """Where a generated turn ends: end of turn, start of a new document, and (``tools``) a closing tool-call tag
    that is one token (align's ``<|/tool_call|>``, Qwen2.5's ``</tool_call>``)."""
    stops = end_of_turn_ids(tokenizer)
    if tools:
        end = syntax_of(tokenizer).end
        if end in tokenizer.get_vocab():
            stops.append(tokenizer.convert_tokens_to_ids(end))
    if tokenizer.bos_token_id is not None and tokenizer.bos_token_id not in stops:
        stops.append(tokenizer.bos_token_id)
    return stops
