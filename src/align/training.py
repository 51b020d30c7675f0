"""Pieces every training recipe shares: config defaults for CPU-or-GPU, held-out splits, checkpoint resolution."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from align.errors import UserError, first_line
from align.hardware import resolve_precision
from align.hub.arguments import hub_license_field
from align.tracking import report_to_field, split_report_to
from align.trainers.sampling import with_seeded_length_grouping

logger = logging.getLogger(__name__)


@dataclass
class HardwareDefaults:
    """Mixed into each recipe's config (``class C(HardwareDefaults, SFTConfig)``): ``bf16`` unset means "where the
    hardware has it" (and ``use_cpu`` without an accelerator); no activation recomputation by default — TRL's
    RL configs turn it on, which costs ~30% of step time for memory a small model does not need; ``report_to``
    trackio (local, no account; see :mod:`align.tracking`) unless the YAML says otherwise."""

    bf16: bool | None = field(default=None, metadata={"help": "bf16 autocast (default: when supported)."})
    activation_checkpointing: bool | None = field(
        default=False, metadata={"help": "Recompute activations in backward (saves memory, costs ~30%% time)."}
    )
    gradient_checkpointing: bool | None = field(
        default=None, metadata={"help": "Deprecated alias of activation_checkpointing (transformers 5)."}
    )
    report_to: None | str | list[str] = report_to_field()
    hub_license: str | None = hub_license_field()

    def __post_init__(self):
        resolve_precision(self)
        self.report_to = split_report_to(self.report_to)
        super().__post_init__()


def merge_lora_field():
    """The ``merge_lora`` option of every recipe that can train LoRA adapters."""
    return field(default=False, metadata={"help": "With use_peft: also save the merged model to <output_dir>/merged."})


def split_holdout(dataset, fraction: float, max_rows: int, seed: int):
    """Hold out a seeded random ``fraction`` of rows (at most ``max_rows``); returns (train, held-out or None)."""
    n_eval = min(max_rows, int(round(len(dataset) * fraction)))
    if n_eval == 0 or len(dataset) < 2:
        return dataset, None
    parts = dataset.train_test_split(test_size=n_eval, seed=seed, shuffle=True)
    return parts["train"], parts["test"]


HELDOUT_SPLIT_FILE = "heldout_split.json"


@dataclass(frozen=True)
class HeldoutSplit:
    """How pretraining held documents out. The pretraining stage writes it into the base model dir, and evaluation
    reads it back, so "held-out" bits per byte are measured on documents the model never trained on whatever split a
    recipe chose (``recipes/llama-d12`` holds out 0.5%, at most 2000)."""

    fraction: float = 0.02
    max_documents: int = 1000
    seed: int = 0

    def apply(self, dataset):
        """(train, held-out or None), as :func:`split_holdout`."""
        return split_holdout(dataset, self.fraction, self.max_documents, self.seed)

    def save(self, directory: str | os.PathLike) -> None:
        (Path(directory) / HELDOUT_SPLIT_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, path: str | os.PathLike) -> HeldoutSplit | None:
        """The split recorded in a model dir (or the file itself); None when there is none."""
        path = Path(path)
        file = path / HELDOUT_SPLIT_FILE if path.is_dir() else path
        if not file.is_file():
            return None
        try:
            return cls(**json.loads(file.read_text()))
        except (ValueError, TypeError) as e:
            raise UserError(f"{file}: not a held-out split ({first_line(e)}); expected keys fraction, "
                            "max_documents, seed") from None


def resolve_checkpoint(training_args) -> str | None:
    """``resume_from_checkpoint``: ``last`` (or ``true``) → the newest checkpoint in ``output_dir``, if any."""
    from transformers.trainer_utils import get_last_checkpoint

    checkpoint = training_args.resume_from_checkpoint
    if checkpoint in ("last", "true", "True"):
        checkpoint = get_last_checkpoint(training_args.output_dir) if os.path.isdir(training_args.output_dir) else None
        if checkpoint is None:
            logger.info("no checkpoint in %s: starting fresh", training_args.output_dir)
    elif checkpoint is not None and not os.path.isdir(checkpoint):
        raise UserError(f"resume_from_checkpoint {checkpoint}: no such directory")
    return checkpoint


def save_run(trainer, metrics: dict, tokenizer=None) -> bool:
    """Save what every stage leaves behind: the model (all processes take part), then on the main process the
    tokenizer, the generation config (if any), ``all_results.json`` and ``trainer_state.json``. Returns whether
    this is the main process, for stage-specific extras."""
    output_dir = trainer.args.output_dir
    trainer.save_model(output_dir)
    if not trainer.is_world_process_zero():
        return False
    (tokenizer or trainer.processing_class).save_pretrained(output_dir)
    generation_config = getattr(trainer.model, "generation_config", None)
    if generation_config is not None:
        generation_config.save_pretrained(output_dir)
    trainer.save_metrics("all", metrics)
    trainer.save_state()
    return True


def construct_trainer(trainer_cls, model_name: str | None = None, **kwargs):
    """``trainer_cls(**kwargs)`` with the user's mistakes as one line: a model that cannot load (TRL trainers load
    a model given by name), and TRL's config and data checks (ValueError). Length-grouped batches are seeded, so a
    resumed run repeats the uninterrupted one (:mod:`align.trainers.sampling`)."""
    try:
        trainer = with_seeded_length_grouping(trainer_cls)(**kwargs)
    except OSError as err:
        raise UserError(f"model {model_name}: could not load: {first_line(err)}") from err
    except ValueError as err:
        raise UserError(first_line(err)) from err
    args = trainer.args
    if trainer.is_world_process_zero():  # the one line that shows a launcher really started N processes
        logger.info("world size %d: global batch %d (%d per device × %d accumulation steps × %d processes)",
                    args.world_size, args.per_device_train_batch_size * args.gradient_accumulation_steps
                    * args.world_size, args.per_device_train_batch_size, args.gradient_accumulation_steps,
                    args.world_size)
    keep_4bit_weights_trainable(trainer.model)
    return trainer


def keep_4bit_weights_trainable(model) -> None:
    """bitsandbytes repacks a 4-bit layer's weights for its CPU inference kernel (AVX512-BF16 CPUs) the first time
    the layer runs in eval mode without gradients, for good; that kernel has no backward and breaks on biases, so
    training after an evaluation or a generation (GRPO) would fail or lose gradients. Models being trained keep the
    trainable layout (no effect on GPUs)."""
    for module in model.modules():
        if getattr(module, "support_avx512bf16_for_cpu", False):
            module.support_avx512bf16_for_cpu = False


def check_quantized_training(model_args) -> None:
    """4-bit weights cannot be trained directly: QLoRA needs adapters."""
    if model_args.load_in_4bit and not model_args.use_peft:
        raise UserError("load_in_4bit trains adapters only: set use_peft: true (QLoRA)")
