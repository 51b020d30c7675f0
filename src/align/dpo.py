"""Direct preference optimisation on ``trl.DPOTrainer``: the policy learns from the preference pairs directly, no
reward model, with the SFT model as the frozen reference (``beta`` sets how far it may move).

Reads any preference format :mod:`align.data.preferences` accepts. With ``world`` and ``win_rate_prompts`` set,
the trained policy and the reference answer held-out "describe" prompts greedily afterwards, and the world's gold
labeler gives the policy's win-rate against the reference (``win_rate`` in ``all_results.json``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from trl import DPOConfig, ModelConfig, ScriptArguments

from align.errors import UserError
from align.preference_training import (
    build_pair_trainer,
    skip_invalid_rows_field,
)
from align.tasks.describe import win_rate
from align.training import HardwareDefaults
from align.world import load_world

logger = logging.getLogger(__name__)


@dataclass
class DPOScriptArguments(ScriptArguments):
    """``dataset_name``: preference pairs (see :mod:`align.reward_model`); optional gold win-rate afterwards."""

    eval_fraction: float = field(
        default=0.0, metadata={"help": "Fraction of pairs held out when the dataset has no test split."})
    max_eval_rows: int = field(default=500, metadata={"help": "Cap on held-out pairs."})
    skip_invalid_rows: bool = skip_invalid_rows_field()
    world: str | None = field(
        default=None, metadata={"help": "Tiny world (seed, world.json or crawl dir) for the gold win-rate."})
    win_rate_prompts: int = field(
        default=0, metadata={"help": "Held-out describe prompts for the win-rate against the reference (0: off)."})
    win_rate_max_new_tokens: int = field(default=96, metadata={"help": "Tokens per answer in the win-rate."})

    def __post_init__(self):
        if self.win_rate_prompts and not self.world:
            raise UserError("win_rate_prompts needs world (the tiny world whose labeler judges the answers)")


@dataclass
class AlignDPOConfig(HardwareDefaults, DPOConfig):
    """``DPOConfig`` with ``bf16`` where the hardware has it (see ``HardwareDefaults``)."""

    max_length: int | None = field(default=512, metadata={"help": "Tokens per prompt + answer."})
    save_total_limit: int | None = field(default=2, metadata={"help": "Checkpoints kept."})


def make_parser():
    from trl import TrlParser

    return TrlParser((DPOScriptArguments, AlignDPOConfig, ModelConfig))


def build_trainer(script_args, training_args, model_args, train, heldout, counts: dict, callbacks=()):
    """``trl.DPOTrainer``: the policy and, frozen, the reference are the SFT model (LoRA with ``use_peft``);
    ``counts`` gets the pairs it drops as too long."""
    from trl import DPOTrainer, get_peft_config

    return build_pair_trainer(DPOTrainer, training_args, model_args, train, heldout, get_peft_config(model_args),
                              counts, callbacks)


def gold_win_rate(script_args: DPOScriptArguments, trainer, reference: str) -> dict:
    """The trained policy's gold win-rate against ``reference`` on held-out describe prompts (greedy)."""
    from transformers import AutoModelForCausalLM

    spec = script_args.world
    world = load_world(int(spec) if spec.lstrip("-").isdigit() else spec)
    policy = trainer.model
    # The reference in the policy's dtype: an unchanged policy then ties with it on every prompt.
    ref = AutoModelForCausalLM.from_pretrained(reference, dtype=next(policy.parameters()).dtype).to(policy.device)
    result = win_rate(world, (policy, trainer.processing_class), (ref, trainer.processing_class),
                      n=script_args.win_rate_prompts, max_new_tokens=script_args.win_rate_max_new_tokens)
    return {"win_rate": result["win_rate"], "gold_policy": result["gold_a"], "gold_reference": result["gold_b"],
            "words_policy": result["words_a"], "words_reference": result["words_b"]}
