"""The rollout: encode prompts (left padding), sample responses, cut them at the stop token, and read the
per-token log-probabilities of the policy and of the reference model.

Sampling draws from ``softmax(logits / temperature)`` exactly (no top-k/top-p, no repetition penalty), and the
log-probabilities are recomputed by a forward pass at the same temperature, so the rollout's log π is the
distribution the tokens came from — what the PPO ratio and the KL estimate need.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from align.modeling import generation_eos_ids, stop_token_ids
from align.trainers.value_model import response_logits, token_values


@dataclass
class Rollout:
    """One batch of sampled responses, all tensors on one device. ``T = context_length + R``."""

    query_responses: torch.Tensor  # (B, T) left-padded prompt + response (padding after the stop token)
    attention_mask: torch.Tensor   # (B, T) 1 on real tokens
    context_length: int
    mask: torch.Tensor             # (B, R) 1 on the response's real tokens (up to and including the stop token)
    stopped: torch.Tensor          # (B,) True when the response ended with a stop token
    logprobs: torch.Tensor         # (B, R) log π_old(token), 0 outside mask
    ref_logprobs: torch.Tensor     # (B, R) log π_ref(token), 0 outside mask
    values: torch.Tensor | None    # (B, R) critic's V(s_t), 0 outside mask; None when not asked for
    completion_ids: list[list[int]]
    completions: list[str]         # decoded, special tokens dropped

    @property
    def responses(self) -> torch.Tensor:
        return self.query_responses[:, self.context_length:]

    @property
    def lengths(self) -> torch.Tensor:
        return self.mask.long().sum(1)


def is_conversational(prompt) -> bool:
    return isinstance(prompt, list) and all(isinstance(m, dict) and "role" in m for m in prompt)


def prompt_token_ids(tokenizer, prompts: list, max_prompt_length: int | None = None) -> list[list[int]]:
    """Token ids of each prompt: a list of messages gets the chat template with the generation prompt; a string is
    used as it is (TRL's convention). Long prompts keep their last ``max_prompt_length`` tokens."""
    ids = []
    for prompt in prompts:
        if is_conversational(prompt):
            text = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)
        elif isinstance(prompt, str):
            text = prompt
        else:
            raise ValueError(f"prompt must be a string or a list of messages, got {type(prompt).__name__}")
        row = tokenizer(text, add_special_tokens=False)["input_ids"]
        if max_prompt_length is not None and len(row) > max_prompt_length:
            row = row[-max_prompt_length:]
        ids.append(row)
    return ids


