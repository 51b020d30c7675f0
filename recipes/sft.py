"""Supervised fine-tuning: turn a base model into an assistant.

    python recipes/sft.py --config recipes/tiny-world/sft.yaml
    accelerate launch recipes/sft.py --config recipes/smollm2/sft.yaml --use_peft true --load_in_4bit true

Any YAML key can be overridden on the command line (``--learning_rate 1e-4``); unknown keys are errors.
"""

import logging

from align.config import recipe_main
from align.data.text import split_holdout
from align.modeling import count_parameters
from align.sft import build_trainer, load_model, load_sft_dataset, make_parser, peft_config_for, prepare_tokenizer
from align.training import StageRun

logger = logging.getLogger("align.recipes.sft")


def train(script_args, training_args, model_args) -> dict:
    """Build the data, fine-tune, save (the model, or LoRA adapters and the merged model); returns the metrics."""
    run = StageRun("sft", script_args, training_args, model_args)
    trust = training_args.trust_remote_code

    # 1. the tokenizer, with a chat template whose assistant turns can be masked
    tokenizer, added_tokens = prepare_tokenizer(script_args, model_args, trust)

    # 2. conversations: a mixture of builders or a dataset, validated, some held out for eval_loss
    counts: dict[str, int] = {}
    with training_args.main_process_first(desc="building the SFT dataset"):
        dataset = load_sft_dataset(script_args, training_args.seed, counts)
        train_rows, eval_rows = split_holdout(dataset, script_args.eval_fraction, script_args.max_eval_rows,
                                              training_args.seed)
    if eval_rows is None and training_args.eval_strategy != "no":
        logger.warning("no rows held out: evaluation is off")
        training_args.eval_strategy = "no"

    # 3. the model (4-bit with load_in_4bit) and, with use_peft, LoRA adapters
    model = load_model(model_args, tokenizer, trust, bool(training_args.bf16))
    logger.info("model: %.2fM parameters; %d training rows", count_parameters(model) / 1e6, len(train_rows))
    peft_config = peft_config_for(model_args, tokenizer, added_tokens, model)

    # 4. TRL's SFTTrainer: loss on the assistant's tokens only
    trainer = build_trainer(model, tokenizer, training_args, train_rows, eval_rows, peft_config)
    metrics = {**run.train(trainer, evaluate=eval_rows is not None), **counts}
    run.save(trainer, metrics, tokenizer, merge_lora=script_args.merge_lora)
    return metrics


main = recipe_main(make_parser, train, __doc__)  # parse the YAML and flags, train; errors as one line


if __name__ == "__main__":
    main()
