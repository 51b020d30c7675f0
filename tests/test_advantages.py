"""PPO's pure tensor pieces against hand-computed values: KL-shaped rewards, GAE, whitening, clipped losses,
the adaptive KL controller."""

from __future__ import annotations

import math

import pytest
import torch

from align.trainers.advantages import gae, masked_mean, masked_whiten, per_token_kl, shaped_rewards
from align.trainers.kl_control import KLController
from align.trainers.losses import entropy_from_logits, policy_loss, value_loss


def test_gae_matches_a_hand_computed_example():
    # One response of 3 real tokens then 1 pad; gamma 0.9, lambda 0.8.
    rewards = torch.tensor([[0.0, 0.5, 1.0, 7.0]])  # the 7 sits on padding and must be ignored
    values = torch.tensor([[0.2, 0.4, 0.6, 9.0]])
    mask = torch.tensor([[1, 1, 1, 0]])
    advantages, returns = gae(rewards, values, mask, gamma=0.9, lam=0.8)
    d2 = 1.0 + 0.9 * 0.0 - 0.6            # V after the last token is 0: the episode ends
    d1 = 0.5 + 0.9 * 0.6 - 0.4
    d0 = 0.0 + 0.9 * 0.4 - 0.2
    a2 = d2
    a1 = d1 + 0.9 * 0.8 * a2
    a0 = d0 + 0.9 * 0.8 * a1
    assert advantages.tolist()[0] == pytest.approx([a0, a1, a2, 0.0], abs=1e-6)
    assert returns.tolist()[0] == pytest.approx([a0 + 0.2, a1 + 0.4, a2 + 0.6, 0.0], abs=1e-6)


def test_gae_with_gamma_and_lambda_one_is_reward_to_go_minus_value():
    rewards = torch.tensor([[1.0, 2.0, 3.0], [4.0, 0.0, 0.0]])
    values = torch.tensor([[0.5, 0.5, 0.5], [1.0, 0.0, 0.0]])
    mask = torch.tensor([[1, 1, 1], [1, 0, 0]])
    advantages, returns = gae(rewards, values, mask, gamma=1.0, lam=1.0)
    torch.testing.assert_close(advantages, torch.tensor([[5.5, 4.5, 2.5], [3.0, 0.0, 0.0]]))
    torch.testing.assert_close(returns, torch.tensor([[6.0, 5.0, 3.0], [4.0, 0.0, 0.0]]))


def test_shaped_rewards_put_the_score_on_the_last_real_token():
    logprobs = torch.tensor([[-1.0, -2.0, -1.5], [-0.5, -0.5, -0.5]])
    ref_logprobs = torch.tensor([[-1.5, -1.0, -1.5], [-1.0, -0.5, -0.5]])
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    rewards, kl = shaped_rewards(torch.tensor([2.0, -1.0]), logprobs, ref_logprobs, mask, kl_coef=0.1)
    torch.testing.assert_close(kl, torch.tensor([[0.5, -1.0, 0.0], [0.5, 0.0, 0.0]]))
    torch.testing.assert_close(rewards, torch.tensor([[-0.05, 0.1, 2.0], [-0.05, -1.0, 0.0]]))


def test_k3_kl_is_non_negative_and_k1_is_the_log_ratio():
    logprobs, ref = torch.tensor([-1.0, -2.0]), torch.tensor([-1.5, -1.0])
    assert per_token_kl(logprobs, ref, "k1").tolist() == pytest.approx([0.5, -1.0])
    k3 = per_token_kl(logprobs, ref, "k3")
    assert k3.tolist() == pytest.approx([math.exp(-0.5) - 1 + 0.5, math.exp(1.0) - 1 - 1.0])
    assert (k3 >= 0).all()
    with pytest.raises(ValueError, match="k2"):
        per_token_kl(logprobs, ref, "k2")


