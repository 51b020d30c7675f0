"""Pretrain a base model on any text dataset.

    python recipes/pretrain.py --config recipes/tiny-world/pretrain.yaml
    accelerate launch recipes/pretrain.py --config recipes/tiny-world/pretrain.yaml --max_steps 100

Any YAML key can be overridden on the command line (``--learning_rate 1e-3``); unknown keys are errors.
"""

import logging

from peft import get_peft_model
from trl import get_peft_config

from align.config import recipe_main
from align.data.text import HeldoutSplit
from align.modeling import count_parameters, set_generation_defaults
from align.pretraining import (
    build_trainer,
    check_args,
    check_block_size,
    load_blocks,
    load_or_init_model,
    load_pretraining_tokenizer,
    make_parser,
)
from align.training import StageRun

logger = logging.getLogger("align.recipes.pretrain")


def train(script_args, training_args, model_args, shape) -> dict:
    """Train, evaluate and save the base model; returns the metrics."""
    check_args(script_args)
    run = StageRun("pretraining", script_args, training_args, model_args, shape)

    # 1. the tokenizer, and the model: a Llama of depth × width from scratch, or model_name_or_path continued
    tokenizer = load_pretraining_tokenizer(script_args, model_args)
    model = load_or_init_model(model_args, shape, tokenizer, script_args.trust_remote_code)
    check_block_size(model, script_args.block_size)
    set_generation_defaults(model, tokenizer)
    logger.info("model: %.2fM parameters", count_parameters(model) / 1e6)

    # 2. documents: some held out (the split is recorded with the model, for evaluation), the rest packed in blocks
    split = HeldoutSplit(script_args.eval_fraction, script_args.max_eval_documents, training_args.seed)
    with training_args.main_process_first(desc="loading and packing the dataset"):
        train_blocks, eval_blocks = load_blocks(script_args, tokenizer, split)
    if eval_blocks is None and training_args.eval_strategy != "no":
        logger.warning("no documents held out: evaluation is off")
        training_args.eval_strategy = "no"

    # 3. continued pretraining with LoRA (use_peft): the adapters are merged into the saved model
    peft_config = get_peft_config(model_args)
    if peft_config is not None:
        model = get_peft_model(model, peft_config)
        logger.info("LoRA: %.2fM trainable parameters", count_parameters(model, trainable_only=True) / 1e6)

    # 4. transformers' Trainer: next-token loss, held-out loss and bits per byte, sampled continuations
    trainer = build_trainer(model, tokenizer, training_args, train_blocks, eval_blocks, script_args)
    metrics = run.train(trainer, evaluate=eval_blocks is not None)
    if peft_config is not None:
        trainer.model = trainer.model.merge_and_unload()
    trainer.model.config.use_cache = True  # the saved model generates with a KV cache
    if trainer.is_world_process_zero():
        split.save(training_args.output_dir)
    run.save(trainer, metrics)
    return metrics


main = recipe_main(make_parser, train, __doc__)  # parse the YAML and flags, train; errors as one line


if __name__ == "__main__":
    main()
