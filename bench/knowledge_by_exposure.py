"""Which world facts a base model has memorised, by how many crawl documents stated them.

    python bench/knowledge_by_exposure.py --model runs/tiny-world/base --crawl runs/tiny-world/crawl

Prints cloze recall per exposure bucket (0, 1-4, 5-19, 20+ documents) and a few examples.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")


from align.errors import exit_on_user_error  # noqa: E402


@exit_on_user_error
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--crawl", required=True, help="crawl dir (world.json, exposure.json)")
    parser.add_argument("--exposure", default="clean_en", choices=["clean_en", "all"])
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    from align.engine import load_model
    from align.logging_utils import setup_logging
    from align.tasks.facts import cloze_recall
    from align.world import load_world
    from align.world.crawl import read_exposure

    setup_logging("WARNING")
    world = load_world(args.crawl)
    exposure = {fid: counts[args.exposure] for fid, counts in read_exposure(args.crawl).items()}
    model, tokenizer = load_model(args.model)
    result = cloze_recall(model, tokenizer, world, exposure)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{'exposure':<10}{'facts':>7}{'prompts':>9}{'recall':>9}")
    for label, row in result["buckets"].items():
        print(f"{label:<10}{row['facts']:>7}{row['prompts']:>9}{row['recall']:>9.1%}")
    print(f"{'overall':<10}{'':>16}{result['overall']:>9.1%}")
    for ex in result["examples"][:5]:
        print(f"  {'✓' if ex['correct'] else '✗'} {ex['prompt']} →{ex['continuation']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
