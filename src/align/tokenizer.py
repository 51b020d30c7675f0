"""Byte-level BPE tokenizer: training, special tokens and the chat template.

The result is a standard tokenizer dir (``tokenizer.json`` + ``tokenizer_config.json`` with the chat
template) that ``AutoTokenizer.from_pretrained`` loads; nothing here is needed to use it afterwards.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from align.errors import UserError, first_line

logger = logging.getLogger(__name__)

# Document boundary in pretraining; also the BOS of every document.
BOS = "<|endoftext|>"
PAD = "<|pad|>"
# Chat: a role token opens a turn, END closes it (END is the EOS that generation stops on).
SYSTEM, USER, ASSISTANT, END = "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"
# Tool use: the model writes a call between CALL tokens; the engine writes the result between OUTPUT tokens.
TOOL_CALL, TOOL_CALL_END = "<|tool_call|>", "<|/tool_call|>"
TOOL_OUTPUT, TOOL_OUTPUT_END = "<|tool_output|>", "<|/tool_output|>"
SPECIAL_TOKENS = [BOS, PAD, SYSTEM, USER, ASSISTANT, END, TOOL_CALL, TOOL_CALL_END, TOOL_OUTPUT, TOOL_OUTPUT_END]

# GPT-4's split pattern, with digit runs cut into groups of at most ``{digits}`` so that numbers
# tokenize the same way wherever they appear.
SPLIT_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,DIGITS}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"""
)

# Assistant turns are wrapped in {% generation %} so TRL's assistant-only loss can mask everything else.
# Tool calls follow the transformers convention: an assistant message with ``tool_calls``, then a
# ``tool`` message with the result; the assistant continues after the output without a new header.
CHAT_TEMPLATE = (
    # Tools offered to the model (transformers' ``tools=`` JSON schemas) go in a system turn of their own.
    "{%- if tools -%}<|system|>Tools: "
    "{% for t in tools -%}{%- set f = t['function'] if t['function'] is defined else t -%}"
    "{{ f['name'] }}{% if f['description'] is defined %} ({{ f['description'] }}){% endif %}"
    "{{ '; ' if not loop.last }}{%- endfor -%}" + END + "{%- endif -%}"
    "{%- for message in messages -%}"
    "{%- if message['role'] not in ['system', 'user', 'assistant', 'tool'] -%}"
    "{{ raise_exception('unknown role: ' ~ message['role']) }}"
    "{%- endif -%}"
    "{%- if message['role'] == 'assistant' -%}"
    "{%- if loop.first or loop.previtem['role'] != 'tool' -%}" + ASSISTANT + "{%- endif -%}"
    "{%- generation -%}"
    "{{ message['content'] or '' }}"
    "{%- for call in message['tool_calls'] or [] -%}"
    + TOOL_CALL
    + "{{ (call['function'] if call['function'] is defined else call) | tojson }}"
    + TOOL_CALL_END
    + "{%- endfor -%}"
    "{%- if not message['tool_calls'] -%}" + END + "{%- endif -%}"
    "{%- endgeneration -%}"
    "{%- elif message['role'] == 'tool' -%}"
    + TOOL_OUTPUT
    + "{{ message['content'] }}"
    + TOOL_OUTPUT_END
    + "{%- else -%}"
    "<|{{ message['role'] }}|>{{ message['content'] }}" + END + "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt and (not messages or messages[-1]['role'] != 'tool') -%}"
    + ASSISTANT
    + "{%- endif -%}"
)


@dataclass
class TokenizerTrainingConfig:
    """How to train the BPE tokenizer."""

    vocab_size: int = 4096
    """Total vocabulary, special tokens included."""
    max_digits: int = 2
    """Longest run of digits kept in one pre-token (GPT-4 uses 3; shorter is more regular for arithmetic)."""
    min_frequency: int = 2
    """A pair must occur this often to be merged."""
    heldout_fraction: float = 0.05
    """Fraction of documents kept out of training to measure compression."""
    max_train_chars: int | None = 50_000_000
    """Stop feeding text to the trainer after this many characters (keeps big corpora fast)."""
    special_tokens: list[str] = field(default_factory=lambda: list(SPECIAL_TOKENS))


def _split_pattern(max_digits: int) -> str:
    return SPLIT_PATTERN.replace("DIGITS", str(max_digits))


def _build_backend(config: TokenizerTrainingConfig):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_split_pattern(config.max_digits)), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    return tok


def train_tokenizer(texts: Iterable[str], config: TokenizerTrainingConfig | None = None):
    """Train byte-level BPE on ``texts`` and wrap it as a transformers fast tokenizer with the chat template."""
    from tokenizers import pre_tokenizers, trainers

    config = config or TokenizerTrainingConfig()
    n_base = 256 + len(config.special_tokens)
    if config.vocab_size <= n_base:
        raise UserError(f"vocab_size must be larger than {n_base} (256 bytes + special tokens), got {config.vocab_size}")
    backend = _build_backend(config)
    trainer = trainers.BpeTrainer(
        vocab_size=config.vocab_size,
        min_frequency=config.min_frequency,
        special_tokens=config.special_tokens,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=logger.isEnabledFor(logging.INFO),
    )
    backend.train_from_iterator(_capped(texts, config.max_train_chars), trainer=trainer)
    return wrap_backend(backend)


