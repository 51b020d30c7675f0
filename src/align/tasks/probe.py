"""Probe what a model knows about the world's facts (step one of the Llama 3 factuality recipe).

Each known fact is asked ``samples`` times with sampling; the sampled answers are graded against the world's
ground truth (``World.answer_matches``). Works with any causal-LM dir: a base model is probed with a cloze
prompt ("X was born in"), a chat model with the question in its chat template.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

from align.engine import encode_document_prompt, generate_batch
from align.errors import UserError
from align.world import templates

logger = logging.getLogger(__name__)


@dataclass
class ProbeConfig:
    """How to probe a model's knowledge."""

    samples: int = 4
    """Sampled answers per fact (K)."""
    temperature: float = 0.7
    """Sampling temperature of the probe."""
    max_new_tokens: int = 12
    """Tokens sampled per answer."""
    prompt_format: str = "cloze"
    """``cloze`` (a document prefix; for base models) or ``chat`` (the question in the chat template)."""
    known_threshold: float = 0.5
    """A fact counts as known when at least this fraction of the samples is right."""
    batch_size: int = 32
    """Prompts per generate call."""
    max_facts: int | None = None
    """Probe only the first N known facts (quick runs)."""
    seed: int = 0


def probe_prompts(world, tokenizer, prompt_format: str, facts) -> list[tuple[str, list[int]]]:
    """(fact_id, token ids) per fact."""
    if prompt_format not in ("cloze", "chat"):
        raise UserError(f"probe prompt_format must be 'cloze' or 'chat', got {prompt_format!r}")
    if prompt_format == "chat" and not tokenizer.chat_template:
        raise UserError("probe prompt_format 'chat' needs a tokenizer with a chat template")
    prompts = []
    for fact in facts:
        subject = world.entities[fact.subject]
        slots = templates.slots(fact, world.entities)
        question = templates.cap(templates.questions(fact.relation, "train")[0].format(**slots))
        if prompt_format == "chat":
            ids = tokenizer.apply_chat_template([{"role": "user", "content": question}], add_generation_prompt=True,
                                                tokenize=True, return_dict=False)
        else:
            cloze = templates.cloze_templates(fact.relation, subject.kind)
            if cloze:
                text = templates.cap(cloze[0][: cloze[0].index("{o}")].rstrip().format(**slots))
            else:  # no unambiguous cloze sentence for this relation: a Q/A document
                text = f"Question: {question}\nAnswer:"
            ids = encode_document_prompt(tokenizer, text)
        prompts.append((fact.id, list(ids)))
    return prompts


def probe_model(model, tokenizer, world, config: ProbeConfig | None = None) -> dict[str, dict]:
    """``{fact_id: {"correct": k, "samples": K, "known": bool, "answers": [...]}}`` for the world's known facts."""
    config = config or ProbeConfig()
    facts = world.known_facts()[: config.max_facts]
    prompts = probe_prompts(world, tokenizer, config.prompt_format, facts)
    torch.manual_seed(config.seed)
    completions = generate_batch(model, tokenizer, [ids for _, ids in prompts], max_new_tokens=config.max_new_tokens,
                                 batch_size=config.batch_size, num_return_sequences=config.samples,
                                 desc="probing facts", do_sample=True, temperature=config.temperature, top_k=None,
                                 top_p=1.0)
    texts = tokenizer.batch_decode(completions, skip_special_tokens=True)
    results: dict[str, dict] = {}
    for i, (fact_id, _) in enumerate(prompts):
        answers = [_first_clause(t) for t in texts[i * config.samples : (i + 1) * config.samples]]
        correct = sum(world.answer_matches(fact_id, a) for a in answers)
        results[fact_id] = {"correct": correct, "samples": config.samples, "answers": answers}
        results[fact_id]["known"] = is_known(results[fact_id], config.known_threshold)
    n_known = sum(r["known"] for r in results.values())
    logger.info("probe: the model knows %d of %d facts", n_known, len(results))
    return results


def is_known(result: dict, known_threshold: float) -> bool:
    """Whether one fact's probe result (``correct`` of ``samples`` answers right) counts as known."""
    return result["correct"] / result["samples"] >= known_threshold


def _first_clause(text: str) -> str:
    # A base model runs on into the next sentence, which may name other entities: grade the first one only.
    for stop in ("\n", ". "):
        text = text.split(stop, 1)[0]
    return text.strip()
