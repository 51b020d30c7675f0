"""The token view: a chat-templated prompt as the tokenizer splits it, one coloured span per token (the colours of
``align tokenizer show``), each carrying its id, with the id list below."""

from __future__ import annotations

import html

from align.tokenizer import token_pieces

# The background colours of `align tokenizer show` (ANSI 43 42 46 45 44 41 103 102 106 105), lightened for a page.
COLOURS = ["#fde68a", "#bbf7d0", "#a5f3fc", "#f5d0fe", "#bfdbfe", "#fecaca",
           "#fef9c3", "#dcfce7", "#cffafe", "#fae8ff"]

CSS = """
.align-tokens .align-token-text { font-family: ui-monospace, monospace; font-size: 13px; line-height: 1.9;
  white-space: pre-wrap; word-break: break-all; }
.align-tokens .align-tok { color: #111; border-radius: 3px; padding: 1px 0; }
.align-tokens .align-tok.special { font-weight: 600; outline: 1px solid #555; white-space: nowrap; }
.align-tokens .align-token-ids { font-family: ui-monospace, monospace; font-size: 12px; color: #555;
  word-break: break-all; margin-top: 6px; }
"""


def token_view(tokenizer, ids: list[int]) -> str:
    """HTML of ``ids``: each token a span (``data-id``, tooltip ``id N``), special tokens outlined, ``\\n`` shown."""
    special = set(tokenizer.all_special_ids)
    spans = []
    for n, (token_id, piece) in enumerate(zip(ids, token_pieces(tokenizer, ids))):
        shown = html.escape(piece).replace("\n", "\\n\n")
        kind = "align-tok special" if token_id in special else "align-tok"
        spans.append(f'<span class="{kind}" data-id="{token_id}" title="id {token_id}" '
                     f'style="background:{COLOURS[n % len(COLOURS)]}">{shown}</span>')
    text = tokenizer.decode(ids, skip_special_tokens=False)
    return (f'<div class="align-tokens"><div class="align-token-stats">{len(ids)} tokens, '
            f'{len(text.encode("utf-8"))} bytes</div><div class="align-token-text">{"".join(spans)}</div>'
            f'<div class="align-token-ids">ids: {" ".join(str(i) for i in ids)}</div></div>')


def empty_view(note: str = "Send a message to see the prompt the model is given, token by token.") -> str:
    return f'<div class="align-tokens"><div class="align-token-stats">{html.escape(note)}</div></div>'