def wrap_backend(backend):
    """A transformers tokenizer around a ``tokenizers.Tokenizer``, with align's special tokens and chat template."""
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=BOS,
        eos_token=END,
        pad_token=PAD,
        additional_special_tokens=[t for t in SPECIAL_TOKENS if t not in (BOS, END, PAD)],
        model_max_length=1_000_000,
        clean_up_tokenization_spaces=False,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def _capped(texts: Iterable[str], max_chars: int | None) -> Iterator[str]:
    seen = 0
    for text in texts:
        yield text
        seen += len(text)
        if max_chars is not None and seen >= max_chars:
            logger.info("tokenizer training capped at %d characters", seen)
            return


def bytes_per_token(tokenizer, texts: Iterable[str]) -> float:
    """Compression on ``texts``: UTF-8 bytes divided by tokens (higher is better)."""
    n_bytes = n_tokens = 0
    for text in texts:
        n_bytes += len(text.encode("utf-8"))
        n_tokens += len(tokenizer(text, add_special_tokens=False, split_special_tokens=True)["input_ids"])
    return n_bytes / max(n_tokens, 1)


def token_bytes(tokenizer, token_ids: list[int]) -> list[bytes]:
    """The raw bytes behind each token id (b"" for special tokens); exact for byte-level BPE vocabularies."""
    byte_of_char = _byte_of_char()
    special = set(tokenizer.all_special_ids) | {
        i for i, t in tokenizer.added_tokens_decoder.items() if getattr(t, "special", False)
    }
    pieces = tokenizer.convert_ids_to_tokens(list(token_ids))
    out = []
    for token_id, piece in zip(token_ids, pieces):
        if token_id in special or piece is None:
            out.append(b"")
        elif all(ch in byte_of_char for ch in piece):  # byte-level BPE: one char per byte
            out.append(bytes(byte_of_char[ch] for ch in piece))
        else:  # other tokenizers (sentencepiece...): decode; partial UTF-8 sequences are approximate
            out.append(tokenizer.decode([token_id]).encode("utf-8"))
    return out


def token_pieces(tokenizer, token_ids: list[int]) -> list[str]:
    """Each token's text as a person should see it: its decoded bytes, a special token's own name, and the bytes
    of a token holding part of a multi-byte character as ``\\xNN``."""
    pieces = []
    for token_id, raw in zip(token_ids, token_bytes(tokenizer, token_ids)):
        try:
            pieces.append(raw.decode("utf-8") if raw else tokenizer.convert_ids_to_tokens(token_id))
        except UnicodeDecodeError:
            pieces.append("".join(f"\\x{b:02x}" for b in raw))
    return pieces


def token_byte_lengths(tokenizer) -> list[int]:
    """UTF-8 length of every token id; 0 for special tokens (they carry no text, so bits-per-byte skips them)."""
    return [len(b) for b in token_bytes(tokenizer, range(len(tokenizer)))]


@functools.lru_cache(maxsize=1)
def _byte_of_char() -> dict[str, int]:
    return {c: b for b, c in _bytes_to_unicode().items()}


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable character map, which byte-level BPE vocabularies are written in."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), 256))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, chars)))


def save_tokenizer(tokenizer, out_dir: str | Path, report: dict | None = None) -> Path:
    """Write a standard tokenizer dir; ``report`` (training stats) goes to ``align_tokenizer.json`` beside it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(out)
    if report is not None:
        (out / "align_tokenizer.json").write_text(json.dumps(report, indent=2) + "\n")
    return out


def train_from_dataset(
    dataset,
    out_dir: str | Path,
    config: TokenizerTrainingConfig | None = None,
    text_field: str = "text",
    source: str | None = None,
) -> dict:
    """Train on a text ``dataset`` (``datasets.Dataset``; :func:`align.data.text.load_text_dataset` reads files, dirs
    and Hub ids), its last ``heldout_fraction`` of rows held out, save, and report compression. ``source`` names the
    data in the report."""
    config = config or TokenizerTrainingConfig()
    n_heldout = max(1, math.ceil(len(dataset) * config.heldout_fraction)) if len(dataset) > 1 else 0
    split = len(dataset) - n_heldout
    train_texts = (row[text_field] for row in dataset.select(range(split)))
    heldout = [row[text_field] for row in dataset.select(range(split, len(dataset)))]
    logger.info("training BPE (vocab %d) on %d documents, %d held out", config.vocab_size, split, n_heldout)
    tokenizer = train_tokenizer(train_texts, config)
    report = {
        "data": source,
        "documents_train": split,
        "documents_heldout": n_heldout,
        "vocab_size": len(tokenizer),
        "heldout_bytes_per_token": round(bytes_per_token(tokenizer, heldout), 4) if heldout else None,
        "config": asdict(config),
    }
    save_tokenizer(tokenizer, out_dir, report)
    logger.info("saved tokenizer to %s (held-out bytes/token: %s)", out_dir, report["heldout_bytes_per_token"])
    return report


def load_tokenizer(source: str, trust_remote_code: bool = False):
    """``AutoTokenizer.from_pretrained`` with one-line errors; ``source`` is a tokenizer/model dir or a Hub id."""
    import os

    from transformers import AutoTokenizer

    path = os.path.expanduser(source)
    if not os.path.isdir(path) and (source.startswith((".", "/", "~")) or os.path.exists(path)):
        raise UserError(f"{source}: no such tokenizer or model directory")
    try:
        return AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as err:
        raise UserError(f"{source}: could not load a tokenizer ({first_line(err)})") from err
