"""RL with verifiable rewards on ``trl.GRPOTrainer`` (or ``trl.RLOOTrainer``, same data and rewards).

The policy starts from an SFT model, samples ``num_generations`` answers per problem, and is rewarded by
:mod:`align.rewards` functions named and weighted in the recipe's YAML. A held-out set is answered greedily every
``heldout_every`` steps; its accuracy and mean completion length are the R1 curve (``grpo_curve.png``).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

from trl import GRPOConfig, ModelConfig, ScriptArguments

from align.callbacks import HeldoutAccuracyCallback
from align.config import yaml_option
from align.errors import UserError
from align.modeling import load_model_to_train, set_generation_defaults
from align.rewards import get_reward
from align.tasks.math import gsm8k_prompts, world_math_prompts
from align.tokenizer import load_tokenizer
from align.training import (
    HardwareDefaults,
    construct_trainer,
    merge_lora_field,
)
from align.world import load_world

logger = logging.getLogger(__name__)

DEFAULT_REWARDS = [{"name": "math_accuracy", "weight": 1.0}, {"name": "answer_format", "weight": 0.1}]


@dataclass
class GRPOScriptArguments(ScriptArguments):
    """Which problems, which rewards, which algorithm."""

    algorithm: str = field(default="grpo", metadata={"help": "grpo (trl.GRPOTrainer) or rloo (trl.RLOOTrainer).",
                                                     "choices": ["grpo", "rloo"]})
    problems: str = field(default="world", metadata={
        "help": "'world' (tiny-world word problems) or a GSM8K-format jsonl file ({question, answer: '... #### N'})."})
    world: str = field(default="0", metadata={"help": "Tiny world: a seed, world.json or crawl dir."})
    difficulties: list[int] = field(default_factory=lambda: [1, 2], metadata={"help": "World problem levels (1-4)."})
    train_problems: int = field(default=512, metadata={"help": "Training problems."})
    heldout_problems: int = field(default=128, metadata={"help": "Held-out problems (world: test split)."})
    heldout_path: str | None = field(default=None, metadata={"help": "GSM8K-format jsonl for the held-out set."})
    heldout_every: int = field(default=10, metadata={"help": "Steps between held-out measurements (0: off)."})
    merge_lora: bool = merge_lora_field()
    rewards: list[dict[str, Any]] | str | None = field(default_factory=lambda: [dict(r) for r in DEFAULT_REWARDS], metadata={
        "help": "Reward functions from align.rewards: [{name: NAME, weight: W, ...options}] (YAML/JSON on the CLI)."})

    def __post_init__(self):
        self.rewards = yaml_option(self.rewards, "rewards")


@dataclass
class AlignGRPOConfig(HardwareDefaults, GRPOConfig):
    """``GRPOConfig`` with ``bf16`` where the hardware has it (see ``HardwareDefaults``)."""


def make_parser():
    from trl import TrlParser

    return TrlParser((GRPOScriptArguments, AlignGRPOConfig, ModelConfig))


def load_problems(script_args: GRPOScriptArguments, seed: int = 0):
    """(train, held-out) prompt datasets with an ``answer`` column."""
    if script_args.problems == "world":
        spec = script_args.world
        world = load_world(int(spec) if spec.lstrip("-").isdigit() else spec)
        levels = tuple(script_args.difficulties)
        if not levels or any(level not in (1, 2, 3, 4) for level in levels):
            raise UserError(f"difficulties: expected levels from 1 to 4, got {list(levels)}")
        train = world_math_prompts(world, script_args.train_problems, levels, "train", seed)
        heldout = world_math_prompts(world, script_args.heldout_problems, levels, "test", seed)
        return train, heldout
    train = gsm8k_prompts(script_args.problems, script_args.train_problems, seed)
    if script_args.heldout_path:
        return train, gsm8k_prompts(script_args.heldout_path, script_args.heldout_problems, seed)
    split = train.train_test_split(test_size=min(script_args.heldout_problems, len(train) // 5), seed=seed)
    return split["train"], split["test"]


def rloo_config_from(args: AlignGRPOConfig):
    """The same settings as an ``RLOOConfig`` (GRPO-only options that were changed are reported, then dropped)."""
    from trl import RLOOConfig

    rloo_fields = {f.name for f in dataclasses.fields(RLOOConfig) if f.init}
    defaults = GRPOConfig.__dataclass_fields__
    dropped = [f.name for f in dataclasses.fields(AlignGRPOConfig)
               if f.init and f.name not in rloo_fields and f.name in defaults
               and getattr(args, f.name) != defaults[f.name].default]
    if dropped:
        logger.warning("rloo: ignoring GRPO-only options %s", ", ".join(dropped))
    values = {name: getattr(args, name) for name in rloo_fields if hasattr(args, name)}
    values.update(bf16=args.bf16, use_cpu=args.use_cpu)
    # Derived in __post_init__; passing them back would double-apply (e.g. fractional warmup already resolved).
    for derived in ("generation_batch_size", "steps_per_generation"):
        values.pop(derived, None)
    values["steps_per_generation"] = args.steps_per_generation
    return RLOOConfig(**values)


def load_policy(model_args: ModelConfig, training_args: AlignGRPOConfig):
    """(model, tokenizer): the SFT model to improve (4-bit with ``load_in_4bit``: QLoRA), with its chat template."""
    if model_args.model_name_or_path is None:
        raise UserError("set model_name_or_path (an SFT model dir or Hub id)")
    tokenizer = load_tokenizer(model_args.model_name_or_path, training_args.trust_remote_code)
    if not tokenizer.chat_template:
        raise UserError(f"{model_args.model_name_or_path}: no chat template: start GRPO from an SFT model")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = load_model_to_train(model_args, bool(training_args.bf16), training_args.trust_remote_code)
    set_generation_defaults(model, tokenizer)
    return model, tokenizer


def build_trainer(script_args, training_args, model_args, model, tokenizer, reward_funcs, train, callbacks=()):
    """``trl.GRPOTrainer`` (or ``RLOOTrainer`` with ``algorithm: rloo``), LoRA adapters with ``use_peft``."""
    from trl import GRPOTrainer, RLOOTrainer, get_peft_config

    trainer_cls, args = GRPOTrainer, training_args
    if script_args.algorithm == "rloo":
        trainer_cls, args = RLOOTrainer, rloo_config_from(training_args)
    return construct_trainer(trainer_cls, model_args.model_name_or_path, model=model, reward_funcs=reward_funcs,
                             args=args, train_dataset=train, processing_class=tokenizer,
                             peft_config=get_peft_config(model_args), callbacks=list(callbacks))


def heldout_callback(script_args, training_args, heldout):
    accuracy = get_reward("math_accuracy")

    def score(text: str, answer) -> float | None:
        return accuracy(prompts=[None], completions=[text], answer=[answer])[0]

    return HeldoutAccuracyCallback([row["prompt"] for row in heldout], list(heldout["answer"]), score,
                                   every=script_args.heldout_every,
                                   max_new_tokens=training_args.max_completion_length or 128)


def heldout_summary(callback: HeldoutAccuracyCallback | None) -> dict:
    """The held-out accuracy at the first and last measurement, and the best one."""
    if callback is None or not callback.history:
        return {}
    accuracies = [h["heldout/accuracy"] for h in callback.history]
    return {"heldout_accuracy_start": accuracies[0], "heldout_accuracy_end": accuracies[-1],
            "heldout_accuracy_best": max(accuracies)}
