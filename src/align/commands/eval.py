"""`align eval --model DIR --tasks ...`: score a model against the tiny world's ground truth."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from align.cli_options import add_verb
from align.data.text import HeldoutSplit
from align.errors import UserError
from align.eval.task_names import BASE_TASKS, CHAT_TASKS, QUESTION_TASKS, TASK_NAMES
from align.world import load_world


@dataclass
class EvalOptions:
    model: str = field(metadata={"help": "model dir (or Hub id)"})
    tasks: str | None = field(default=None, metadata={
        "help": f"comma-separated, from: {', '.join(TASK_NAMES)} (default: base: {','.join(BASE_TASKS)}; "
                f"chat: {','.join(CHAT_TASKS)})"})
    kind: str = field(default="chat", metadata={
        "choices": ["chat", "base"], "help": "base: probe as a document simulator (cloze); chat: ask questions"})
    world: str | None = field(default=None, metadata={
        "help": "crawl dir (world.json, exposure.json), world.json or seed"})
    data: str | None = field(default=None, metadata={"help": "the pretraining text dataset (bpb, regurgitation)"})
    n: int = field(default=100, metadata={"help": "questions per measure"})
    seed: int = 0
    name: str | None = field(default=None, metadata={
        "help": "column name in the report (default: the model dir's name)"})
    reward_model: str | None = field(default=None, metadata={"help": "reward model dir (task reward_model)"})
    preferences: str | None = field(default=None, metadata={"help": "preference dataset (task reward_model)"})
    against: str | None = field(default=None, metadata={"help": "model dir to compare with (task win_rate)"})
    gsm8k: str | None = field(default=None, metadata={"help": "GSM8K-format jsonl (task gsm8k)"})
    out: str | None = field(default=None, metadata={"help": "write the results as JSON here (default: print them)"})
    heldout_split: str | None = field(default=None, metadata={
        "help": "the base model dir (or its heldout_split.json) whose pretraining split of --data to hold out "
                "(default: the model's own record, else 2%% of documents, at most 1000)"})


def register(subparsers) -> None:
    add_verb(subparsers, "eval", EvalOptions, _eval, help="score a model against the world's ground truth")


def heldout_split(args):
    """The pretraining split ``--data`` was held out by: ``--heldout_split``, else the one the evaluated model's dir
    records (a base model saved by recipes/pretrain.py), else None (the recipe's defaults)."""
    if args.heldout_split:
        split = HeldoutSplit.read(args.heldout_split)
        if split is None:
            raise UserError(f"--heldout_split {args.heldout_split}: no heldout_split.json there (pretraining writes "
                            "it into the base model dir)")
        return split
    return HeldoutSplit.read(args.model) if Path(args.model).is_dir() else None


def _eval(args) -> int:
    from align.engine import load_model  # torch: only when the verb runs
    from align.tasks import EvalContext, model_label, run_tasks

    world_spec = args.world or "0"
    world = load_world(int(world_spec) if world_spec.lstrip("-").isdigit() else world_spec)
    crawl = args.world if args.world and Path(args.world).is_dir() else None
    names = [n.strip() for n in args.tasks.split(",") if n.strip()] if args.tasks else (
        BASE_TASKS if args.kind == "base" else CHAT_TASKS)
    unknown = [n for n in names if n not in TASK_NAMES]
    if unknown:  # before the model loads: a typo costs nothing
        raise UserError(f"unknown eval task(s) {', '.join(unknown)} (tasks: {', '.join(TASK_NAMES)})")
    split = heldout_split(args)  # before the model loads: a wrong path costs nothing
    model, tokenizer = load_model(args.model)
    asks = [n for n in names if n in QUESTION_TASKS and not (n == "knowledge" and args.kind == "base")]
    if asks and not tokenizer.chat_template:
        raise UserError(f"{args.model}: no chat template, so it cannot be asked questions ({', '.join(asks)}): "
                        "use --kind base (tasks: " + ",".join(BASE_TASKS) + ") or fine-tune it first (recipes/sft.py)")
    options = {"kind": args.kind, "reward_model": args.reward_model, "preferences": args.preferences,
               "against": args.against, "gsm8k": args.gsm8k}
    ctx = EvalContext(model, tokenizer, world, crawl=crawl, data=args.data, n=args.n, seed=args.seed,
                      options=options, heldout_split=split)
    start = time.perf_counter()
    result = run_tasks(ctx, names)
    result.update(model=args.model, name=args.name or model_label(args.model), kind=args.kind,
                  seconds=round(time.perf_counter() - start, 1))
    text = json.dumps(result, indent=2)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_text(text + "\n")
        tmp.replace(out)  # never a half-written results file
    else:
        sys.stdout.write(text + "\n")
    for key, value in result["metrics"].items():
        sys.stderr.write(f"{key:<40}{value:>8.3f}\n" if isinstance(value, float) else f"{key:<40}{value}\n")
    return 0
