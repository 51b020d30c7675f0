"""The KL coefficient β: fixed, or adapted to hold the policy near a target KL (Ziegler et al. 2019, §2.2)."""

from __future__ import annotations


class KLController:
    """``value`` is β. Fixed unless ``target`` is set; then after each step
    ``β ← β · (1 + clip(KL/target − 1, −0.2, 0.2) · n/horizon)`` where ``n`` is the step's number of episodes."""

    def __init__(self, init: float, target: float | None = None, horizon: int = 10000):
        self.value, self.target, self.horizon = float(init), target, horizon

    @property
    def adaptive(self) -> bool:
        return self.target is not None

    def update(self, kl: float, n_episodes: int) -> float:
        if self.target is not None:
            error = min(max(kl / self.target - 1.0, -0.2), 0.2)
            self.value *= 1.0 + error * n_episodes / self.horizon
        return self.value

    def state_dict(self) -> dict:
        return {"value": self.value}

    def load_state_dict(self, state: dict) -> None:
        self.value = float(state["value"])
