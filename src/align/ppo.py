"""RLHF with PPO (:class:`align.trainers.PPOTrainer`): the SFT policy is optimised against a reward model, held
near itself by a KL penalty, while the simulated human's true preference (the *gold* reward) is measured alongside
— the reward-hacking curve (``reward_hacking.png``) shows where the proxy keeps rising and the gold stops.

Prompts: the tiny world's "describe an entity" task (``align.world.preference.describe_prompts``: held-out prompts
are new in both entity and phrasing), or any dataset with a ``prompt`` column (``dataset_name``).
Reward: ``reward_model`` (a sequence-classification model dir, e.g. ``runs/tiny-world/reward_model``) or ``rewards`` from
:mod:`align.rewards` (weighted sum). Gold, for world prompts: ``align.world.preference:gold_score(world, entity_id,
text)`` unless set otherwise. The world's task is imported by name when the recipe runs, not when this module loads.
"""

from __future__ import annotations

import importlib
import logging
import os
from dataclasses import dataclass, field
from typing import Any

from trl import ModelConfig, ScriptArguments

from align.config import yaml_option
from align.data.conversations.loaders import load_rows
from align.errors import UserError, first_line
from align.hardware import model_dtype
from align.rewards import build_reward_funcs
from align.rewards.base import completion_text
from align.tokenizer import load_tokenizer
from align.trainers import PPOTrainer
from align.trainers.ppo_config import PPOConfig
from align.training import HardwareDefaults
from align.world import load_world

logger = logging.getLogger(__name__)

WORLD_PROMPTS = "align.world.preference:describe_prompts"
WORLD_GOLD = "align.world.preference:gold_score"


@dataclass
class PPOScriptArguments(ScriptArguments):
    """Which prompts, which reward, which gold."""

    world: str = field(default="0", metadata={"help": "Tiny world: a seed, world.json or crawl dir."})
    prompts: str = field(default="auto", metadata={
        "help": "World prompts: 'module:function' called as f(world, split ('train'|'heldout'), n, seed) -> "
                f"[{{prompt, entity_id, ...}}]; auto: {WORLD_PROMPTS}. Ignored with dataset_name."})
    train_prompts: int | None = field(default=None, metadata={
        "help": "World prompts for training (default: every train entity × phrasing once)."})
    heldout_prompts: int = field(default=64, metadata={
        "help": "Held-out prompts: world held-out prompts, or dataset rows held out when it has no test split."})
    reward_model: str | None = field(default=None, metadata={
        "help": "Reward model dir or id (one-label sequence classification; score at the last token)."})
    rewards: list[dict[str, Any]] | str | None = field(default=None, metadata={
        "help": "Instead of reward_model: align.rewards functions [{name: N, weight: W, ...}], summed."})
    gold: str | None = field(default="auto", metadata={
        "help": "Gold reward 'module:function' (logged, drives early stopping). World prompts call it as "
                f"f(world, entity_id, text); datasets with TRL's reward contract. auto: {WORLD_GOLD} for world "
                "prompts, none for datasets; none: off."})
    value_model: str | None = field(default=None, metadata={
        "help": "Critic initialisation (default: the reward model, else the policy)."})

    def __post_init__(self):
        self.rewards = yaml_option(self.rewards, "rewards")
        if isinstance(self.gold, str) and self.gold.lower() in ("none", "null", ""):
            self.gold = None


@dataclass
class AlignPPOConfig(HardwareDefaults, PPOConfig):
    """:class:`align.trainers.PPOConfig` with the recipes' defaults: bf16 where the hardware has it, trackio."""


def make_parser():
    from trl import TrlParser

    return TrlParser((PPOScriptArguments, AlignPPOConfig, ModelConfig))


# prompts --------------------------------------------------------------------------------------------------------

def world_prompts(world, builder, train_n: int | None, heldout_n: int, seed: int = 0):
    """(train, held-out) datasets from a world prompt builder ``f(world, split, n, seed) -> [row]``."""
    from datasets import Dataset

    train = builder(world, "train", n=train_n, seed=seed)
    heldout = builder(world, "heldout", n=heldout_n, seed=seed) if heldout_n else []
    for name, rows in (("train", train), ("heldout", heldout)):
        if rows and "prompt" not in rows[0]:
            raise UserError(f"prompts: the {name} rows have no 'prompt' (got {sorted(rows[0])})")
    if not train:
        raise UserError("prompts: no training prompts")
    return Dataset.from_list(train), Dataset.from_list(heldout) if heldout else None


