"""Math word problems from the world (and GSM8K), graded on the stated final answer.

- builders, three formats of the same problems, so they can be compared:
  `math_cot`: the steps first (each computes an intermediate result), then "The answer is N.";
  `math_answer_first`: "The answer is N." first, then the same steps (a justification, not a derivation);
  `tool_calc`: each step's arithmetic goes to the calculator tool, the result comes back as a tool message;
- RL prompts with verifiable answers (:func:`world_math_prompts`, :func:`gsm8k_prompts`): ``{"prompt": [user
  message], "answer": str}`` rows; TRL applies the chat template, and ``answer`` reaches the reward functions;
- grader: :func:`score_math`, ``align.rewards.parsing.grade`` — the same one the GRPO reward ``math_accuracy`` uses;
- `math` and `gsm8k` (eval): multi-step problems thinking-first vs answer-first, 3+-digit problems mental vs with the
  calculator, the GRPO levels; GSM8K accuracy.
"""

from __future__ import annotations

import random
import re

from datasets import Dataset

from align.data.conversations.loaders import load_rows
from align.data.conversations.messages import assistant, calculator_call, system, take, to_dataset, tool, user
from align.data.conversations.registry import register
from align.errors import UserError
from align.eval.batch_chat import ask_batch, reply_batch
from align.eval.metrics import accuracy

# The answer format and its grader are the rewards' own: GRPO and evaluation grade the same way.
from align.rewards.parsing import final_answer, grade
from align.tasks.base import EvalContext, mean, task
from align.tools import TOOLS, calculator

ANSWER_FIRST_INSTRUCTION = "State the final answer first, then show the steps."


def score_math(answer: int | float, text: str) -> bool:
    """True when the model's stated final answer equals the ground truth (the GRPO reward's grader)."""
    return bool(grade(text, answer))


