"""Greedy chat replies for many conversations at once (evaluation), with tool calls run between rounds.

The interactive :class:`align.chat_engine.ChatSession` answers one conversation token by token; evaluation asks
hundreds of questions, so here each round generates for a whole batch (:func:`align.engine.generate_batch`), every
reply that ended in a tool call gets the tool's output appended, and only those conversations go on to the next round.
"""

from __future__ import annotations

import logging

from align.chat_engine import turn_stop_ids, visible_text
from align.engine import generate_batch
from align.logging_utils import progress
from align.tools import format_tool_call, parse_tool_call, run_tool_call, tool_schemas
from align.tools.syntax import syntax_of

logger = logging.getLogger(__name__)


def reply_batch(model, tokenizer, conversations: list[list[dict]], max_new_tokens: int = 128,
                tools: dict | None = None, batch_size: int = 32, max_tool_calls: int = 8) -> list[str]:
    """The visible reply text to each conversation (its last message is the user's). ``tools``: name -> function
    (offered through the chat template and run when called); None or empty offers none."""
    stops = turn_stop_ids(tokenizer, tools=bool(tools))
    stop_tokens = tuple(tokenizer.convert_ids_to_tokens(stops))
    syntax = syntax_of(tokenizer)
    special = sorted(set(tokenizer.all_special_tokens), key=len, reverse=True)
    offered = tool_schemas(tools) if tools else None
    messages = [list(c) for c in conversations]
    parts: list[list[str]] = [[] for _ in conversations]
    pending = list(range(len(conversations)))
    model_ = getattr(model, "module", model)
    context = getattr(model_.config, "max_position_embeddings", None) or 1 << 30
    bar = progress(len(conversations), "answering", unit="reply", leave=False)
    try:
        for _ in range(max_tool_calls + 1):
            if not pending:
                break
            still = []
            for start in range(0, len(pending), batch_size):
                chunk = pending[start : start + batch_size]
                texts = [tokenizer.apply_chat_template(messages[i], tools=offered, add_generation_prompt=True,
                                                       tokenize=False) for i in chunk]
                encoded = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
                if max(map(len, encoded)) >= context:  # a long tool loop: stop those replies where they are
                    logger.warning("%d conversations reached the model's context",
                                   sum(len(ids) >= context for ids in encoded))
                    chunk, encoded = ([x for x, ids in zip(v, encoded) if len(ids) < context] for v in (chunk, encoded))
                    if not chunk:
                        continue
                rows = generate_batch(model_, tokenizer, encoded, max_new_tokens=max_new_tokens,
                                      batch_size=len(chunk), stop_ids=stops, do_sample=False)
                for i, row in zip(chunk, rows):
                    raw = tokenizer.decode(row, skip_special_tokens=False)
                    shown = visible_text(raw, special, syntax)
                    parts[i].append(shown)
                    call = syntax.ending_call(raw, stop_tokens) if tools else None
                    if call is not None:
                        output = run_tool_call(call, tools)
                        try:
                            name, arguments = parse_tool_call(call)
                        except (ValueError, RecursionError):
                            name, arguments = "unparsed", {"text": call[:200]}
                        messages[i] += [{"role": "assistant", "content": shown,
                                         "tool_calls": [format_tool_call(name, arguments)]},
                                        {"role": "tool", "content": output}]
                        still.append(i)
                bar.update(sum(i not in still for i in chunk))  # replies that ended (no tool call to run)
            pending = still
    finally:
        bar.close()
    if pending:
        logger.warning("%d replies cut off after %d tool calls", len(pending), max_tool_calls)
    return [syntax.separator.join(p).strip() for p in parts]


def ask_batch(model, tokenizer, questions: list[str], system: str | None = None, **kwargs) -> list[str]:
    """One-turn questions (with an optional system message) through :func:`reply_batch`."""
    prefix = [{"role": "system", "content": system}] if system else []
    return reply_batch(model, tokenizer, [[*prefix, {"role": "user", "content": q}] for q in questions], **kwargs)
