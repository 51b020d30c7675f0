"""Pieces every training recipe shares: config defaults for CPU-or-GPU, the run skeleton around a trainer
(:class:`StageRun`: seed, tracking, Hub publishing, resume, save, finish), checkpoint resolution."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from transformers import set_seed

from align.errors import UserError, first_line
from align.hardware import resolve_precision
from align.hub.arguments import hub_license_field
from align.hub.hook import StageHub
from align.modeling import merge_lora_adapter
from align.tracking import report_to_field, setup_tracking, split_report_to
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


class StageRun:
    """What every training stage does around its trainer, so that a recipe shows only its own flow: the seed and
    experiment tracking first; Hub publishing as an opt-in callback (``push_to_hub``: checkpoints while training,
    the final model at the end); resuming from ``resume_from_checkpoint`` (``last``: the newest checkpoint); the
    final held-out evaluation; saving the model with its tokenizer, metrics and state; merging LoRA adapters; the
    model card and run record (``recipe.yaml``, ``align_run.json``) in the output dir.

        run = StageRun("sft", script_args, training_args, model_args)
        ...                                   # the stage's data, model and trainer
        metrics = run.train(trainer, evaluate=True)
        run.save(trainer, metrics, merge_lora=True)
    """

    def __init__(self, stage: str, script_args, training_args, model_args, *more_args):
        set_seed(training_args.seed)
        setup_tracking(training_args)
        check_quantized_training(model_args)
        self.stage = stage
        self.args = training_args
        self.model_args = model_args
        # Reads the recipe as the user wrote it and takes over push_to_hub: before the trainer exists.
        self.hub = StageHub(stage, script_args, training_args, model_args, *more_args)

    def train(self, trainer, evaluate: bool = False) -> dict:
        """Train (resuming when asked), then evaluate on the held-out set once more if ``evaluate``; the metrics."""
        self.hub.attach(trainer)
        result = trainer.train(resume_from_checkpoint=resolve_checkpoint(self.args))
        metrics = dict(result.metrics)
        if evaluate:
            metrics.update(trainer.evaluate())
        return metrics

    def save(self, trainer, metrics: dict, tokenizer=None, merge_lora: bool = False,
             sequence_classification: bool = False) -> bool:
        """Save the model (every process takes part), then on the main process its tokenizer, generation config,
        metrics and state (:func:`save_run`), the adapters merged into ``<output_dir>/merged`` when ``merge_lora``
        and the model has them, and the card; push when ``push_to_hub``. Returns whether this is the main process."""
        if not save_run(trainer, metrics, tokenizer):
            return False
        output_dir = self.args.output_dir
        if merge_lora and self.model_args.use_peft:
            merge_lora_adapter(output_dir, os.path.join(output_dir, "merged"), sequence_classification)
        logger.info("%s: saved to %s", self.stage, output_dir)
        self.hub.finish()
        return True


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
