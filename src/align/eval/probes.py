"""Probes whose ground truth is computed, not stored: jagged intelligence, knowledge in the context window,
in-context copying, regurgitation of training documents, and bits per byte of held-out text."""

from __future__ import annotations

import math
import random
import re

import torch

from align.data.conversations.world_chat import answer_sentence
from align.engine import generate_batch
from align.eval.bits_per_byte import BitsPerByte
from align.modeling import stop_token_ids
from align.tokenizer import token_byte_lengths

# jagged intelligence ----------------------------------------------------------------------------------------

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


# knowledge in the context window ----------------------------------------------------------------------------

def in_context_question(world, pair: dict, rng: random.Random) -> str:
    """The question with a short source document about its entity in the prompt (the fact among others)."""
    facts = world.facts_about(pair["entity_id"])
    sentences = [answer_sentence(world, f, rng) for f in facts]
    rng.shuffle(sentences)
    return "Read this text:\n" + " ".join(sentences) + f"\n\nAnswer from the text: {pair['question']}"


# in-context copying ------------------------------------------------------------------------------------------

def copying_rows(vocab: list[int], n: int, seed: int = 0, total: int = 128, segment: tuple[int, int] = (8, 32),
                 gap: tuple[int, int] = (0, 48)) -> list[tuple[list[int], int, int]]:
    """``n`` rows of ``total`` random tokens: filler, a segment, more filler, the segment again. Segment length and
    gap vary per row, so the repeat is 8 to 80 tokens after the original: a head that attends a fixed distance
    back (what fixed-offset copy data teaches) cannot pass; only one that finds the earlier occurrence of the current
    token and copies its successor (an induction head) can. All tokens of a row are distinct, drawn from the whole
    vocabulary: each segment token has one successor to copy. Returns (tokens, segment start, segment length)."""
    rng = random.Random(f"copying-{seed}")
    rows = []
    for _ in range(n):
        length, between = rng.randint(*segment), rng.randint(*gap)
        lead = total - 2 * length - between  # filler first, so every row has the same length: no padding
        tokens = rng.sample(vocab, total - length)
        seg, filler = tokens[:length], tokens[length:]
        rows.append((filler[:lead] + seg + filler[lead:] + seg, lead, length))
    return rows


def copying_accuracy(model, tokenizer, n: int = 32, seed: int = 0, vocab: list[int] | None = None,
                     **row_shape) -> dict[str, float]:
    """Induction test (Olsson et al., 2022) with variable offsets (``copying_rows``). ``first``: greedy next-token
    accuracy on the segment's first showing (near 0: the tokens are random); ``repeat``: on its second, where every
    token can be copied from the context. A model with induction heads scores ``repeat`` near 1; without them it
    cannot carry a number or name from the prompt into its answer. ``vocab`` (default: every non-special id) and
    ``row_shape`` (``copying_rows``' total/segment/gap) narrow the test, e.g. to a training curriculum's alphabet."""
    special = set(tokenizer.all_special_ids)
    if vocab is None:
        vocab = [i for i in range(len(tokenizer)) if i not in special]
    rows = copying_rows(vocab, n, seed, **row_shape)
    bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else vocab[0]
    ids = torch.tensor([[bos] + row for row, _, _ in rows], device=model.device)
    model.eval()
    with torch.no_grad():
        predicted = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[:, :-1].argmax(-1).tolist()
    first, repeat = [], []
    for (row, lead, length), tokens, guess in zip(rows, ids.tolist(), predicted):
        # tokens = [bos] + row: position p predicts tokens[p + 1]. Score a segment's tokens 2..length, each predicted
        # from the segment token before it (its token 1 follows filler: nothing to copy).
        for start, scores in ((1 + lead, first), (1 + len(row) - length, repeat)):
            scores.extend(guess[p] == tokens[p + 1] for p in range(start, start + length - 1))
    return {"first": sum(first) / len(first), "repeat": sum(repeat) / len(repeat)}


# regurgitation ----------------------------------------------------------------------------------------------

def verbatim_continuation(model, tokenizer, documents: list[str], prefix_tokens: int = 32, check_tokens: int = 32,
                          batch_size: int = 32) -> float:
    """Fraction of the next ``check_tokens`` tokens reproduced exactly (greedy) after a ``prefix_tokens`` prefix,
    averaged over documents long enough to test."""
    rows = []
    for doc in documents:
        ids = tokenizer(doc, add_special_tokens=False)["input_ids"]
        if len(ids) >= prefix_tokens + check_tokens:
            rows.append(([tokenizer.bos_token_id] + ids[:prefix_tokens], ids[prefix_tokens:prefix_tokens + check_tokens]))
    if not rows:
        return float("nan")
    completions = generate_batch(model, tokenizer, [p for p, _ in rows], max_new_tokens=check_tokens,
                                 min_new_tokens=check_tokens, stop_ids=stop_token_ids(tokenizer),
                                 batch_size=batch_size, do_sample=False)
    scores = [sum(a == b for a, b in zip(row, truth)) / len(truth) for (_, truth), row in zip(rows, completions)]
    return sum(scores) / len(scores)


# bits per byte ----------------------------------------------------------------------------------------------

def bits_per_byte(model, tokenizer, documents: list[str], block_size: int = 256, batch_size: int = 16) -> float:
    """Bits per byte of ``documents`` under ``model`` (each document scored on its own, in blocks)."""
    metric = BitsPerByte(token_byte_lengths(tokenizer))
    blocks = []
    for doc in documents:
        ids = [tokenizer.bos_token_id] + tokenizer(doc, add_special_tokens=False)["input_ids"]
        for start in range(0, len(ids) - 1, block_size):
            block = ids[start : start + block_size + 1]
            if len(block) > 1:
                blocks.append(block)
    nats = n_bytes = 0.0
    model.eval()
    for start in range(0, len(blocks), batch_size):
        chunk = blocks[start : start + batch_size]
        width = max(map(len, chunk))
        pad = tokenizer.pad_token_id
        input_ids = torch.tensor([b + [pad] * (width - len(b)) for b in chunk], device=model.device)
        labels = torch.tensor([b + [-100] * (width - len(b)) for b in chunk], device=model.device)
        attention = (labels != -100).long()
        with torch.no_grad():
            logits = model(input_ids=input_ids, attention_mask=attention).logits
        sums = metric.preprocess_logits(logits, labels)
        nats += float(sums[:, 0].sum())
        n_bytes += float(sums[:, 1].sum())
    return nats / (math.log(2) * n_bytes) if n_bytes else float("nan")
