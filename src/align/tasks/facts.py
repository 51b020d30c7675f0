"""Facts about the world: what the model knows and how it answers about it.

- `world_chat` (builder): questions about the world's known entities, answered from their facts; single- and
  multi-turn;
- grader: ``World.answer_matches`` (the world's ground truth);
- `knowledge` (eval): a base model is a document simulator, so it is probed the way documents state facts
  ("Vel Ostra was born and raised in" → greedy continuation, cloze recall); a chat model answers held-out question
  phrasings; both bucketed by how many crawl documents stated the fact;
- `knowledge_in_context` (eval): the same questions with a source text about the entity in the prompt.
"""

from __future__ import annotations

import json
import logging
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from align.data.conversations.messages import assistant, take, to_dataset, user
from align.data.conversations.registry import register
from align.engine import encode_document_prompt, generate_batch
from align.errors import UserError
from align.eval.batch_chat import ask_batch
from align.tasks.base import EvalContext, mean, task
from align.world import templates
from align.world.crawl import read_exposure

logger = logging.getLogger(__name__)


def answer_sentence(world, fact, rng: random.Random | None = None) -> str:
    """The fact as one sentence stating the answer (a template that starts with the subject)."""
    slots = templates.slots(fact, world.entities)
    options = [t for t in templates.SENTENCES[fact.relation] if t.startswith("{s}")] or templates.SENTENCES[
        fact.relation]
    template = options[0] if rng is None else rng.choice(options)
    return templates.cap(template.format(**slots))


@register("world_chat")
def world_chat(world, *, n: int | None = None, seed: int = 0, split: str = "train", multi_turn: float = 0.3,
               max_turns: int = 3, probe_results: str | None = None):
    """``n`` conversations (default: one per question); a ``multi_turn`` fraction asks 2..``max_turns`` questions
    about the same entity in one conversation.

    ``probe_results`` (the ``idk`` builder's ``probe_out`` file) leaves out the facts the probed model got wrong:
    the Llama 3 recipe answers only what the model knows, and the ``idk`` data refuses the rest — answering them
    here too would teach both an answer and a refusal for the same fact.
    """
    rng = random.Random(f"world_chat-{seed}")
    pairs = world.qa_pairs(split, include_unknown=False)
    if probe_results is not None:
        pairs = _known_only(pairs, probe_results)
    by_entity: dict[str, list[dict]] = {}
    for pair in pairs:
        by_entity.setdefault(pair["entity_id"], []).append(pair)
    rows = []
    for first in take(pairs, n, rng):
        turns = [first]
        if rng.random() < multi_turn:
            others = [p for p in by_entity[first["entity_id"]] if p["fact_id"] != first["fact_id"]]
            rng.shuffle(others)
            seen = {first["fact_id"]}
            for pair in others:
                if len(turns) >= rng.randint(2, max_turns) or pair["fact_id"] in seen:
                    continue
                turns.append(pair)
                seen.add(pair["fact_id"])
        messages = []
        for pair in turns:
            messages += [user(pair["question"]), assistant(answer_sentence(world, world.facts[pair["fact_id"]], rng))]
        rows.append({"messages": messages, "fact_ids": [p["fact_id"] for p in turns],
                     "entity_id": first["entity_id"]})
    return to_dataset(rows, "world_chat")


def _known_only(pairs: list[dict], probe_results: str) -> list[dict]:
    path = Path(probe_results)
    if not path.is_file():
        raise UserError(f"world_chat: probe_results {path}: no such file (list the idk entry that writes it first)")
    results = json.loads(path.read_text())
    kept = [p for p in pairs if results.get(p["fact_id"], {}).get("known")]
    if not kept:
        raise UserError(f"world_chat: {path}: the probed model knows none of the facts; nothing to answer")
    logger.info("world_chat: %d of %d questions are about facts the probed model knows", len(kept), len(pairs))
    return kept


# cloze recall of a base model ----------------------------------------------------------------------------------

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


# eval ---------------------------------------------------------------------------------------------------------

def exposure_of(ctx: EvalContext) -> dict[str, int]:
    """fact id -> clean English crawl documents that state it."""
    return {fid: counts["clean_en"] for fid, counts in read_exposure(ctx.need("crawl")).items()}


def known_pairs(ctx: EvalContext) -> list[dict]:
    pairs = [p for p in ctx.world.qa_pairs("heldout") if p["answerable"]]
    return random.Random(ctx.seed).sample(pairs, min(ctx.n * 2, len(pairs)))


@task("knowledge", rows=[
    ("overall", "closed-book facts, all"),
    ("exposure_0", "  facts seen in 0 documents"),
    ("exposure_1-4", "  facts seen in 1-4 documents"),
    ("exposure_5-19", "  facts seen in 5-19 documents"),
    ("exposure_20+", "  facts seen in 20+ documents"),
])
def knowledge_task(ctx: EvalContext) -> dict:
    """Base model: cloze recall; chat model: held-out questions; both bucketed by corpus exposure."""
    exposure = exposure_of(ctx)
    if ctx.options.get("kind") == "base":
        result = cloze_recall(ctx.model, ctx.tokenizer, ctx.world, exposure)
        return {"overall": result["overall"], **{f"exposure_{k}": v["recall"] for k, v in result["buckets"].items()}}

    pairs = known_pairs(ctx)
    replies = ask_batch(ctx.model, ctx.tokenizer, [p["question"] for p in pairs], max_new_tokens=32)
    hits: dict[str, list[bool]] = {label: [] for label, _, _ in BUCKETS}
    for pair, reply in zip(pairs, replies):
        hits[bucket_of(exposure.get(pair["fact_id"], 0))].append(ctx.world.answer_matches(pair["fact_id"], reply))
    all_hits = [h for v in hits.values() for h in v]
    return {"overall": sum(all_hits) / max(len(all_hits), 1),
            **{f"exposure_{k}": sum(v) / len(v) for k, v in hits.items() if v}}


def in_context_question(world, pair: dict, rng: random.Random) -> str:
    """The question with a short source document about its entity in the prompt (the fact among others)."""
    facts = world.facts_about(pair["entity_id"])
    sentences = [answer_sentence(world, f, rng) for f in facts]
    rng.shuffle(sentences)
    return "Read this text:\n" + " ".join(sentences) + f"\n\nAnswer from the text: {pair['question']}"


@task("knowledge_in_context", rows=[("accuracy", "facts with the source in context")])
def knowledge_in_context_task(ctx: EvalContext) -> dict:
    """The same held-out questions with a source document about the entity in the prompt."""
    rng = random.Random(ctx.seed)
    pairs = known_pairs(ctx)[: ctx.n]
    replies = ask_batch(ctx.model, ctx.tokenizer, [in_context_question(ctx.world, p, rng) for p in pairs],
                        max_new_tokens=32)
    closed = ask_batch(ctx.model, ctx.tokenizer, [p["question"] for p in pairs], max_new_tokens=32)
    return {"accuracy": mean(ctx.world.answer_matches(p["fact_id"], r) for p, r in zip(pairs, replies)),
            "closed_book_same_questions": mean(ctx.world.answer_matches(p["fact_id"], r)
                                               for p, r in zip(pairs, closed))}