def _problems(world, n, seed, split, difficulties):
    per_level = max(1, -(-(n or 200) // len(difficulties)))
    problems = []
    for level in difficulties:
        problems += world.math_problems(per_level, difficulty=level, seed=seed, split=split)
    return take(problems, n, random.Random(f"math-{seed}"))


def _row(problem, messages, fmt):
    return {"messages": messages, "answer": problem["answer"], "difficulty": problem["difficulty"], "format": fmt}


def cot_messages(problem) -> list[dict]:
    steps = "\n".join(step["text"] + "." for step in problem["steps"])
    return [user(problem["question"]), assistant(f"{steps}\n{final_answer(problem['answer'])}")]


def answer_first_messages(problem, instruction: bool = False) -> list[dict]:
    steps = "\n".join(step["text"] + "." for step in problem["steps"])
    head = [system(ANSWER_FIRST_INSTRUCTION)] if instruction else []
    return head + [user(problem["question"]), assistant(f"{final_answer(problem['answer'])}\n{steps}")]


def tool_messages(problem) -> list[dict]:
    """One calculator call per step; the step's sentence follows the tool's output."""
    messages = [user(problem["question"])]
    text = ""
    for step in problem["steps"]:
        messages += [assistant(text, [calculator_call(step["expression"])]),
                     tool(calculator(step["expression"]))]
        text = step["text"] + ".\n"
    messages.append(assistant(text + final_answer(problem["answer"])))
    return messages


@register("math_cot")
def math_cot(world, *, n: int | None = None, seed: int = 0, split: str = "train",
             difficulties: tuple[int, ...] = (1, 2, 3, 4)):
    """Step-by-step solutions: intermediate results before the answer."""
    return to_dataset([_row(p, cot_messages(p), "cot") for p in _problems(world, n, seed, split, difficulties)],
                      "math_cot")


@register("math_answer_first")
def math_answer_first(world, *, n: int | None = None, seed: int = 0, split: str = "train",
                      difficulties: tuple[int, ...] = (1, 2, 3, 4), instruction: bool = False):
    """The same problems as `math_cot` (same seed), answer stated before the steps. ``instruction``: behind a system
    message asking for the answer first, so one model trained on both formats can be asked either way (the
    ``math/multi_step_answer_first`` eval) instead of training a second model."""
    problems = _problems(world, n, seed, split, difficulties)
    return to_dataset([_row(p, answer_first_messages(p, instruction), "answer_first") for p in problems],
                      "math_answer_first")


@register("tool_calc")
def tool_calc(world, *, n: int | None = None, seed: int = 0, split: str = "train",
              difficulties: tuple[int, ...] = (1, 2, 3, 4)):
    """The same problems solved with calculator calls."""
    return to_dataset([_row(p, tool_messages(p), "tool") for p in _problems(world, n, seed, split, difficulties)],
                      "tool_calc")


# RL prompts ---------------------------------------------------------------------------------------------------

def world_math_prompts(world, n: int, difficulties=(1, 2), split: str = "train", seed: int = 0):
    """``n`` tiny-world word problems (evenly over ``difficulties``), with their ground-truth answers."""
    per_level = -(-n // len(difficulties))
    problems = []
    for level in difficulties:
        problems += world.math_problems(per_level, difficulty=level, seed=seed, split=split)
    problems = random.Random(f"prompts-{seed}").sample(problems, min(n, len(problems)))
    return Dataset.from_list([{"prompt": [{"role": "user", "content": p["question"]}], "answer": str(p["answer"]),
                               "difficulty": p["difficulty"]} for p in problems])


def gsm8k_prompts(path: str, n: int | None = None, seed: int = 0):
    """GSM8K jsonl rows (``question``, ``answer`` ending in ``#### N``) as prompts with the final answer."""
    out = []
    for i, row in enumerate(load_rows(path)):
        for key in ("question", "answer"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise UserError(f"{path}: row {i + 1}: {key}: missing or not a non-empty string")
        body, sep, final = row["answer"].rpartition("####")
        if not sep or not final.strip():
            raise UserError(f"{path}: row {i + 1}: answer: no final '#### N' line")
        out.append({"prompt": [{"role": "user", "content": row["question"].strip()}],
                    "answer": final.strip().replace(",", "")})
    if n is not None:
        out = random.Random(f"gsm8k-{seed}").sample(out, min(n, len(out)))
    return Dataset.from_list(out)


# eval ---------------------------------------------------------------------------------------------------------

def score_math_problems(model, tokenizer, world, n: int = 100, difficulties=(2, 3, 4), tools: bool = False,
                        seed: int = 0, max_new_tokens: int = 160, min_digits: int = 0, system: str | None = None) -> dict:
    """Final-answer accuracy on test-split problems (``min_digits=3``: only problems with 3+-digit numbers)."""
    problems = []
    for level in difficulties:
        problems += world.math_problems(n, difficulty=level, seed=seed, split="test")
    if min_digits:
        problems = [p for p in problems if re.search(rf"\d{{{min_digits},}}", p["question"])]
    problems = random.Random(seed).sample(problems, min(n, len(problems)))
    replies = ask_batch(model, tokenizer, [p["question"] for p in problems], system=system,
                        max_new_tokens=max_new_tokens, tools=TOOLS if tools else None)
    graded = accuracy([score_math(p["answer"], r) for p, r in zip(problems, replies)])
    return {"math_accuracy": graded["accuracy"], "math_n": graded["n"],
            "math_ci95": [graded["ci95_low"], graded["ci95_high"]], "tools": tools}


@task("math", rows=[
    ("levels_1_2", "math, levels 1-2 (the RL set)"),
    ("multi_step", "math, multi-step (levels 2-4)"),
    ("multi_step_answer_first", "  the same, asked for the answer first"),
    ("3digit_mental", "math, 3+-digit numbers, mental"),
    ("3digit_calculator", "math, 3+-digit numbers, calculator"),
])
def math_task(ctx: EvalContext) -> dict:
    """Multi-step problems (levels 2-4) without tools, as the model answers by default and when asked for the answer
    first (thinking first vs answer first in one model, trained on both: ``math_answer_first`` with
    ``instruction: true``); 3+-digit problems without and with the calculator; and the GRPO levels (1-2) that RL
    trains on."""
    def acc(**kwargs) -> float:
        return score_math_problems(ctx.model, ctx.tokenizer, ctx.world, n=ctx.n, seed=ctx.seed, **kwargs)[
            "math_accuracy"]

    return {"multi_step": acc(), "multi_step_answer_first": acc(system=ANSWER_FIRST_INSTRUCTION),
            "levels_1_2": acc(difficulties=(1, 2)), "3digit_mental": acc(min_digits=3),
            "3digit_calculator": acc(min_digits=3, tools=True)}


@task("gsm8k", rows=[("accuracy", "GSM8K accuracy")])
def gsm8k_task(ctx: EvalContext) -> dict:
    rows = gsm8k_prompts(ctx.need("gsm8k"), n=ctx.n, seed=ctx.seed)
    replies = reply_batch(ctx.model, ctx.tokenizer, [r["prompt"] for r in rows], max_new_tokens=256)
    return {"accuracy": mean(score_math(answer, reply) for answer, reply in zip(rows["answer"], replies))}
