"""What a run was — stage, base model, data, LoRA settings, where it was pushed — saved as ``align_run.json``
beside the model so a card can be written later (``align push``) from the model dir alone."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RUN_FILE = "align_run.json"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_FILE_SUFFIXES = (".json", ".jsonl", ".parquet", ".txt", ".csv", ".yaml", ".yml", ".arrow")


@dataclass(frozen=True)
class Stage:
    title: str
    trainer: str
    recipe: str  # recipes/<recipe>.py
    pipeline_tag: str
    tags: tuple[str, ...]


STAGES = {
    "pretraining": Stage("Pretraining (base model)", "transformers.Trainer", "pretrain", "text-generation",
                         ("pretraining",)),
    "sft": Stage("Supervised fine-tuning (SFT)", "trl.SFTTrainer", "sft", "text-generation", ("trl", "sft")),
    "reward_model": Stage("Reward model", "trl.RewardTrainer", "reward_model", "text-classification",
                          ("trl", "reward-trainer", "reward-model")),
    "dpo": Stage("Direct preference optimisation (DPO)", "trl.DPOTrainer", "dpo", "text-generation", ("trl", "dpo")),
    "grpo": Stage("RL with verifiable rewards (GRPO)", "trl.GRPOTrainer", "grpo", "text-generation", ("trl", "grpo")),
    "rloo": Stage("RL with verifiable rewards (RLOO)", "trl.RLOOTrainer", "grpo", "text-generation", ("trl", "rloo")),
    "ppo": Stage("RLHF with PPO", "align.trainers.PPOTrainer", "ppo", "text-generation", ("ppo", "rlhf")),
}
RENAMED_STAGES = {"reward": "reward_model"}
"""Stage names model dirs saved by earlier versions of align may record."""


@dataclass
class RunInfo:
    stage: str | None = None
    base_model: str | None = None       # as given: a local dir or a Hub id (None: trained from scratch)
    base_model_hub: str | None = None   # the base model's Hub id, when known
    data: list[str] = field(default_factory=list)      # markdown lines describing the training data
    datasets: list[str] = field(default_factory=list)  # Hub dataset ids among them
    license: str | None = None
    lora: dict[str, Any] | None = None
    hub: dict[str, Any] | None = None   # where the model was last pushed: {repo_id, revision}

    def save(self, model_dir: str | Path) -> Path:
        path = Path(model_dir) / RUN_FILE
        path.write_text(json.dumps(dataclasses.asdict(self), indent=2) + "\n")
        return path

    @classmethod
    def load(cls, model_dir: str | Path) -> RunInfo | None:
        path = Path(model_dir) / RUN_FILE
        if not path.is_file():
            return None
        raw = json.loads(path.read_text())
        raw["stage"] = RENAMED_STAGES.get(raw.get("stage"), raw.get("stage"))
        return cls(**{k: v for k, v in raw.items() if k in {f.name for f in dataclasses.fields(cls)}})


def is_hub_id(name: str | None) -> bool:
    """A Hub repo id rather than a local path or a data file."""
    if not name or os.path.exists(name) or name.endswith(_FILE_SUFFIXES) or name.startswith((".", "/", "~")):
        return False
    return bool(_HUB_ID.match(name))


def base_model_of(model_dir_or_id: str | None) -> tuple[str | None, str | None]:
    """(Hub id, license) of a base model: the id itself, or what a local dir's ``align_run.json`` recorded when
    it was pushed, or its card's metadata."""
    if not model_dir_or_id:
        return None, None
    if is_hub_id(model_dir_or_id):
        return model_dir_or_id, None
    info = RunInfo.load(model_dir_or_id) if os.path.isdir(model_dir_or_id) else None
    hub_id = (info.hub or {}).get("repo_id") if info else None
    license_ = info.license if info else None
    card = Path(model_dir_or_id) / "README.md"
    if card.is_file() and not (hub_id and license_):
        from huggingface_hub import ModelCard

        try:
            data = ModelCard.load(card).data
        except Exception:  # a hand-written README without metadata
            data = None
        if data is not None:
            license_ = license_ or data.get("license")
    return hub_id, license_


def run_info_from_args(stage: str, script_args, training_args, model_args) -> RunInfo:
    base = getattr(model_args, "model_name_or_path", None)
    base_hub, base_license = base_model_of(base)
    data, datasets = describe_data(stage, script_args)
    lora = None
    if getattr(model_args, "use_peft", False):
        lora = {"r": model_args.lora_r, "alpha": model_args.lora_alpha, "dropout": model_args.lora_dropout,
                "target_modules": model_args.lora_target_modules, "4bit": bool(model_args.load_in_4bit)}
    return RunInfo(stage=stage, base_model=base, base_model_hub=base_hub, data=data, datasets=datasets,
                   license=getattr(training_args, "hub_license", None) or base_license, lora=lora)


def describe_data(stage: str, args) -> tuple[list[str], list[str]]:
    """(markdown lines, Hub dataset ids) for the data a stage trained on, from its script arguments."""
    lines: list[str] = []
    get = lambda name: getattr(args, name, None)  # noqa: E731
    dataset = get("dataset_name")
    mixture = get("mixture")
    if mixture:
        if isinstance(mixture, str):
            lines.append(f"- conversation mixture from `{mixture}`")
        else:
            lines.append("- conversation mixture (`align.tasks` and `align.data.conversations` builders):")
            for part in mixture:
                options = {k: v for k, v in part.items() if k not in ("builder", "n", "weight")}
                extra = f", {json.dumps(options, default=str)}" if options else ""
                lines.append(f"  - `{part.get('builder')}`: n={part.get('n')}, weight={part.get('weight', 1.0)}{extra}")
    if dataset:
        lines.append(f"- dataset: {_link(dataset, 'datasets/')}")
    problems = get("problems")
    uses_world = bool(mixture) or problems == "world" or (stage == "ppo" and not dataset) or bool(
        get("win_rate_prompts"))
    if problems == "world":
        lines.append(f"- tiny-world math word problems, levels {', '.join(map(str, get('difficulties') or []))} "
                     f"({get('train_problems')} for training)")
    elif problems:
        lines.append(f"- problems: `{problems}`")
    if uses_world and get("world") is not None:
        world = str(get("world"))
        where = f"seed {world}" if world.lstrip("-").isdigit() else f"`{world}`"
        lines.append(f"- the tiny world ({where}): a procedurally generated world whose facts are the ground truth "
                     "of the data and of every evaluation")
    rewards = get("rewards")
    if rewards and stage in ("grpo", "rloo", "ppo"):
        parts = [f"{r.get('name')} ({r.get('weight', 1.0)})" if isinstance(r, dict) else str(r) for r in rewards]
        lines.append(f"- rewards (weight): {', '.join(parts)}")
    if get("reward_model"):
        lines.append(f"- reward model: {_link(get('reward_model'))}")
    return lines, [dataset] if is_hub_id(dataset) else []


def _link(name: str, kind: str = "") -> str:
    return f"[{name}](https://huggingface.co/{kind}{name})" if is_hub_id(name) else f"`{name}` (local)"
