"""`copying`: in-context copying of random token sequences — the skill every "use the numbers in the question" task
needs (a chain of thought carries the question's numbers, a calculator call its operands, an answer the tool's
result)."""

from __future__ import annotations

import random

import torch

from align.tasks.base import EvalContext, task


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


@task("copying", rows=[("first", "random tokens, first showing (next-token accuracy)"),
                       ("repeat", "  the same tokens repeated: copied from context")])
def copying_task(ctx: EvalContext) -> dict:
    return copying_accuracy(ctx.model, ctx.tokenizer, n=min(ctx.n, 64), seed=ctx.seed)
