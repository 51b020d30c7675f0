"""Knowledge in the parameters of a base model: cloze recall of world facts, bucketed by corpus exposure.

A base model is a document simulator, so it is probed the way documents state facts: "Vel Ostra was born
and raised in" → greedy continuation → graded against the world's ground truth.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from align.engine import encode_document_prompt, generate_batch
from align.world import templates

logger = logging.getLogger(__name__)

# Exposure buckets (documents mentioning the fact), as (label, low, high) inclusive.
BUCKETS = [("0", 0, 0), ("1-4", 1, 4), ("5-19", 5, 19), ("20+", 20, 10**9)]


@dataclass
class ClozeItem:
    fact_id: str
    prompt: str
    exposure: int


def cloze_items(world, exposure: dict[str, int]) -> list[ClozeItem]:
    """One prompt per (known fact, unambiguous template)."""
    items = []
    for fact in world.known_facts():
        subject = world.entities[fact.subject]
        slots = templates.slots(fact, world.entities)
        for template in templates.cloze_templates(fact.relation, subject.kind):
            prefix = template[: template.index("{o}")].rstrip()
            items.append(ClozeItem(fact.id, templates.cap(prefix.format(**slots)), exposure.get(fact.id, 0)))
    return items


def greedy_continuations(model, tokenizer, prompts: list[str], max_new_tokens: int = 8, batch_size: int = 64):
    """Greedy continuations of document prompts (BOS + text)."""
    encoded = [encode_document_prompt(tokenizer, p) for p in prompts]
    completions = generate_batch(model, tokenizer, encoded, max_new_tokens=max_new_tokens, batch_size=batch_size,
                                 do_sample=False)
    return tokenizer.batch_decode(completions, skip_special_tokens=True)


def bucket_of(exposure: int) -> str:
    return next(label for label, low, high in BUCKETS if low <= exposure <= high)


def cloze_recall(model, tokenizer, world, exposure: dict[str, int], max_new_tokens: int = 8) -> dict:
    """Fraction of cloze prompts whose greedy continuation states the right answer, per exposure bucket.

    Returns ``{"buckets": {label: {"recall", "prompts", "facts"}}, "overall": recall, "examples": [...]}``.
    """
    items = cloze_items(world, exposure)
    texts = greedy_continuations(model, tokenizer, [i.prompt for i in items], max_new_tokens)
    hits: dict[str, list[bool]] = defaultdict(list)
    facts: dict[str, set[str]] = defaultdict(set)
    examples = []
    for item, text in zip(items, texts):
        # Only the first clause counts: the answer must come right after the prompt.
        head = text.split(".")[0]
        ok = world.answer_matches(item.fact_id, head)
        label = bucket_of(item.exposure)
        hits[label].append(ok)
        facts[label].add(item.fact_id)
        if len(examples) < 10 and item.exposure >= 20:
            examples.append({"prompt": item.prompt, "continuation": text, "correct": ok})
    buckets = {
        label: {"recall": sum(hits[label]) / len(hits[label]), "prompts": len(hits[label]),
                "facts": len(facts[label])}
        for label, _, _ in BUCKETS if hits[label]
    }
    overall = sum(sum(h) for h in hits.values()) / max(1, sum(len(h) for h in hits.values()))
    return {"buckets": buckets, "overall": overall, "examples": examples}
