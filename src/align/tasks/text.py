"""Text tasks of a base model: bits per byte on the documents pretraining held out, and regurgitation (verbatim
continuation of training documents against held-out ones, and of the crawl's famous passages by how many training
documents quote them)."""

from __future__ import annotations

import logging

from align.eval.probes import bits_per_byte, verbatim_continuation
from align.tasks.base import EvalContext, task
from align.world.quotes import exposure_buckets, read_quotes

logger = logging.getLogger(__name__)


@task("bpb", rows=[("heldout", "bits per byte, held-out text", "{:.3f}")])
def bpb_task(ctx: EvalContext) -> dict:
    documents = ctx.heldout_documents()
    return {"heldout": bits_per_byte(ctx.model, ctx.tokenizer, documents), "documents": len(documents)}


@task("regurgitation", rows=[
    ("seen", "verbatim continuation, training docs"),
    ("unseen", "verbatim continuation, held-out docs"),
    ("quoted_once", "  a passage quoted in 1 training doc"),
    ("quoted_few", "  a passage quoted in 2-7 training docs"),
    ("quoted_many", "  a passage quoted in 8+ training docs"),
])
def regurgitation_task(ctx: EvalContext) -> dict:
    """Verbatim continuation of training documents (seen every epoch) vs held-out ones (never seen), and of the
    crawl's famous passages by how many training documents quote them (once, 2-7, 8+)."""
    training = ctx.training_documents(None)
    out = {"seen": verbatim_continuation(ctx.model, ctx.tokenizer, training[: ctx.n]),
           "unseen": verbatim_continuation(ctx.model, ctx.tokenizer, ctx.heldout_documents(ctx.n))}
    quotes = read_quotes(ctx.crawl) if ctx.crawl else []
    if not quotes:
        logger.info("regurgitation: no quotes.json in the crawl dir (--world), passages by exposure skipped")
        return out
    for bucket, members in exposure_buckets(quotes, training).items():
        if members:  # a passage is ~55 tokens: its intro and first words, then 32 tokens to recite
            out[f"quoted_{bucket}"] = verbatim_continuation(ctx.model, ctx.tokenizer, [q.paragraph for q in members],
                                                            prefix_tokens=16)
    return out