def test_masked_whiten_uses_only_masked_entries():
    values = torch.tensor([[1.0, 3.0, 100.0]])
    mask = torch.tensor([[1, 1, 0]])
    white = masked_whiten(values, mask)
    # mean 2, unbiased variance 2 → ±1/√2; the padded entry becomes 0
    assert white.tolist()[0] == pytest.approx([-1 / math.sqrt(2), 1 / math.sqrt(2), 0.0], abs=1e-6)
    scaled = masked_whiten(values, mask, shift_mean=False)
    assert scaled.tolist()[0] == pytest.approx([2 - 1 / math.sqrt(2), 2 + 1 / math.sqrt(2), 0.0], abs=1e-6)
    assert masked_mean(values, mask).item() == pytest.approx(2.0)


def test_clipped_policy_loss_by_hand():
    old = torch.zeros(1, 3)
    new = torch.log(torch.tensor([[1.5, 0.5, 1.1]]))  # ratios 1.5, 0.5, 1.1
    adv = torch.tensor([[1.0, -1.0, 2.0]])
    mask = torch.tensor([[1, 1, 1]])
    out = policy_loss(new, old, adv, mask, cliprange=0.2)
    # token 0: max(-1.5, -1.2) = -1.2 (clipped); token 1: max(0.5, 0.8) = 0.8 (clipped); token 2: max(-2.2, -2.2)
    assert out.loss.item() == pytest.approx((-1.2 + 0.8 - 2.2) / 3, abs=1e-6)
    assert out.clipfrac.item() == pytest.approx(2 / 3)
    assert out.ratio.item() == pytest.approx((1.5 + 0.5 + 1.1) / 3, abs=1e-6)
    logs = [math.log(1.5), math.log(0.5), math.log(1.1)]
    assert out.approxkl.item() == pytest.approx(0.5 * sum(x * x for x in logs) / 3, abs=1e-6)


def test_policy_loss_ignores_padding():
    new = torch.tensor([[0.1, 5.0]])
    out = policy_loss(new, torch.zeros(1, 2), torch.tensor([[1.0, 100.0]]), torch.tensor([[1, 0]]), cliprange=0.2)
    assert out.loss.item() == pytest.approx(-math.exp(0.1), abs=1e-6)


def test_clipped_value_loss_by_hand():
    values = torch.tensor([[1.0, 0.0, 0.5]])
    old = torch.tensor([[0.5, 0.5, 0.5]])
    returns = torch.tensor([[2.0, 0.0, 1.0]])
    mask = torch.tensor([[1, 1, 1]])
    out = value_loss(values, old, returns, mask, cliprange_value=0.2)
    # token 0: V 1.0 clipped to 0.7 → max(1.0, 1.69) = 1.69; token 1: V 0 clipped to 0.3 → max(0, 0.09) = 0.09;
    # token 2: inside the clip → 0.25
    assert out.loss.item() == pytest.approx(0.5 * (1.69 + 0.09 + 0.25) / 3, abs=1e-6)
    assert out.clipfrac.item() == pytest.approx(2 / 3)


def test_entropy_of_uniform_and_peaked_logits():
    uniform = entropy_from_logits(torch.zeros(2, 8))
    assert uniform.tolist() == pytest.approx([math.log(8)] * 2, abs=1e-6)
    assert entropy_from_logits(torch.tensor([[100.0, 0.0, 0.0]])).item() == pytest.approx(0.0, abs=1e-6)


def test_adaptive_kl_controller_steers_towards_the_target():
    fixed = KLController(0.1)
    assert fixed.update(50.0, 64) == 0.1 and not fixed.adaptive
    ctl = KLController(0.1, target=6.0, horizon=1000)
    assert ctl.update(12.0, 100) == pytest.approx(0.1 * (1 + 0.2 * 0.1))   # error clipped to +0.2
    ctl = KLController(0.1, target=6.0, horizon=1000)
    assert ctl.update(3.0, 100) == pytest.approx(0.1 * (1 - 0.2 * 0.1))   # error −0.5 clipped to −0.2
    ctl = KLController(0.1, target=6.0, horizon=1000)
    assert ctl.update(6.6, 100) == pytest.approx(0.1 * (1 + 0.1 * 0.1))   # error +0.1
    ctl.load_state_dict({"value": 0.3})
    assert ctl.state_dict() == {"value": 0.3}
