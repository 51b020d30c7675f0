"""Prompt datasets with verifiable answers for RL: ``{"prompt": [user message], "answer": str}`` rows.

The ``prompt`` is conversational (TRL applies the chat template); extra columns such as ``answer`` reach the
reward functions as keyword arguments.
"""

from __future__ import annotations

import random

from align.data.conversations.loaders import load_rows
from align.errors import UserError


def world_math_prompts(world, n: int, difficulties=(1, 2), split: str = "train", seed: int = 0):
    """``n`` tiny-world word problems (evenly over ``difficulties``), with their ground-truth answers."""
    from datasets import Dataset

    per_level = -(-n // len(difficulties))
    problems = []
    for level in difficulties:
        problems += world.math_problems(per_level, difficulty=level, seed=seed, split=split)
    problems = random.Random(f"prompts-{seed}").sample(problems, min(n, len(problems)))
    return Dataset.from_list([{"prompt": [{"role": "user", "content": p["question"]}], "answer": str(p["answer"]),
                               "difficulty": p["difficulty"]} for p in problems])


def gsm8k_prompts(path: str, n: int | None = None, seed: int = 0):
    """GSM8K jsonl rows (``question``, ``answer`` ending in ``#### N``) as prompts with the final answer."""
    from datasets import Dataset

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