def left_pad(rows: list[list[int]], pad_id: int, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """(input_ids, attention_mask), padded on the left to the longest row."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        if row:
            ids[i, width - len(row):] = torch.tensor(row, dtype=torch.long)
            mask[i, width - len(row):] = 1
    return ids.to(device), mask.to(device)


def stop_ids_for(tokenizer, model, stop_token: str | None, stop_token_id: int | None) -> list[int]:
    """The ids a response ends at: ``stop_token_id``; or for ``eos`` the tokenizer's stop tokens and the model's
    generation EOS ids; or none."""
    if stop_token_id is not None:
        return [stop_token_id]
    if stop_token is None:
        return []

    ids = list(stop_token_ids(tokenizer)) + generation_eos_ids(model)
    return [i for i in dict.fromkeys(ids) if i is not None]


def sampling_config(max_new_tokens: int, temperature: float, greedy: bool, stop_ids: list[int], pad_id: int):
    """A ``GenerationConfig`` for plain sampling from softmax(logits/T); every processor that would change the
    distribution is neutralised explicitly (``generate`` fills unset fields from the model's own config)."""
    from transformers import GenerationConfig

    return GenerationConfig(
        max_new_tokens=max_new_tokens, min_new_tokens=0, do_sample=not greedy,
        temperature=temperature if not greedy else 1.0, top_k=0, top_p=1.0, min_p=0.0, typical_p=1.0,
        epsilon_cutoff=0.0, eta_cutoff=0.0, repetition_penalty=1.0, no_repeat_ngram_size=0,
        eos_token_id=list(stop_ids), pad_token_id=pad_id, use_cache=True,
    )


def truncate_at_stop(responses: torch.Tensor, stop_ids: list[int], pad_id: int):
    """Cut each response after its first stop token. Returns (responses with padding after it, mask, stopped)."""
    if stop_ids:
        is_stop = torch.isin(responses, torch.tensor(stop_ids, device=responses.device))
    else:
        is_stop = torch.zeros_like(responses, dtype=torch.bool)
    stopped = is_stop.any(1)
    first_stop = torch.where(stopped, is_stop.long().argmax(1), torch.full_like(stopped, responses.shape[1] - 1,
                                                                                 dtype=torch.long))
    positions = torch.arange(responses.shape[1], device=responses.device)
    mask = positions[None, :] <= first_stop[:, None]
    return responses.masked_fill(~mask, pad_id), mask, stopped


def token_logprobs(logits: torch.Tensor, tokens: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """log softmax(logits / temperature) at ``tokens``, in float32."""
    logits = logits.float() / temperature
    return logits.gather(-1, tokens.unsqueeze(-1)).squeeze(-1) - torch.logsumexp(logits, -1)


@torch.no_grad()
def sample(policy, tokenizer, prompt_ids: list[list[int]], *, max_new_tokens: int, temperature: float,
           stop_ids: list[int], chunk_size: int, greedy: bool = False, device=None,
           autocast=contextlib.nullcontext) -> tuple[torch.Tensor, torch.Tensor, int, torch.Tensor]:
    """Generate for every prompt (in chunks). Returns (query_responses, attention_mask, context_length, stopped)
    with all prompts left-padded to one ``context_length`` and responses cut after their stop token."""
    pad_id = tokenizer.pad_token_id
    queries, query_mask = left_pad(prompt_ids, pad_id, device)
    context_length = queries.shape[1]
    config = sampling_config(max_new_tokens, temperature, greedy, stop_ids, pad_id)
    pieces = []
    for start in range(0, len(prompt_ids), chunk_size):
        chunk, chunk_mask = queries[start:start + chunk_size], query_mask[start:start + chunk_size]
        with autocast():
            out = policy.generate(input_ids=chunk, attention_mask=chunk_mask, generation_config=config)
        pieces.append(out[:, context_length:])
    width = max(p.shape[1] for p in pieces)
    responses = torch.cat([torch.nn.functional.pad(p, (0, width - p.shape[1]), value=pad_id) for p in pieces])
    responses, mask, stopped = truncate_at_stop(responses, stop_ids, pad_id)
    query_responses = torch.cat([queries, responses], 1)
    attention_mask = torch.cat([query_mask, mask.long()], 1)
    return query_responses, attention_mask, context_length, stopped


@torch.no_grad()
def collect(policy, tokenizer, prompts: list, *, ref_policy=None, critic=None, max_prompt_length: int | None,
            max_new_tokens: int, temperature: float, stop_ids: list[int], chunk_size: int, greedy: bool = False,
            device=None, autocast=contextlib.nullcontext) -> Rollout:
    """Sample responses to ``prompts`` and score them token by token.

    ``ref_policy`` gives log π_ref: a model, or None for a peft policy (the reference is then the policy with its
    adapters disabled — no second copy of the weights). ``critic`` (optional) gives the values."""
    was_training = policy.training
    policy.eval()
    try:
        prompt_ids = prompt_token_ids(tokenizer, prompts, max_prompt_length)
        query_responses, attention_mask, context_length, stopped = sample(
            policy, tokenizer, prompt_ids, max_new_tokens=max_new_tokens, temperature=temperature,
            stop_ids=stop_ids, chunk_size=chunk_size, greedy=greedy, device=device, autocast=autocast)
        responses = query_responses[:, context_length:]
        mask = attention_mask[:, context_length:].bool()
        logprobs, ref_logprobs, values = [], [], []
        for start in range(0, len(prompts), chunk_size):
            rows = slice(start, start + chunk_size)
            ids, att, tokens = query_responses[rows], attention_mask[rows], responses[rows]
            with autocast():
                logprobs.append(token_logprobs(response_logits(policy, ids, att, context_length), tokens, temperature))
                if ref_policy is None:
                    with policy.disable_adapter():
                        ref_logits = response_logits(policy, ids, att, context_length)
                else:
                    ref_logits = response_logits(ref_policy, ids, att, context_length)
                ref_logprobs.append(token_logprobs(ref_logits, tokens, temperature))
                if critic is not None:
                    values.append(token_values(critic, ids, att, context_length))
    finally:
        policy.train(was_training)
    mask_f = mask.float()
    completion_ids = [row[: int(n)] for row, n in zip(responses.tolist(), mask.sum(1).tolist())]
    return Rollout(
        query_responses=query_responses, attention_mask=attention_mask, context_length=context_length, mask=mask,
        stopped=stopped, logprobs=torch.cat(logprobs) * mask_f, ref_logprobs=torch.cat(ref_logprobs) * mask_f,
        values=torch.cat(values) * mask_f if critic is not None else None, completion_ids=completion_ids,
        completions=tokenizer.batch_decode(completion_ids, skip_special_tokens=True),
    )
