"""Probe what a model knows about the world's facts (step one of the Llama 3 factuality recipe).

Each known fact is asked ``samples`` times with sampling; the sampled answers are graded against the world's
ground truth (``World.answer_matches``). Works with any causal-LM dir: a base model is probed with a cloze
prompt ("X was born in"), a chat model with the question in its chat template.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

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
    from align.engine import encode_document_prompt
    from align.errors import UserError
    from align.eval.knowledge import cloze_templates
    from align.world import templates

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
            cloze = cloze_templates(fact.relation, subject.kind)
            if cloze:
                text = templates.cap(cloze[0][: cloze[0].index("{o}")].rstrip().format(**slots))
            else:  # no unambiguous cloze sentence for this relation: a Q/A document
                text = f"Question: {question}\nAnswer:"
            ids = encode_document_prompt(tokenizer, text)
        prompts.append((fact.id, list(ids)))
    return prompts


def probe_model(model, tokenizer, world, config: ProbeConfig | None = None) -> dict[str, dict]:
    """``{fact_id: {"correct": k, "samples": K, "known": bool, "answers": [...]}}`` for the world's known facts."""
    import torch

    from align.logging_utils import progress

    config = config or ProbeConfig()
    facts = world.known_facts()[: config.max_facts]
    prompts = probe_prompts(world, tokenizer, config.prompt_format, facts)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    torch.manual_seed(config.seed)
    results: dict[str, dict] = {}
    model.eval()
    bar = progress(len(prompts), "probing facts", unit="fact")
    for start in range(0, len(prompts), config.batch_size):
        batch = prompts[start : start + config.batch_size]
        width = max(len(ids) for _, ids in batch)
        # Left padding so every prompt ends where generation starts.
        input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for _, ids in batch], device=model.device)
        mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for _, ids in batch], device=model.device)
        with torch.no_grad():
            out = model.generate(input_ids=input_ids, attention_mask=mask, do_sample=True,
                                 temperature=config.temperature, top_k=None, top_p=1.0,
                                 max_new_tokens=config.max_new_tokens, num_return_sequences=config.samples,
                                 pad_token_id=pad)
        texts = tokenizer.batch_decode(out[:, width:], skip_special_tokens=True)
        for i, (fact_id, _) in enumerate(batch):
            answers = [_first_clause(t) for t in texts[i * config.samples : (i + 1) * config.samples]]
            correct = sum(world.answer_matches(fact_id, a) for a in answers)
            results[fact_id] = {"correct": correct, "samples": config.samples, "answers": answers,
                                "known": correct / config.samples >= config.known_threshold}
        bar.update(len(batch))
    bar.close()
    n_known = sum(r["known"] for r in results.values())
    logger.info("probe: the model knows %d of %d facts", n_known, len(results))
    return results


def _first_clause(text: str) -> str:
    # A base model runs on into the next sentence, which may name other entities: grade the first one only.
    for stop in ("\n", ". "):
        text = text.split(stop, 1)[0]
    return text.strip()
