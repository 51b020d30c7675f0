"""Chat templates for models that arrive without a usable one: ChatML with ``{% generation %}`` markers.

Many base models ship no chat template (or one that cannot mark the assistant's tokens). Training them on
chat data needs (1) a template whose assistant turns sit inside ``{% generation %}`` so assistant-only loss can
mask the rest, and (2) an end-of-turn token that *is* the EOS generation stops on — otherwise the fine-tuned
model learns to write ``<|im_end|>`` but ``generate`` never stops at it and rambles on.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

IM_START, IM_END = "<|im_start|>", "<|im_end|>"
CHATML_SPECIAL_TOKENS = [IM_START, IM_END]
HERMES_CALL, HERMES_CALL_END = "<tool_call>", "</tool_call>"

# ChatML exactly as Qwen2.5 and SmolLM2 write it (``<|im_start|>role\ncontent<|im_end|>\n``), with Qwen2.5's
# (Hermes) tool calls: the tools offered are listed in the system turn, a call is JSON between ``<tool_call>``
# tags at the end of an assistant turn, and the outputs come back as ``<tool_response>`` blocks in a user turn.
# The tags are plain text, so a model that knows ChatML needs no new tokens (and no resized embeddings).
# Newlines are written as expressions: transformers renders with trim_blocks, which eats a newline that follows a
# block tag, and ``{%- ... -%}`` strips the template's own whitespace around it.
NL = "{{ '\\n' }}"
CHATML_TEMPLATE = (
    "{%- if tools -%}" + IM_START + "system" + NL
    + "{%- if messages and messages[0]['role'] == 'system' -%}{{ messages[0]['content'] }}" + NL + NL
    + "{%- endif -%}"
    # The tools in one line each, name(arguments): description (a JSON schema per tool costs ~100 tokens per turn)
    "# Tools" + NL
    + "{%- for tool in tools -%}{%- set f = tool['function'] if tool['function'] is defined else tool -%}"
    "- {{ f['name'] }}({{ (f['parameters']['properties'] | list | join(', ')) if f['parameters'] is defined }})"
    "{%- if f['description'] is defined -%}: {{ f['description'] }}{%- endif -%}" + NL + "{%- endfor -%}"
    "Call one by ending your turn with " + HERMES_CALL + NL
    + "{\"name\": <tool>, \"arguments\": {<argument>: <value>}}" + NL + HERMES_CALL_END + IM_END + NL
    + "{%- endif -%}"
    "{%- for message in messages -%}"
    "{%- if message['role'] not in ['system', 'user', 'assistant', 'tool'] -%}"
    "{{ raise_exception('unknown role: ' ~ message['role']) }}"
    "{%- endif -%}"
    "{%- if message['role'] == 'assistant' -%}"
    + IM_START + "assistant" + NL
    + "{%- generation -%}"
    "{{ message['content'] or '' }}"
    "{%- for call in message['tool_calls'] or [] -%}"
    "{%- if message['content'] or not loop.first -%}" + NL + "{%- endif -%}"
    + HERMES_CALL + NL + "{{ (call['function'] if call['function'] is defined else call) | tojson }}" + NL
    + HERMES_CALL_END
    + "{%- endfor -%}" + IM_END
    + "{%- endgeneration -%}" + NL
    + "{%- elif message['role'] == 'tool' -%}"
    "{%- if loop.first or loop.previtem['role'] != 'tool' -%}" + IM_START + "user{%- endif -%}"
    + NL + "<tool_response>" + NL + "{{ message['content'] }}" + NL + "</tool_response>"
    "{%- if loop.last or loop.nextitem['role'] != 'tool' -%}" + IM_END + NL + "{%- endif -%}"
    "{%- elif message['role'] != 'system' or not (loop.first and tools) -%}"
    + IM_START + "{{ message['role'] }}" + NL + "{{ message['content'] }}" + IM_END + NL
    + "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}" + IM_START + "assistant" + NL + "{%- endif -%}"
)


def has_generation_markers(template: str | None) -> bool:
    return bool(template) and "generation" in template and "endgeneration" in template


def template_is_trainable(tokenizer) -> bool:
    """True when assistant-only loss works with the tokenizer's template (markers, or TRL can patch it)."""
    if has_generation_markers(tokenizer.chat_template):
        return True
    if not tokenizer.chat_template:
        return False
    from trl.chat_template_utils import get_training_chat_template

    try:
        get_training_chat_template(tokenizer)
    except ValueError:
        return False
    return True


def end_of_turn_token(tokenizer) -> str | None:
    """The special token that ends an assistant turn under the tokenizer's template (as TRL trains it): the last
    non-blank token of the assistant's span, e.g. ``<|im_end|>`` for Qwen2.5 — or None when that is plain text."""
    template = tokenizer.chat_template
    if not has_generation_markers(template):
        from trl.chat_template_utils import get_training_chat_template

        try:
            template = get_training_chat_template(tokenizer) or template
        except ValueError:
            return None
    messages = [{"role": "user", "content": "Hi."}, {"role": "assistant", "content": "Hello."},
                {"role": "user", "content": "Bye."}]
    try:
        out = tokenizer.apply_chat_template(messages, chat_template=template, tokenize=True, return_dict=True,
                                            return_assistant_tokens_mask=True)
    except Exception:  # a template that cannot render this conversation: nothing to learn from it
        return None
    added = set(tokenizer.get_added_vocab().values())
    for token, in_turn in reversed(list(zip(out["input_ids"], out["assistant_masks"]))):
        if in_turn and tokenizer.decode([token]).strip():
            return tokenizer.convert_ids_to_tokens(token) if token in added else None
    return None


def use_end_of_turn_as_eos(tokenizer) -> None:
    """Make the template's end-of-turn token the EOS (base models often end documents, not turns, with theirs: Qwen2.5
    and SmolLM2 base models have ``<|endoftext|>``), so ``generate`` stops where a trained turn ends. The old EOS
    becomes the pad token when there is none."""
    end = end_of_turn_token(tokenizer)
    if end is None or end == tokenizer.eos_token:
        return
    if tokenizer.pad_token is None and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token
    logger.info("EOS: %s -> %s (the chat template's end of turn)", tokenizer.eos_token, end)
    tokenizer.eos_token = end


def apply_chatml(tokenizer) -> list[str]:
    """Give ``tokenizer`` the ChatML template, add its special tokens where missing and make ``<|im_end|>`` the
    EOS. Returns the tokens that were added (the model's embeddings must then be resized)."""
    vocab = tokenizer.get_vocab()
    missing = [t for t in CHATML_SPECIAL_TOKENS if t not in vocab]
    # Special, so they are never split and never produced from plain text by accident.
    if missing:
        tokenizer.add_special_tokens({"additional_special_tokens": missing}, replace_extra_special_tokens=False)
    tokenizer.chat_template = CHATML_TEMPLATE
    tokenizer.eos_token = IM_END
    if tokenizer.pad_token is None or tokenizer.pad_token == IM_END:
        # Padding with the EOS would hide the trained stop token in padded batches of other frameworks.
        candidate = tokenizer.unk_token or tokenizer.bos_token
        if candidate and candidate != IM_END:
            tokenizer.pad_token = candidate
    logger.info("chat template: ChatML (EOS %s; added tokens: %s)", IM_END, missing or "none")
    return missing


def end_of_turn_ids(tokenizer) -> list[int]:
    """Token ids that end an assistant turn (the EOS, plus ChatML's end where present)."""
    ids = [tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids(IM_END) if IM_END in tokenizer.get_vocab() else None]
    return [i for i in dict.fromkeys(ids) if i is not None]
