"""Score an SFT model's behaviours against the world's ground truth (hooks for the report card).

- identity: held-out paraphrases of "who are you" questions, graded by :func:`score_identity`;
- knowledge and hallucination: held-out questions about known facts (accuracy) and about unknown entities
  (hallucination = not abstaining), graded by ``World.answer_matches`` / ``World.is_abstention``;
- math: test-split word problems, graded on the stated final answer; run once per format to compare
  (thinking first vs answer first needs two models, or one trained on both with a format instruction);
- tools: the same with the calculator running, on problems with 3-digit-and-larger numbers.
"""

from __future__ import annotations

import logging
import random

from align.data.conversations import identity_eval_questions, score_identity, score_math
from align.eval.batch_chat import ask_batch
from align.eval.metrics import accuracy
from align.tools import TOOLS

logger = logging.getLogger(__name__)


def _ask(model, tokenizer, questions: list[str], max_new_tokens: int, system: str | None, tools: bool) -> list[str]:
    return ask_batch(model, tokenizer, questions, system=system, max_new_tokens=max_new_tokens,
                     tools=TOOLS if tools else None)


def score_identity_questions(model, tokenizer, system: str | None = None, max_new_tokens: int = 48,
                             limit: int | None = None) -> dict:
    items = identity_eval_questions("heldout")[:limit]
    replies = _ask(model, tokenizer, [i["question"] for i in items], max_new_tokens, system, False)
    graded = accuracy([score_identity(i["topic"], reply) for i, reply in zip(items, replies)])
    return {"identity_accuracy": graded["accuracy"], "identity_n": graded["n"],
            "identity_ci95": [graded["ci95_low"], graded["ci95_high"]]}


def score_facts(model, tokenizer, world, n: int = 200, seed: int = 0, max_new_tokens: int = 32) -> dict:
    """Accuracy on known facts and hallucination rate on unknown entities (held-out question phrasings)."""
    rng = random.Random(seed)
    pairs = world.qa_pairs("heldout")
    known = [p for p in pairs if p["answerable"]]
    unknown = [p for p in pairs if not p["answerable"]]
    known, unknown = rng.sample(known, min(n, len(known))), rng.sample(unknown, min(n, len(unknown)))
    replies = _ask(model, tokenizer, [p["question"] for p in known + unknown], max_new_tokens, None, False)
    correct = accuracy([world.answer_matches(p["fact_id"], r) for p, r in zip(known, replies[: len(known)])])
    hallucinated = accuracy([not world.is_abstention(r) for r in replies[len(known):]])
    return {"known_accuracy": correct["accuracy"], "unknown_hallucination_rate": hallucinated["accuracy"],
            "known_n": correct["n"], "unknown_n": hallucinated["n"],
            "known_ci95": [correct["ci95_low"], correct["ci95_high"]],
            "unknown_hallucination_ci95": [hallucinated["ci95_low"], hallucinated["ci95_high"]]}


def score_math_problems(model, tokenizer, world, n: int = 100, difficulties=(2, 3, 4), tools: bool = False,
                        seed: int = 0, max_new_tokens: int = 160, min_digits: int = 0, system: str | None = None) -> dict:
    """Final-answer accuracy on test-split problems (``min_digits=3``: only problems with 3+-digit numbers)."""
    import re

    problems = []
    for level in difficulties:
        problems += world.math_problems(n, difficulty=level, seed=seed, split="test")
    if min_digits:
        problems = [p for p in problems if re.search(rf"\d{{{min_digits},}}", p["question"])]
    problems = random.Random(seed).sample(problems, min(n, len(problems)))
    replies = _ask(model, tokenizer, [p["question"] for p in problems], max_new_tokens, system, tools)
    graded = accuracy([score_math(p["answer"], r) for p, r in zip(problems, replies)])
    return {"math_accuracy": graded["accuracy"], "math_n": graded["n"],
            "math_ci95": [graded["ci95_low"], graded["ci95_high"]], "tools": tools}
