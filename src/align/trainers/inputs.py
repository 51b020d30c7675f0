"""PPO's inputs: datasets and rewards validated before the first step (one-line errors), models loaded from paths."""

from __future__ import annotations

from align.errors import UserError, first_line


def rows_of(dataset, indices) -> list[dict]:
    return [dict(dataset[int(i)]) for i in indices]


def columns_of(dataset) -> list[str]:
    names = getattr(dataset, "column_names", None)
    if names is None and len(dataset):
        names = list(dataset[0])
    return list(names or [])


def check_inputs(args, train_dataset, eval_dataset, reward_model, reward_fn, gold_fn, peft_config, ref_model):
    if (reward_model is None) == (reward_fn is None):
        raise UserError("PPO needs exactly one reward: reward_model (a sequence-classification model) or reward_fn"
                        + ("" if reward_model is None else ", not both"))
    if reward_fn is not None and not callable(reward_fn):
        raise UserError(f"reward_fn must be callable, got {type(reward_fn).__name__}")
    if gold_fn is not None and not callable(gold_fn):
        raise UserError(f"gold_fn must be callable, got {type(gold_fn).__name__}")
    if train_dataset is None or not len(train_dataset):
        raise UserError("PPO needs a train_dataset of prompts")
    for name, dataset in (("train_dataset", train_dataset), ("eval_dataset", eval_dataset)):
        if dataset is not None and "prompt" not in columns_of(dataset):
            raise UserError(f"{name}: no 'prompt' column (has {columns_of(dataset)})")
    global_rollout = args.rollout_batch_size * max(args.world_size, 1)
    if len(train_dataset) < global_rollout:
        raise UserError(f"train_dataset: {len(train_dataset)} prompts, fewer than one rollout of {global_rollout}")
    if args.eval_every and (eval_dataset is None or not len(eval_dataset)):
        raise UserError("eval_every is set but there is no eval_dataset (held-out prompts)")
    if args.patience is not None and args.stop_metric == "gold" and gold_fn is None:
        raise UserError("early stopping on the gold reward (stop_metric: gold) needs a gold_fn")
    if peft_config is not None and ref_model is not None:
        raise UserError("with a peft_config the reference is the policy with adapters disabled: drop ref_model")


def load_policy(model, trust_remote_code: bool, init_kwargs: dict):
    from transformers import AutoModelForCausalLM

    if not isinstance(model, str):
        return model
    try:
        return AutoModelForCausalLM.from_pretrained(model, trust_remote_code=trust_remote_code, **init_kwargs)
    except OSError as err:
        raise UserError(f"model {model}: could not load: {first_line(err)}") from err


def load_tokenizer(source: str, trust_remote_code: bool):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code)
    except (OSError, ValueError, TypeError) as err:
        raise UserError(f"{source}: no tokenizer ({first_line(err)}); pass processing_class") from err
