"""An SFT model's behaviours scored against the world's ground truth (held-out phrasings throughout).

    python bench/assistant_behaviours.py --model runs/tiny-world/sft --world runs/tiny-world/crawl

Prints identity accuracy (with and without the identity system prompt), accuracy on known facts, the
hallucination rate on unknown entities, math accuracy on multi-step problems, and math accuracy with and
without the calculator (3+-digit numbers).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from align.errors import exit_on_user_error  # noqa: E402


@exit_on_user_error
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--world", default="0", help="crawl dir, world.json or seed")
    parser.add_argument("--n", type=int, default=100, help="questions per measure")
    args = parser.parse_args(argv)

    from align.engine import load_model
    from align.logging_utils import setup_logging
    from align.tasks.identity import identity_system_prompt, score_identity_questions
    from align.tasks.idk import score_facts
    from align.tasks.math import score_math_problems
    from align.world import load_world

    setup_logging("WARNING")
    world = load_world(int(args.world) if args.world.isdigit() else args.world)
    model, tokenizer = load_model(args.model)
    start = time.perf_counter()
    rows = {
        "identity (no system prompt)": score_identity_questions(model, tokenizer)["identity_accuracy"],
        "identity (system prompt)": score_identity_questions(model, tokenizer, system=identity_system_prompt())[
            "identity_accuracy"],
    }
    facts = score_facts(model, tokenizer, world, n=args.n)
    rows["known-fact accuracy"] = facts["known_accuracy"]
    rows["hallucination rate (unknown entities)"] = facts["unknown_hallucination_rate"]
    # multi-step problems (difficulty 2-4), no tools: compare a math_cot model with a math_answer_first one
    rows["math, multi-step, no tools"] = score_math_problems(model, tokenizer, world, n=args.n)["math_accuracy"]
    for tools in (False, True):
        result = score_math_problems(model, tokenizer, world, n=args.n, tools=tools, min_digits=3)
        rows[f"math, 3+-digit numbers, {'calculator' if tools else 'mental'}"] = result["math_accuracy"]
    for name, value in rows.items():
        print(f"{name:<42}{value:>8.1%}")
    print(f"({time.perf_counter() - start:.0f}s)")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
