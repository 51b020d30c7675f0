"""``PPOConfig``: every PPO setting, on top of ``transformers.TrainingArguments`` (optimiser, schedule, saving).

Batch sizes, per process (the global numbers are these × the number of processes):
    rollout_batch_size   prompts sampled per PPO step (one "step" = one rollout + its optimisation)
    num_mini_batches     the rollout is split into this many mini-batches: one optimiser step each, every PPO epoch
    per_device_train_batch_size  sequences per forward/backward pass (micro-batch)

``gradient_accumulation_steps`` is derived: ``rollout_batch_size / num_mini_batches / per_device_train_batch_size``
(or, when ``rollout_batch_size`` is unset, the rollout is ``per_device_train_batch_size × gradient_accumulation_steps
× num_mini_batches`` as in TRL's old PPO). One step therefore makes ``num_ppo_epochs × num_mini_batches`` optimiser
steps; the learning-rate schedule advances once per PPO step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transformers import TrainingArguments

from align.errors import UserError


@dataclass
class PPOConfig(TrainingArguments):
    """PPO for RLHF: rollout, KL-shaped reward, GAE, clipped policy and value losses, held-out early stopping."""

    # rollout ---------------------------------------------------------------------------------------------------
    rollout_batch_size: int | None = field(default=None, metadata={
        "help": "Prompts sampled per PPO step on each process (default: per_device_train_batch_size × "
                "gradient_accumulation_steps × num_mini_batches)."})
    num_ppo_epochs: int = field(default=4, metadata={"help": "Passes of PPO optimisation over each rollout."})
    num_mini_batches: int = field(default=1, metadata={"help": "Optimiser steps per PPO epoch (rollout split)."})
    max_prompt_length: int | None = field(default=256, metadata={
        "help": "Prompt tokens kept (left-truncated); None keeps all."})
    response_length: int = field(default=53, metadata={"help": "Maximum new tokens per response (max_new_tokens)."})
    temperature: float = field(default=0.7, metadata={
        "help": "Sampling temperature; log-probabilities are computed at the same temperature."})
    stop_token: str | None = field(default="eos", metadata={
        "help": "eos: a response ends at the end-of-turn token (the tokenizer's EOS and the model's generation EOS "
                "ids); none: always generate response_length tokens.", "choices": ["eos", "none"]})
    stop_token_id: int | None = field(default=None, metadata={"help": "Explicit stop token id (overrides stop_token)."})
    missing_eos_penalty: float | None = field(default=None, metadata={
        "help": "Subtracted from the score of a response that never reached a stop token (e.g. 1.0)."})
    rollout_forward_batch_size: int = field(default=64, metadata={
        "help": "Sequences per no-grad generation/forward chunk during the rollout and evaluation."})

    # reward and KL ---------------------------------------------------------------------------------------------
    kl_coef: float = field(default=0.05, metadata={
        "help": "β: per-token reward −β·(log π − log π_ref); the initial value when kl_target is set."})
    kl_estimator: str = field(default="k1", metadata={
        "help": "Per-token KL estimator in the reward: k1 (log-ratio, unbiased) or k3 (non-negative, lower variance).",
        "choices": ["k1", "k3"]})
    kl_target: float | None = field(default=None, metadata={
        "help": "Adaptive KL controller (Ziegler et al. 2019): steer β so the per-sequence KL stays near this."})
    kl_horizon: int = field(default=10000, metadata={"help": "Adaptive KL controller horizon, in episodes."})
    whiten_rewards: bool = field(default=False, metadata={"help": "Whiten the per-token rewards (scale only)."})

    # PPO -------------------------------------------------------------------------------------------------------
    cliprange: float = field(default=0.2, metadata={"help": "Policy ratio clip ε."})
    cliprange_value: float = field(default=0.2, metadata={"help": "Value prediction clip around the rollout values."})
    vf_coef: float = field(default=0.1, metadata={"help": "Value loss weight."})
    gamma: float = field(default=1.0, metadata={"help": "Discount factor."})
    lam: float = field(default=0.95, metadata={"help": "GAE λ."})
    total_episodes: int | None = field(default=None, metadata={
        "help": "Responses to train on in total (max_steps, when set, wins; default: num_train_epochs × prompts)."})
    disable_dropout: bool = field(default=True, metadata={
        "help": "Dropout off in policy, critic and reference (otherwise the PPO ratio is noisy from step one)."})
    model_init_kwargs: dict | None = field(default=None, metadata={
        "help": "from_pretrained kwargs when the policy/critic/reference/reward model are paths (dtype, ...)."})
    trust_remote_code: bool = field(default=False, metadata={"help": "Allow custom model code from the Hub."})

    # held-out evaluation and early stopping --------------------------------------------------------------------
    eval_every: int = field(default=0, metadata={
        "help": "Steps between held-out evaluations (eval/proxy_reward, eval/gold_reward, eval/kl); 0: off."})
    eval_greedy: bool = field(default=False, metadata={
        "help": "Held-out responses greedy (eval/kl is then only the log-ratio on the greedy tokens) instead of "
                "sampled at `temperature` with a fixed seed."})
    patience: int | None = field(default=None, metadata={
        "help": "Early stopping: stop after this many evaluations without improving stop_metric (None: off)."})
    stop_metric: str = field(default="gold", metadata={
        "help": "Held-out metric for early stopping and the best policy: gold (gold_fn) or proxy (the reward).",
        "choices": ["gold", "proxy"]})
    min_delta: float = field(default=0.0, metadata={"help": "Smallest gain in stop_metric that counts."})
    save_best_policy: bool = field(default=True, metadata={
        "help": "Save the policy with the best held-out stop_metric to <output_dir>/best."})
    load_best_policy_at_end: bool = field(default=True, metadata={
        "help": "At the end of training put the best policy back, so the final save is the best one."})

    # TrainingArguments defaults that suit PPO ------------------------------------------------------------------
    learning_rate: float = field(default=3e-6, metadata={"help": "Learning rate (policy and critic)."})
    logging_steps: float = field(default=1, metadata={"help": "Log every N PPO steps."})
    per_device_train_batch_size: int = field(default=8, metadata={"help": "Micro-batch for the PPO updates."})
    remove_unused_columns: bool | None = field(default=False, metadata={
        "help": "Kept False: dataset columns reach the reward and gold functions."})

    def __post_init__(self):
        if isinstance(self.stop_token, str) and self.stop_token.lower() == "none":
            self.stop_token = None
        checks = [
            (self.num_ppo_epochs >= 1, f"num_ppo_epochs must be >= 1, got {self.num_ppo_epochs}"),
            (self.num_mini_batches >= 1, f"num_mini_batches must be >= 1, got {self.num_mini_batches}"),
            (self.response_length >= 1, f"response_length must be >= 1, got {self.response_length}"),
            (self.temperature > 0, f"temperature must be > 0, got {self.temperature}"),
            (self.kl_coef >= 0, f"kl_coef must be >= 0, got {self.kl_coef}"),
            (self.kl_target is None or self.kl_target > 0, f"kl_target must be > 0, got {self.kl_target}"),
            (self.kl_horizon > 0, f"kl_horizon must be > 0, got {self.kl_horizon}"),
            (0 <= self.gamma <= 1 and 0 <= self.lam <= 1, "gamma and lam must be in [0, 1]"),
            (self.cliprange > 0 and self.cliprange_value > 0, "cliprange and cliprange_value must be > 0"),
            (self.eval_every >= 0, f"eval_every must be >= 0, got {self.eval_every}"),
            (self.patience is None or self.patience >= 1, f"patience must be >= 1, got {self.patience}"),
            (self.patience is None or self.eval_every > 0, "patience (early stopping) needs eval_every > 0"),
            (self.rollout_forward_batch_size >= 1, "rollout_forward_batch_size must be >= 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise UserError(message)
        micro = self.per_device_train_batch_size
        if self.rollout_batch_size is None:
            self.rollout_batch_size = micro * self.gradient_accumulation_steps * self.num_mini_batches
        else:
            mini, rest = divmod(self.rollout_batch_size, self.num_mini_batches)
            if rest or mini % micro:
                raise UserError(f"rollout_batch_size {self.rollout_batch_size} must split into num_mini_batches "
                                f"{self.num_mini_batches} mini-batches of a multiple of per_device_train_batch_size "
                                f"{micro}")
            accumulation = mini // micro
            if self.gradient_accumulation_steps not in (1, accumulation):
                raise UserError(f"gradient_accumulation_steps {self.gradient_accumulation_steps} contradicts "
                                f"rollout_batch_size/num_mini_batches/per_device_train_batch_size = {accumulation}; "
                                "leave it unset")
            self.gradient_accumulation_steps = accumulation
        super().__post_init__()

    @property
    def mini_batch_size(self) -> int:
        """Sequences per optimiser step on each process."""
        return self.rollout_batch_size // self.num_mini_batches
