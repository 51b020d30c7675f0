"""``PPOTrainer``: RLHF with PPO (Ouyang et al. 2022) on the ``transformers.Trainer`` machinery.

Each step: sample responses to ``rollout_batch_size`` prompts (:mod:`.rollout`), score them (reward model or reward
function), shape the reward with the per-token KL to the reference policy and run GAE (:mod:`.advantages`), then
``num_ppo_epochs`` passes of clipped policy + value updates over ``num_mini_batches`` mini-batches (:mod:`.losses`).

Built on ``transformers.Trainer`` for what it already does well — the accelerator (DDP, mixed precision), the
optimiser and schedule, callbacks and trackers (``self.log`` lands in ``trainer_state.json``, W&B, trackio…),
checkpoint rotation, RNG/optimiser/scheduler state files — with its own ``train`` loop, as TRL's PPO trainer was.

* Reference: a frozen copy of the initial policy; with a ``peft_config`` the policy's adapters disabled instead
  (no second copy of the weights).
* Critic: see :mod:`.value_model` (separate sequence-classification model, from the reward model or the policy).
* Checkpoints (``checkpoint-N/``): the policy (or its adapter) at the top level like any model dir, the critic in
  ``value/``, optimiser, scheduler, RNG states, ``trainer_state.json`` and ``ppo_state.json`` (KL coefficient,
  early-stopping bookkeeping). Resuming from one reproduces the uninterrupted run: prompts for step ``k`` are a
  function of (seed, k), mini-batch orders of (seed, k, process), and the sampling RNG is restored.
* Advantages are whitened with each process's own statistics (as TRL did); metrics are averaged over processes.
* Logged every ``logging_steps`` (that step's values): ``objective/proxy_reward`` (reward before the missing-EOS
  penalty), ``objective/gold_reward``, ``objective/kl`` (mean per-sequence KL to the reference), ``objective/kl_coef``,
  ``objective/entropy`` (mean per-sequence −log π of the samples), ``objective/non_score_reward``,
  ``objective/rlhf_reward``, ``objective/missing_eos_frac``, ``policy/{clipfrac,approxkl,entropy}``,
  ``loss/{policy,value}``, ``val/{ratio,clipfrac,value_mean}``, ``completions/mean_length``, ``learning_rate``,
  ``grad_norm``, ``episode``.
* Held-out evaluation every ``eval_every`` steps; the best policy by ``stop_metric`` (:mod:`.best_policy`) goes to ``<output_dir>/best``
  and, with ``load_best_policy_at_end``, back into the trainer at the end, so ``save_model()`` writes the best.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import math
import os
import time
from collections.abc import Callable

import torch
from transformers import Trainer
from transformers.trainer_callback import ExportableState, TrainerState
from transformers.trainer_utils import TrainOutput, get_last_checkpoint, speed_metrics

from align.errors import UserError, first_line
from align.trainers.advantages import gae, masked_mean, masked_whiten, shaped_rewards
from align.trainers.best_policy import BestPolicyCallback
from align.trainers.inputs import check_inputs, load_policy, load_tokenizer, rows_of
from align.trainers.kl_control import KLController
from align.trainers.losses import entropy_from_logits, policy_loss, value_loss
from align.trainers.ppo_config import PPOConfig
from align.trainers.reward_model import RewardModelScorer
from align.trainers.rollout import collect, is_conversational, stop_ids_for, token_logprobs
from align.trainers.value_model import PolicyAndValue, disable_dropout, load_value_model
from align.trainers.weights import is_peft_model, load_weights

logger = logging.getLogger(__name__)

PPO_STATE_NAME = "ppo_state.json"
RewardFn = Callable[..., list]


def _identity(rows):
    return rows


class PPOTrainer(Trainer):
    """PPO trainer. ``model`` is the policy (a path or a causal LM) and starts as the reference.

    Reward: ``reward_model`` (a one-label sequence-classification model or its dir; score at the last token) or
    ``reward_fn(prompts, completions, completion_ids=..., **columns) -> list[float]``, exactly one. ``gold_fn``
    (same signature) is only measured — the simulated human's true preference, logged as ``*/gold_reward`` and
    optionally driving early stopping. Datasets hold a ``prompt`` column (a string or a list of messages); other
    columns reach ``reward_fn``/``gold_fn`` as keyword arguments.
    """

    _tag_names = ["align", "ppo"]

    def __init__(self, model, args: PPOConfig, processing_class=None, train_dataset=None, eval_dataset=None,
                 reward_model=None, reward_fn: RewardFn | None = None, gold_fn: RewardFn | None = None,
                 value_model=None, ref_model=None, reward_processing_class=None, peft_config=None, callbacks=None):
        if not isinstance(args, PPOConfig):
            raise UserError(f"args must be a PPOConfig, got {type(args).__name__}")
        check_inputs(args, train_dataset, eval_dataset, reward_model, reward_fn, gold_fn, peft_config, ref_model)
        init_kwargs = {"dtype": "float32", **(args.model_init_kwargs or {})}
        trust = bool(init_kwargs.pop("trust_remote_code", args.trust_remote_code))
        policy = load_policy(model, trust, init_kwargs)
        tokenizer = processing_class or load_tokenizer(model if isinstance(model, str) else policy.name_or_path, trust)
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        if is_conversational(train_dataset[0]["prompt"]) and not tokenizer.chat_template:
            raise UserError("train_dataset: conversational prompts but the tokenizer has no chat template")

        critic_source = value_model if value_model is not None else (
            reward_model if reward_model is not None else model)
        critic = load_value_model(critic_source, trust, **init_kwargs)
        if peft_config is not None:
            from peft import get_peft_model

            policy = get_peft_model(policy, peft_config)
            ref = None
        else:
            ref = load_policy(ref_model, trust, init_kwargs) if ref_model is not None else copy.deepcopy(policy)
            ref.eval().requires_grad_(False)
        if reward_model is not None:
            reward_fn = RewardModelScorer(reward_model, reward_processing_class, args.rollout_forward_batch_size,
                                          trust_remote_code=trust, **init_kwargs)
        if args.disable_dropout:
            for module in (policy, critic, ref):
                if module is not None:
                    disable_dropout(module)

        super().__init__(model=PolicyAndValue(policy, critic), args=args, data_collator=_identity,
                         train_dataset=train_dataset, eval_dataset=eval_dataset, processing_class=tokenizer,
                         callbacks=callbacks)
        self.ref_model = ref.to(self.accelerator.device) if ref is not None else None
        if isinstance(reward_fn, RewardModelScorer):
            reward_fn.device = self.accelerator.device
        self.reward_fn, self.gold_fn = reward_fn, gold_fn
        self.stop_ids = stop_ids_for(tokenizer, policy, args.stop_token, args.stop_token_id)
        self.kl_ctl = KLController(args.kl_coef, args.kl_target, args.kl_horizon)
        # held-out early stopping and the best policy (a callback: evaluate() reports to it)
        self.best_policy = BestPolicyCallback(self._save_policy, self._restore_policy)
        self.add_callback(self.best_policy)
        self.callback_handler.model = policy  # callbacks (samples, held-out accuracy) see a generative model
        self._stat_totals: dict[str, float] = {}

    # models --------------------------------------------------------------------------------------------------
    @property
    def policy(self):
        return self.accelerator.unwrap_model(self.model).policy

    @property
    def critic(self):
        return self.accelerator.unwrap_model(self.model).critic

    def _enable_activation_checkpointing(self) -> None:
        for module in (self.policy, self.critic):
            base = module.get_base_model() if is_peft_model(module) else module
            base.activation_checkpointing_enable()
        if is_peft_model(self.policy):
            self.policy.enable_input_require_grads()

    # data ----------------------------------------------------------------------------------------------------
    @property
    def global_rollout_size(self) -> int:
        return self.args.rollout_batch_size * self.accelerator.num_processes

    @property
    def steps_per_epoch(self) -> int:
        return len(self.train_dataset) // self.global_rollout_size

    def num_steps(self) -> int:
        """PPO steps of this run: ``max_steps``, else ``total_episodes`` (or epochs × prompts) / global rollout."""
        if self.args.max_steps > 0:
            return self.args.max_steps
        episodes = self.args.total_episodes or int(self.args.num_train_epochs * len(self.train_dataset))
        return max(1, math.ceil(episodes / self.global_rollout_size))

    def prompt_rows(self, step: int) -> list[dict]:
        """This process's prompts for PPO step ``step``: a function of (seed, step) only, which makes resume exact
        — epoch ``e`` is a seeded permutation, step ``k`` its ``k``-th global rollout, split by process."""
        epoch, index = divmod(step, self.steps_per_epoch)
        seed = self.args.data_seed if self.args.data_seed is not None else self.args.seed
        order = torch.randperm(len(self.train_dataset), generator=torch.Generator().manual_seed(seed + epoch))
        size = self.args.rollout_batch_size
        start = index * self.global_rollout_size + self.accelerator.process_index * size
        return rows_of(self.train_dataset, order[start:start + size].tolist())

    # training ------------------------------------------------------------------------------------------------
    def train(self, resume_from_checkpoint: str | bool | None = None, trial=None, ignore_keys_for_eval=None,
              **kwargs) -> TrainOutput:
        args, accelerator = self.args, self.accelerator
        if resume_from_checkpoint is True:
            resume_from_checkpoint = get_last_checkpoint(args.output_dir) if os.path.isdir(args.output_dir) else None
            if resume_from_checkpoint is None:
                raise UserError(f"resume_from_checkpoint: no checkpoint in {args.output_dir}")
        resume = resume_from_checkpoint or None
        self.is_in_train = True
        self._stat_totals = {}
        start_time = time.time()
        total_steps = self.num_steps()
        if args.activation_checkpointing:
            self._enable_activation_checkpointing()

        self.state = TrainerState(stateful_callbacks=[
            cb for cb in self.callback_handler.callbacks + [self.control] if isinstance(cb, ExportableState)])
        self.state.train_batch_size = args.rollout_batch_size
        self.state.compute_steps(args, total_steps)
        if resume is not None:
            load_weights(self.policy, resume)
            load_weights(self.critic, os.path.join(resume, "value"))
            self.state = TrainerState.load_from_json(os.path.join(resume, "trainer_state.json"))
            self._load_callback_state()
        self.state.init_training_references(self, total_steps, args.num_train_epochs, trial)

        self.create_optimizer()
        model, self.optimizer = accelerator.prepare(self.model, self.optimizer)
        self.model_wrapped = model
        self.create_scheduler(num_training_steps=total_steps)
        if resume is not None:
            self._load_optimizer_and_scheduler(resume)
            self._load_ppo_state(resume)
            self._load_rng_state(resume)
            logger.info("resumed from %s at step %d", resume, self.state.global_step)
        self.callback_handler.optimizer, self.callback_handler.lr_scheduler = self.optimizer, self.lr_scheduler
        first_step = self.state.global_step
        logger.info("PPO: %d steps of %d prompts (%d per process), %d PPO epochs × %d mini-batches of %d",
                    total_steps, self.global_rollout_size, args.rollout_batch_size, args.num_ppo_epochs,
                    args.num_mini_batches, args.mini_batch_size)

        self.control = self.callback_handler.on_train_begin(args, self.state, self.control)
        if args.eval_every and self.state.global_step == 0 and self.eval_dataset is not None:
            self.evaluate()
        while self.state.global_step < total_steps and not self.control.should_training_stop:
            self.control = self.callback_handler.on_step_begin(args, self.state, self.control)
            metrics = self.ppo_step(model)
            self.state.global_step += 1
            self.state.epoch = self.state.global_step / self.steps_per_epoch
            self.control = self.callback_handler.on_step_end(args, self.state, self.control)
            if self.control.should_log:
                self.log(metrics)
            if args.eval_every and self.state.global_step % args.eval_every == 0:
                self.evaluate()
            if self.control.should_save:
                self._save_checkpoint(model, trial=None)
                self.control = self.callback_handler.on_save(args, self.state, self.control)

        steps_run = self.state.global_step - first_step
        train_loss = self._stat_totals.get("loss", 0.0) / max(steps_run, 1)
        metrics = speed_metrics("train", start_time, num_samples=steps_run * self.global_rollout_size,
                                num_steps=steps_run)
        metrics["train_loss"] = train_loss
        metrics.update(self.best_policy.summary(args))
        self.log(metrics)
        self.control = self.callback_handler.on_train_end(args, self.state, self.control)
        self.is_in_train = False
        return TrainOutput(self.state.global_step, train_loss, metrics)

    def ppo_step(self, model) -> dict[str, float]:
        """One rollout and its PPO updates; returns the step's metrics (averaged over processes)."""
        args = self.args
        rows = self.prompt_rows(self.state.global_step)
        prompts = [row["prompt"] for row in rows]
        columns = {key: [row[key] for row in rows] for key in rows[0] if key != "prompt"}
        rollout = self._collect(prompts, critic=self.critic)
        completions = _completions(prompts, rollout.completions)
        with torch.no_grad():
            proxy = self._score(self.reward_fn, prompts, completions, rollout.completion_ids, columns, "reward_fn")
            scores = proxy.clone()
            if args.missing_eos_penalty is not None and self.stop_ids:
                scores[~rollout.stopped] -= args.missing_eos_penalty
            kl_coef = self.kl_ctl.value
            rewards, kl = shaped_rewards(scores, rollout.logprobs, rollout.ref_logprobs, rollout.mask, kl_coef,
                                         args.kl_estimator)
            if args.whiten_rewards:
                rewards = masked_whiten(rewards, rollout.mask, shift_mean=False)
            advantages, returns = gae(rewards, rollout.values, rollout.mask, args.gamma, args.lam)
            advantages = masked_whiten(advantages, rollout.mask)
        stats = self._optimise(model, rollout, advantages, returns)

        mask = rollout.mask.float()
        local = {
            "objective/proxy_reward": proxy.mean(),
            "objective/kl": kl.sum(1).mean(),
            "objective/kl_coef": torch.tensor(kl_coef),
            "objective/entropy": (-rollout.logprobs * mask).sum(1).mean(),
            "objective/non_score_reward": (-kl_coef * kl).sum(1).mean(),
            "objective/rlhf_reward": scores.mean() - kl_coef * kl.sum(1).mean(),
            "completions/mean_length": mask.sum(1).mean(),
            "val/value_mean": masked_mean(rollout.values, rollout.mask),
            **stats,
        }
        if self.stop_ids:
            local["objective/missing_eos_frac"] = (~rollout.stopped).float().mean()
        if self.gold_fn is not None:
            with torch.no_grad():
                gold = self._score(self.gold_fn, prompts, completions, rollout.completion_ids, columns, "gold_fn",
                                   allow_none=True)
            local["_gold_sum"], local["_gold_n"] = torch.nansum(gold), (~gold.isnan()).sum().float()
        metrics = self._global_means(local)
        if "_gold_sum" in metrics:
            gold_sum, gold_n = metrics.pop("_gold_sum"), metrics.pop("_gold_n")
            metrics["objective/gold_reward"] = gold_sum / gold_n if gold_n else float("nan")
        metrics["learning_rate"] = self.lr_scheduler.get_last_lr()[0]
        metrics["episode"] = (self.state.global_step + 1) * self.global_rollout_size
        self.lr_scheduler.step()
        self.kl_ctl.update(metrics["objective/kl"], self.global_rollout_size)
        self._stat_totals["loss"] = self._stat_totals.get("loss", 0.0) + metrics["loss/policy"] \
            + args.vf_coef * metrics["loss/value"]
        return metrics

    def _collect(self, prompts, critic=None, greedy: bool = False):
        args = self.args
        return collect(self.policy, self.processing_class, prompts, ref_policy=self.ref_model, critic=critic,
                       max_prompt_length=args.max_prompt_length, max_new_tokens=args.response_length,
                       temperature=args.temperature, stop_ids=self.stop_ids,
                       chunk_size=args.rollout_forward_batch_size, greedy=greedy, device=self.accelerator.device,
                       autocast=self.accelerator.autocast)

    def _score(self, fn, prompts, completions, completion_ids, columns, name, allow_none=False) -> torch.Tensor:
        try:
            values = fn(prompts=prompts, completions=completions, completion_ids=completion_ids, **columns)
        except UserError:
            raise
        except TypeError as err:
            raise UserError(f"{name}: must accept (prompts, completions, completion_ids, **columns): "
                            f"{first_line(err)}") from err
        if len(values) != len(prompts):
            raise UserError(f"{name}: returned {len(values)} values for {len(prompts)} completions")
        if not allow_none and any(v is None for v in values):
            logger.warning("%s returned None for some completions: scored 0", name)
        fill = float("nan") if allow_none else 0.0
        return torch.tensor([fill if v is None else float(v) for v in values], dtype=torch.float32,
                            device=self.accelerator.device)

    def _optimise(self, model, rollout, advantages, returns) -> dict[str, torch.Tensor]:
        """``num_ppo_epochs`` passes over the rollout in shuffled mini-batches; one optimiser step per
        mini-batch, gradients accumulated over its micro-batches. Returns mean statistics."""
        from accelerate.utils import DistributedType

        args, accelerator = self.args, self.accelerator
        size = rollout.query_responses.shape[0]
        responses = rollout.responses
        seed = args.seed * 1_000_003 + self.state.global_step * 1_009 + accelerator.process_index
        generator = torch.Generator().manual_seed(seed)
        totals: dict[str, torch.Tensor] = {}
        n_micro, grad_norms = 0, []
        model.train()
        for _ in range(args.num_ppo_epochs):
            order = torch.randperm(size, generator=generator).to(responses.device)
            for start in range(0, size, args.mini_batch_size):
                micro_batches = order[start:start + args.mini_batch_size].split(args.per_device_train_batch_size)
                for i, idx in enumerate(micro_batches):
                    last = i == len(micro_batches) - 1
                    sync = last or accelerator.distributed_type == DistributedType.DEEPSPEED
                    with contextlib.nullcontext() if sync else accelerator.no_sync(model):
                        logits, values = model(input_ids=rollout.query_responses[idx],
                                               attention_mask=rollout.attention_mask[idx],
                                               context_length=rollout.context_length)
                        logprobs = token_logprobs(logits, responses[idx], args.temperature)
                        mask = rollout.mask[idx]
                        pg = policy_loss(logprobs, rollout.logprobs[idx], advantages[idx], mask, args.cliprange)
                        vf = value_loss(values, rollout.values[idx], returns[idx], mask, args.cliprange_value)
                        accelerator.backward((pg.loss + args.vf_coef * vf.loss) / len(micro_batches))
                    with torch.no_grad():
                        entropy = masked_mean(entropy_from_logits(logits / args.temperature), mask)
                        for key, value in (("loss/policy", pg.loss), ("loss/value", vf.loss),
                                           ("policy/clipfrac", pg.clipfrac), ("policy/approxkl", pg.approxkl),
                                           ("policy/entropy", entropy), ("val/ratio", pg.ratio),
                                           ("val/clipfrac", vf.clipfrac)):
                            totals[key] = totals.get(key, 0.0) + value.detach().float()
                    n_micro += 1
                if args.max_grad_norm is not None and args.max_grad_norm > 0:
                    grad_norms.append(torch.as_tensor(
                        accelerator.clip_grad_norm_(model.parameters(), args.max_grad_norm)).float())
                self.optimizer.step()
                self.optimizer.zero_grad()
        stats = {key: value / n_micro for key, value in totals.items()}
        if grad_norms:
            stats["grad_norm"] = torch.stack(grad_norms).mean()
        return stats

    def _global_means(self, local: dict[str, torch.Tensor]) -> dict[str, float]:
        """Each local scalar averaged over processes (one all-gather)."""
        keys = list(local)
        device = self.accelerator.device
        vector = torch.stack([torch.as_tensor(local[k], dtype=torch.float32, device=device).reshape(()) for k in keys])
        gathered = self.accelerator.gather(vector[None]).reshape(-1, len(keys)).mean(0)
        return dict(zip(keys, gathered.tolist()))

    # evaluation (early stopping and the best policy: BestPolicyCallback) ---------------------------------------------------------------------------
    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix: str = "eval") -> dict[str, float]:
        """Respond to the held-out prompts (greedy, or sampled with a fixed seed under a forked RNG so the
        training run's random stream is untouched); log ``eval/proxy_reward``, ``eval/gold_reward``, ``eval/kl``
        (mean per-sequence KL to the reference) and ``eval/mean_length``."""
        from accelerate.utils import gather_object

        args, accelerator = self.args, self.accelerator
        dataset = eval_dataset if eval_dataset is not None else self.eval_dataset
        if dataset is None:
            raise UserError("evaluate: no eval_dataset")
        rows = rows_of(dataset, range(accelerator.process_index, len(dataset), accelerator.num_processes))
        results: list[tuple[float, float, float, int]] = []
        devices = [accelerator.device] if accelerator.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices), torch.no_grad():
            torch.manual_seed(args.seed)
            for start in range(0, len(rows), args.rollout_forward_batch_size):
                chunk = rows[start:start + args.rollout_forward_batch_size]
                prompts = [row["prompt"] for row in chunk]
                columns = {key: [row[key] for row in chunk] for key in chunk[0] if key != "prompt"}
                rollout = self._collect(prompts, greedy=args.eval_greedy)
                completions = _completions(prompts, rollout.completions)
                proxy = self._score(self.reward_fn, prompts, completions, rollout.completion_ids, columns,
                                    "reward_fn")
                gold = self._score(self.gold_fn, prompts, completions, rollout.completion_ids, columns, "gold_fn",
                                   allow_none=True) if self.gold_fn is not None else torch.full_like(proxy, math.nan)
                kl = ((rollout.logprobs - rollout.ref_logprobs) * rollout.mask).sum(1)
                results += zip(proxy.tolist(), gold.tolist(), kl.tolist(), rollout.lengths.tolist())
        results = gather_object(results)
        golds = [g for _, g, _, _ in results if not math.isnan(g)]
        metrics = {f"{metric_key_prefix}/proxy_reward": _mean([p for p, _, _, _ in results]),
                   f"{metric_key_prefix}/kl": _mean([k for _, _, k, _ in results]),
                   f"{metric_key_prefix}/mean_length": _mean([n for _, _, _, n in results])}
        if self.gold_fn is not None:
            metrics[f"{metric_key_prefix}/gold_reward"] = _mean(golds)
        self.log(dict(metrics))
        self.control = self.callback_handler.on_evaluate(args, self.state, self.control, metrics=metrics)
        return metrics

    # saving --------------------------------------------------------------------------------------------------
    def save_model(self, output_dir: str | None = None, _internal_call: bool = False) -> None:
        """The policy (full model, or the LoRA adapter) with its tokenizer."""
        self._save_policy(output_dir or self.args.output_dir)
        if self.args.push_to_hub and not _internal_call:
            self.push_to_hub(commit_message="Model save", revision=self.args.hub_revision)

    def _save_checkpoint(self, model, trial) -> None:
        """Trainer's checkpoint (policy, optimiser, scheduler, RNG, state) plus the critic in ``value/`` and
        ``ppo_state.json`` (KL controller, early-stopping bookkeeping)."""
        super()._save_checkpoint(model, trial)
        if self.args.should_save:
            output_dir = os.path.join(self._get_output_dir(trial), f"checkpoint-{self.state.global_step}")
            self.critic.save_pretrained(os.path.join(output_dir, "value"))
            with open(os.path.join(output_dir, PPO_STATE_NAME), "w") as f:
                json.dump({"kl_controller": self.kl_ctl.state_dict(), "best": self.best_policy.state}, f, indent=1)

    def _save_policy(self, output_dir: str) -> None:
        self.accelerator.wait_for_everyone()
        if not self.args.should_save:
            return
        os.makedirs(output_dir, exist_ok=True)
        self.policy.save_pretrained(output_dir)
        self.processing_class.save_pretrained(output_dir)
        if getattr(self.policy, "generation_config", None) is not None:  # a LoRA policy's adapter dir too
            self.policy.generation_config.save_pretrained(output_dir)
        torch.save(self.args, os.path.join(output_dir, "training_args.bin"))

    def _restore_policy(self, directory: str) -> None:
        self.accelerator.wait_for_everyone()  # the main process has finished writing it
        load_weights(self.policy, directory)

    def _load_ppo_state(self, checkpoint: str) -> None:
        path = os.path.join(checkpoint, PPO_STATE_NAME)
        if not os.path.isfile(path):
            raise UserError(f"{checkpoint}: no {PPO_STATE_NAME}: not a PPO checkpoint")
        with open(path) as f:
            state = json.load(f)
        self.kl_ctl.load_state_dict(state["kl_controller"])
        self.best_policy.state = state["best"]


# helpers --------------------------------------------------------------------------------------------------------

def _completions(prompts: list, texts: list[str]) -> list:
    """TRL's convention: conversational prompts get conversational completions (one assistant message)."""
    return [[{"role": "assistant", "content": t}] if is_conversational(p) else t for p, t in zip(prompts, texts)]


def _mean(values: list) -> float:
    return sum(values) / len(values) if values else float("nan")
