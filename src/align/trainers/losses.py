"""PPO's losses (Schulman et al. 2017) on ``(batch, response_tokens)`` tensors, averaged over ``mask``ed tokens."""

from __future__ import annotations

from typing import NamedTuple

import torch

from align.trainers.advantages import masked_mean


class PolicyLoss(NamedTuple):
    loss: torch.Tensor      # clipped surrogate, to minimise
    clipfrac: torch.Tensor  # fraction of tokens where the clipped term was the active one
    approxkl: torch.Tensor  # ½·E[(log π_new − log π_old)²]: how far this update moved from the rollout policy
    ratio: torch.Tensor     # mean π_new/π_old


class ValueLoss(NamedTuple):
    loss: torch.Tensor
    clipfrac: torch.Tensor


def policy_loss(logprobs: torch.Tensor, old_logprobs: torch.Tensor, advantages: torch.Tensor, mask: torch.Tensor,
                cliprange: float) -> PolicyLoss:
    """``E[max(−A·r, −A·clip(r, 1−ε, 1+ε))]`` with ``r = exp(log π_new − log π_old)``."""
    log_ratio = logprobs - old_logprobs
    ratio = torch.exp(log_ratio)
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1.0 - cliprange, 1.0 + cliprange)
    return PolicyLoss(
        loss=masked_mean(torch.maximum(unclipped, clipped), mask),
        clipfrac=masked_mean((clipped > unclipped).to(logprobs.dtype), mask),
        approxkl=0.5 * masked_mean(log_ratio**2, mask),
        ratio=masked_mean(ratio, mask),
    )


def value_loss(values: torch.Tensor, old_values: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor,
               cliprange_value: float) -> ValueLoss:
    """``½·E[max((V − R)², (clip(V, V_old ± ε_v) − R)²)]``: the critic may not move further than ε_v from the
    values it predicted during the rollout in one update."""
    clipped_values = torch.clamp(values, old_values - cliprange_value, old_values + cliprange_value)
    unclipped = (values - returns) ** 2
    clipped = (clipped_values - returns) ** 2
    return ValueLoss(
        loss=0.5 * masked_mean(torch.maximum(unclipped, clipped), mask),
        clipfrac=masked_mean((clipped > unclipped).to(values.dtype), mask),
    )


def entropy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of ``softmax(logits)`` along the last dimension (one value per position)."""
    logits = logits.float()
    return torch.logsumexp(logits, -1) - (torch.softmax(logits, -1) * logits).sum(-1)
