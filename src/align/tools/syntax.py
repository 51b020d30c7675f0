"""How a model writes a tool call in its text, for every model family align trains.

- align's own tokenizer: ``<|tool_call|>{json}<|/tool_call|>`` with special tokens; the turn ends at the closing
  token and the output comes back between ``<|tool_output|>`` tokens;
- ChatML models (Qwen2.5, SmolLM2, Hermes): ``<tool_call>\\n{json}\\n</tool_call>`` at the end of an assistant turn,
  which then ends with ``<|im_end|>``; the output comes back in a ``<tool_response>`` block of a user turn.

The chat engine, batched evaluation and the tool rewards all read calls through :func:`ending_call` /
:func:`all_calls`, so one model-written call is parsed the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from align.tokenizer import TOOL_CALL, TOOL_CALL_END


@dataclass(frozen=True)
class ToolSyntax:
    start: str
    end: str
    separator: str = ""
    """What the chat template writes between a turn's text and its call."""

    def visible(self, raw: str) -> str:
        """The text before the first call (what a user sees of a turn that calls a tool), without the separator
        the template adds back when the turn is rendered again."""
        text, call, _ = raw.partition(self.start)
        return text.removesuffix(self.separator) if call and self.separator else text

    def ending_call(self, raw: str, trailing: tuple[str, ...] = ()) -> str | None:
        """The JSON of the call that ends ``raw`` (after removing ``trailing`` end-of-turn tokens), or None when the
        turn does not end in a closed call."""
        text = raw.rstrip()
        for token in trailing:
            if token and token != self.end and text.endswith(token):
                text = text[: -len(token)].rstrip()
        if self.start not in text or not text.endswith(self.end):
            return None
        return text.rsplit(self.start, 1)[1][: -len(self.end)].strip()

    def calls(self, text: str) -> list[str]:
        """The JSON of every call in ``text``; a call left open counts as the empty string (it cannot be read)."""
        found = []
        for segment in text.split(self.start)[1:]:
            call, closed, _ = segment.partition(self.end)
            found.append(call.strip() if closed else "")
        return found


ALIGN_SYNTAX = ToolSyntax(TOOL_CALL, TOOL_CALL_END)
HERMES_SYNTAX = ToolSyntax("<tool_call>", "</tool_call>", separator="\n")
SYNTAXES = (ALIGN_SYNTAX, HERMES_SYNTAX)


def syntax_of(tokenizer) -> ToolSyntax:
    """The syntax the tokenizer's chat template writes calls in (align's own when the template shows none)."""
    template = tokenizer.chat_template or ""
    if isinstance(template, dict):
        template = " ".join(template.values())
    if ALIGN_SYNTAX.start not in template and HERMES_SYNTAX.start in template:
        return HERMES_SYNTAX
    return ALIGN_SYNTAX


def all_calls(text: str) -> list[str]:
    """Every call in ``text`` in any known syntax (rewards see text without knowing the tokenizer)."""
    return [call for syntax in SYNTAXES for call in syntax.calls(text)]
