"""Knowledge in the parameters of a base model: cloze recall of world facts, bucketed by corpus exposure.

A base model is a document simulator, so it is probed the way documents state facts: "Vel Ostra was born
and raised in" → greedy continuation → graded against the world's ground truth.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# Exposure buckets (documents mentioning the fact), as (label, low, high) inclusive.
BUCKETS = [("0", 0, 0), ("1-4", 1, 4), ("5-19", 5, 19), ("20+", 20, 10**9)]


@dataclass
class ClozeItem:
    fact_id: str
    prompt: str
    exposure: int


def cloze_templates(relation: str, subject_kind: str) -> list[str]:
    """Templates of ``relation`` that end in the object and whose prefix no other relation of the same
    subject kind shares (so "X was born in" — a town or a year? — is left out)."""
    from align.world import templates
    from align.world.schema import KIND_RELATIONS

    def prefixes(rel):
        return {t[: t.index("{o}")].strip() for t in templates.SENTENCES[rel] if t.endswith("{o}.")}

    others = set()
    for rel in KIND_RELATIONS.get(subject_kind, ()):
        if rel != relation:
            others |= prefixes(rel)
    return [
        t for t in templates.SENTENCES[relation]
        if t.startswith("{s}") and t.endswith("{o}.") and t[: t.index("{o}")].strip() not in others
    ]


def cloze_items(world, exposure: dict[str, int]) -> list[ClozeItem]:
    """One prompt per (known fact, unambiguous template)."""
    from align.world import templates

    items = []
    for fact in world.known_facts():
        subject = world.entities[fact.subject]
        slots = templates.slots(fact, world.entities)
        for template in cloze_templates(fact.relation, subject.kind):
            prefix = template[: template.index("{o}")].rstrip()
            items.append(ClozeItem(fact.id, templates.cap(prefix.format(**slots)), exposure.get(fact.id, 0)))
    return items


def greedy_continuations(model, tokenizer, prompts: list[str], max_new_tokens: int = 8, batch_size: int = 64):
    """Greedy continuations of document prompts (BOS + text), batched with left padding."""
    import torch

    from align.engine import encode_document_prompt

    outputs = []
    pad = tokenizer.pad_token_id
    for start in range(0, len(prompts), batch_size):
        encoded = [encode_document_prompt(tokenizer, p) for p in prompts[start : start + batch_size]]
        width = max(map(len, encoded))
        ids = torch.tensor([[pad] * (width - len(e)) + e for e in encoded], device=model.device)
        mask = torch.tensor([[0] * (width - len(e)) + [1] * len(e) for e in encoded], device=model.device)
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens,
                                 do_sample=False, pad_token_id=pad)
        outputs += tokenizer.batch_decode(out[:, width:], skip_special_tokens=True)
    return outputs


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
