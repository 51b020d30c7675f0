"""Generation, in one place: load a model dir; :func:`generate_batch` completes many prompts at once (evaluation,
probes, preference sampling, training callbacks); :func:`stream_generate` streams one reply token by token (chat).
PPO's rollout (:mod:`align.trainers.rollout`) is the one other caller of ``model.generate``: it needs the
log-probabilities of what it sampled."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from align.errors import UserError, first_line
from align.hardware import bf16_supported
from align.logging_utils import progress
from align.model_dir import check_model_dir
from align.modeling import generation_eos_ids
from align.tokenizer import load_tokenizer

logger = logging.getLogger(__name__)


@dataclass
class SamplingConfig:
    max_new_tokens: int = 128
    temperature: float = 0.8
    """0 means greedy decoding."""
    top_k: int | None = 50
    top_p: float | None = 1.0
    seed: int | None = None
    """Seeds torch once, before the first sample (see ``apply_seed``)."""

    def __post_init__(self):
        if self.temperature < 0:
            raise UserError(f"temperature must be >= 0, got {self.temperature}")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise UserError(f"top-p must be in (0, 1], got {self.top_p}")
        if self.top_k is not None and self.top_k < 0:
            raise UserError(f"top-k must be >= 0, got {self.top_k}")
        if self.max_new_tokens < 1:
            raise UserError(f"max new tokens must be >= 1, got {self.max_new_tokens}")

    def apply_seed(self) -> None:
        if self.seed is not None:
            torch.manual_seed(self.seed)

    def generate_kwargs(self) -> dict:
        if self.temperature == 0:
            return {"do_sample": False, "max_new_tokens": self.max_new_tokens}
        return {
            "do_sample": True,
            "temperature": self.temperature,
            "top_k": self.top_k or None,
            "top_p": self.top_p,
            "max_new_tokens": self.max_new_tokens,
        }


def load_model(path: str, trust_remote_code: bool = False):
    """Model and tokenizer from a model dir (or Hub id), in eval mode, bf16 where the hardware has it."""
    from transformers import AutoModelForCausalLM

    check_model_dir(path)  # a tokenizer-only or checkpoints-only dir: say so, before the tokenizer loads from it
    tokenizer = load_tokenizer(path, trust_remote_code)
    try:
        model = AutoModelForCausalLM.from_pretrained(
            path, dtype=torch.bfloat16 if bf16_supported() else torch.float32, trust_remote_code=trust_remote_code
        )
    except OSError as err:
        raise UserError(f"{path}: could not load a model ({first_line(err)})") from err
    model.eval()
    if torch.cuda.is_available():
        model.to("cuda")
    return model, tokenizer


def encode_document_prompt(tokenizer, prompt: str) -> list[int]:
    """A base-model prompt: BOS (start of a document) then the text; special-token strings stay text."""
    ids = tokenizer(prompt, add_special_tokens=False, split_special_tokens=True)["input_ids"]
    return ([tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []) + ids


def stream_generate(model, tokenizer, input_ids: list[int], sampling: SamplingConfig,
                    stop_ids: list[int] | None = None, skip_special_tokens: bool = True) -> Iterator[str]:
    """Yield decoded text as the model samples it; stops at ``stop_ids`` (default: the model's EOS ids).

    ``skip_special_tokens=False`` keeps tokens such as ``<|tool_call|>`` in the text (the chat engine parses them).
    """
    from transformers import TextIteratorStreamer

    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=skip_special_tokens)
    context = getattr(model.config, "max_position_embeddings", None)
    if context is not None and len(input_ids) >= context:
        raise UserError(f"the prompt is {len(input_ids)} tokens; the model's context is {context}")
    generate_kwargs = sampling.generate_kwargs()
    if context is not None:  # never run past the positions the model was trained on
        generate_kwargs["max_new_tokens"] = min(generate_kwargs["max_new_tokens"], context - len(input_ids))
    inputs = torch.tensor([input_ids], device=model.device)
    kwargs = dict(
        input_ids=inputs,
        attention_mask=torch.ones_like(inputs),
        streamer=streamer,
        pad_token_id=tokenizer.pad_token_id,
        **generate_kwargs,
    )
    if stop_ids is not None:
        kwargs["eos_token_id"] = stop_ids
    errors: list[BaseException] = []

    def _run():
        try:
            with torch.no_grad():
                model.generate(**kwargs)
        except BaseException as err:  # surfaced in the caller's thread below
            errors.append(err)
            streamer.end()

    thread = threading.Thread(target=_run, daemon=True)
    thread.start()
    yield from streamer
    thread.join()
    if errors:
        raise errors[0]


def generate_batch(model, tokenizer, prompts: list[list[int]], *, max_new_tokens: int, batch_size: int = 32,
                   num_return_sequences: int = 1, stop_ids: list[int] | None = None, desc: str | None = None,
                   **generate_kwargs) -> list[list[int]]:
    """Complete token-id ``prompts``, ``batch_size`` prompts per ``generate`` call, left-padded so every prompt ends
    where generation starts. Returns the new ids of each completion (``num_return_sequences`` per prompt, prompt by
    prompt), cut after the first stop id.

    Stops at ``stop_ids`` (default: the model's generation config, which the recipes set to the end of turn); the
    number of new tokens is capped so no row runs past the model's context. ``generate_kwargs`` go to ``generate``
    (``do_sample``, ``temperature``, ``top_k``, ``top_p``, ``min_new_tokens``); seed torch before the call for
    reproducible samples. Works on a DDP-wrapped model; leaves its train/eval mode as it was. ``desc`` shows a
    progress bar."""
    model_ = getattr(model, "module", model)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if stop_ids is not None:
        generate_kwargs["eos_token_id"] = stop_ids
    stops = set(stop_ids if stop_ids is not None else generation_eos_ids(model_))
    context = getattr(model_.config, "max_position_embeddings", None)
    completions: list[list[int]] = []
    was_training = model_.training
    model_.eval()
    bar = progress(len(prompts), desc, unit="prompt", leave=False) if desc else None
    try:
        for start in range(0, len(prompts), batch_size):
            chunk = [list(ids) for ids in prompts[start : start + batch_size]]
            width = max(map(len, chunk))
            input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in chunk], device=model_.device)
            mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in chunk], device=model_.device)
            budget = max_new_tokens if context is None else max(1, min(max_new_tokens, context - width))
            with torch.no_grad():
                out = model_.generate(input_ids=input_ids, attention_mask=mask, max_new_tokens=budget,
                                      num_return_sequences=num_return_sequences, pad_token_id=pad, **generate_kwargs)
            for row in out[:, width:].tolist():
                end = next((k + 1 for k, t in enumerate(row) if t in stops), len(row))
                completions.append(row[:end])
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()
        model_.train(was_training)
    return completions

