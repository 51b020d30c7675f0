"""`jagged`: questions trivial for people and hard for token-level models — letter counts, reversed words, and
comparing decimals like 9.9 and 9.11 ("jagged intelligence"). Answers are computed, not stored."""

from __future__ import annotations

import random
import re

from align.eval.batch_chat import ask_batch
from align.tasks.base import EvalContext, mean, task


def jagged_items(world, n: int = 30, seed: int = 0) -> list[dict]:
    """Questions trivial for people and hard for token-level models: letter counts, reversed words, and
    comparing decimals like 9.9 and 9.11. Words are the world's own names; answers are computed."""
    rng = random.Random(f"jagged-{seed}")
    words = sorted({w for e in world.entities.values() for w in e.name.split() if len(w) >= 5})
    items = []
    for i in range(n):
        kind = ("count", "reverse", "compare")[i % 3]
        if kind == "count":
            word = rng.choice(words)
            letter = rng.choice(sorted(set(word.lower())))
            items.append({"kind": kind, "question": f'How many times does the letter "{letter}" appear in "{word}"?',
                          "answer": str(word.lower().count(letter))})
        elif kind == "reverse":
            word = rng.choice(words)
            items.append({"kind": kind, "question": f'Write the word "{word}" backwards.', "answer": word[::-1]})
        else:
            whole = rng.randint(1, 20)
            a, b = f"{whole}.{rng.randint(1, 9)}", f"{whole}.{rng.randint(10, 99)}"
            bigger = a if float(a) > float(b) else b
            pair = [a, b] if rng.random() < 0.5 else [b, a]
            items.append({"kind": kind, "question": f"Which is bigger, {pair[0]} or {pair[1]}?", "answer": bigger,
                          "other": a if bigger == b else b})
    return items


def jagged_correct(item: dict, reply: str) -> bool:
    text = reply.strip()
    if item["kind"] == "count":
        numbers = re.findall(r"\d+", text)
        return bool(numbers) and numbers[0] == item["answer"]
    if item["kind"] == "reverse":
        return item["answer"].lower() in text.lower()
    return item["answer"] in text and item["other"] not in text


@task("jagged", rows=[("count", "count letters in a word"), ("reverse", "reverse a word"),
                      ("compare", "compare decimals (9.9 vs 9.11)")])
def jagged_task(ctx: EvalContext) -> dict:
    items = jagged_items(ctx.world, n=min(ctx.n, 60), seed=ctx.seed)
    replies = ask_batch(ctx.model, ctx.tokenizer, [i["question"] for i in items], max_new_tokens=24)
    return {kind: mean(jagged_correct(i, r) for i, r in zip(items, replies) if i["kind"] == kind)
            for kind in ("count", "reverse", "compare")}
