"""Rewards → advantages: KL-shaped per-token rewards, generalised advantage estimation, whitening.

Pure tensor functions on ``(batch, response_tokens)`` tensors. ``mask`` is 1 on a response's real tokens (up to and
including its stop token) and 0 on the padding after it; a response is always a prefix of its row.
"""

from __future__ import annotations

import torch


def masked_mean(values: torch.Tensor, mask: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    """Mean of ``values`` where ``mask`` is set (over ``dim``, or over everything)."""
    mask = mask.to(values.dtype)
    if dim is None:
        return (values * mask).sum() / mask.sum().clamp(min=1)
    return (values * mask).sum(dim) / mask.sum(dim).clamp(min=1)


def masked_var(values: torch.Tensor, mask: torch.Tensor, unbiased: bool = True) -> torch.Tensor:
    """Variance of ``values`` where ``mask`` is set (Bessel-corrected unless ``unbiased`` is False)."""
    mean = masked_mean(values, mask)
    variance = masked_mean((values - mean) ** 2, mask)
    if unbiased:
        n = mask.sum()
        if n > 1:
            variance = variance * n / (n - 1)
    return variance


def masked_whiten(values: torch.Tensor, mask: torch.Tensor, shift_mean: bool = True) -> torch.Tensor:
    """``(values − mean) / std`` over the masked entries; ``shift_mean=False`` keeps the mean (scales only).
    Entries outside ``mask`` are set to 0."""
    mean, variance = masked_mean(values, mask), masked_var(values, mask)
    whitened = (values - mean) * torch.rsqrt(variance + 1e-8)
    if not shift_mean:
        whitened = whitened + mean
    return whitened * mask.to(values.dtype)


def per_token_kl(logprobs: torch.Tensor, ref_logprobs: torch.Tensor, estimator: str = "k1") -> torch.Tensor:
    """Per-token estimate of KL(π ‖ π_ref) on tokens sampled from π: k1 = log π − log π_ref (unbiased, can be
    negative), k3 = (r − 1) − log r with r = π_ref/π (non-negative, lower variance)."""
    log_ratio = logprobs - ref_logprobs
    if estimator == "k1":
        return log_ratio
    if estimator == "k3":
        return torch.expm1(-log_ratio) + log_ratio
    raise ValueError(f"unknown KL estimator {estimator!r} (k1 or k3)")


def shaped_rewards(scores: torch.Tensor, logprobs: torch.Tensor, ref_logprobs: torch.Tensor, mask: torch.Tensor,
                   kl_coef: float, estimator: str = "k1") -> tuple[torch.Tensor, torch.Tensor]:
    """InstructGPT's per-token reward: ``−kl_coef · KL_t`` at every response token, plus the sequence ``score``
    at its last real token. Returns (rewards, per-token KL), both zero outside ``mask``."""
    mask_f = mask.to(logprobs.dtype)
    kl = per_token_kl(logprobs, ref_logprobs, estimator) * mask_f
    rewards = -kl_coef * kl
    last = (mask.long().sum(1) - 1).clamp(min=0)
    rewards[torch.arange(rewards.shape[0], device=rewards.device), last] += scores.to(rewards.dtype)
    return rewards * mask_f, kl


def gae(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float = 1.0,
        lam: float = 0.95) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation (Schulman et al. 2016) along the response.

    ``δ_t = r_t + γ V_{t+1} − V_t`` (``V`` past the last real token is 0: the episode ends there) and
    ``A_t = δ_t + γλ A_{t+1}``; returns = advantages + values. Returns (advantages, returns), zero outside ``mask``.
    """
    mask_f = mask.to(values.dtype)
    values, rewards = values * mask_f, rewards * mask_f
    length = rewards.shape[1]
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[:, 0])
    for t in reversed(range(length)):
        next_value = values[:, t + 1] if t + 1 < length else torch.zeros_like(running)
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        running = delta + gamma * lam * running
        advantages[:, t] = running
    advantages = advantages * mask_f
    return advantages, (advantages + values) * mask_f
