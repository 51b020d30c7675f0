"""Math word problems from the world, in three formats of the same problems, so they can be compared:

- `math_cot`: the steps first (each computes an intermediate result), then "The answer is N.";
- `math_answer_first`: "The answer is N." first, then the same steps (a justification, not a derivation);
- `tool_calc`: each step's arithmetic goes to the calculator tool, the result comes back as a tool message.
"""

from __future__ import annotations

import random

from align.data.conversations.messages import assistant, calculator_call, system, take, to_dataset, tool, user
from align.data.conversations.registry import register

# The answer format and its grader are the rewards' own: GRPO and evaluation grade the same way.
from align.rewards.parsing import final_answer, grade
from align.tools import calculator

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