def dataset_prompts(script_args: PPOScriptArguments, seed: int = 0):
    """(train, held-out) from ``dataset_name``: its test split if it has one, else ``heldout_prompts`` rows."""
    from datasets import Dataset

    spec = script_args.dataset_name
    rows = load_rows(spec, script_args.dataset_train_split)
    for i, row in enumerate(rows):
        prompt = row.get("prompt")
        if not (isinstance(prompt, str) and prompt.strip()) and not (isinstance(prompt, list) and prompt):
            raise UserError(f"{spec}: row {i + 1}: prompt: missing, or not a string / list of messages")
    try:
        held = load_rows(spec, script_args.dataset_test_split) if not os.path.isfile(spec) else None
    except (UserError, ValueError, KeyError):
        held = None
    train = Dataset.from_list(rows)
    if held:
        return train, Dataset.from_list(held)
    n_held = min(script_args.heldout_prompts, len(train) // 5)
    if n_held == 0:
        return train, None
    split = train.train_test_split(test_size=n_held, seed=seed)
    return split["train"], split["test"]


# rewards --------------------------------------------------------------------------------------------------------

def import_function(spec: str, what: str = "gold"):
    """``module:function`` → the function (imported now, by name: the world's task lives in another module)."""
    module, sep, name = spec.partition(":")
    if not sep or not module or not name:
        raise UserError(f"{what}: expected 'module:function', got {spec!r}")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as err:
        raise UserError(f"{what} {spec}: not importable ({first_line(err)})") from err


def world_gold_fn(world, score):
    """``score(world, entity_id, text)`` as a reward function over rows with an ``entity_id`` column."""
    def gold(prompts, completions, entity_id, **kwargs):
        return [float(score(world, e, completion_text(c))) for e, c in zip(entity_id, completions)]

    gold.__name__ = "gold"
    return gold


def weighted_sum(funcs, weights):
    """Several TRL reward functions as one: Σ weight·reward (None counts as 0)."""
    def reward(prompts, completions, **kwargs):
        totals = [0.0] * len(completions)
        for func, weight in zip(funcs, weights):
            for i, value in enumerate(func(prompts=prompts, completions=completions, **kwargs)):
                totals[i] += weight * (value or 0.0)
        return totals

    reward.__name__ = "+".join(getattr(f, "__name__", "reward") for f in funcs)
    return reward


def check_one_reward(script_args: PPOScriptArguments) -> None:
    if (script_args.reward_model is None) == (not script_args.rewards):
        raise UserError("set reward_model (a reward model dir) or rewards (align.rewards functions), one of them")


def build_rewards(script_args: PPOScriptArguments, world=None):
    """(reward_model dir or None, reward_fn or None, gold_fn or None)."""
    check_one_reward(script_args)
    reward_fn = None
    if script_args.rewards:
        reward_fn = weighted_sum(*build_reward_funcs(script_args.rewards))
    gold = script_args.gold
    if gold == "auto":
        gold = WORLD_GOLD if world is not None else None
    gold_fn = None
    if gold is not None:
        function = import_function(gold)
        gold_fn = world_gold_fn(world, function) if world is not None else function
    return script_args.reward_model, reward_fn, gold_fn


# policy and trainer ---------------------------------------------------------------------------------------------

def check_args(script_args: PPOScriptArguments, model_args: ModelConfig) -> None:
    """The mistakes PPO reports before anything loads."""
    if model_args.model_name_or_path is None:
        raise UserError("set model_name_or_path (the SFT policy dir or Hub id)")
    if model_args.load_in_4bit or model_args.load_in_8bit:
        raise UserError("PPO does not support quantised policies yet (load_in_4bit/load_in_8bit)")
    check_one_reward(script_args)


def load_prompts(script_args: PPOScriptArguments, seed: int = 0):
    """(world or None, train, held-out or None): the world's prompts (its task, imported by name), or
    ``dataset_name``'s."""
    if script_args.dataset_name:
        return None, *dataset_prompts(script_args, seed)
    spec = script_args.world
    world = load_world(int(spec) if spec.lstrip("-").isdigit() else spec)
    builder = import_function(WORLD_PROMPTS if script_args.prompts == "auto" else script_args.prompts, "prompts")
    return world, *world_prompts(world, builder, script_args.train_prompts, script_args.heldout_prompts, seed)


def build_trainer(script_args, training_args, model_args, train, heldout, reward_model, reward_fn, gold_fn):
    """:class:`align.trainers.PPOTrainer`: the policy (LoRA with ``use_peft``), its critic and the reward."""
    from trl import get_peft_config

    tokenizer = load_tokenizer(model_args.model_name_or_path, training_args.trust_remote_code)
    training_args.model_init_kwargs = {"dtype": model_dtype(model_args.dtype),
                                       "attn_implementation": model_args.attn_implementation,
                                       **(training_args.model_init_kwargs or {})}
    return PPOTrainer(model=model_args.model_name_or_path, args=training_args, processing_class=tokenizer,
                      train_dataset=train, eval_dataset=heldout, reward_model=reward_model, reward_fn=reward_fn,
                      gold_fn=gold_fn, value_model=script_args.value_model, peft_config=get_peft_config(model_args))
