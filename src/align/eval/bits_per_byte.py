"""Bits per byte: next-token loss normalised by the bytes of text predicted, so tokenizers compare.

Plugs into ``transformers.Trainer`` as ``preprocess_logits_for_metrics`` + ``compute_metrics``: the first
reduces each eval batch's logits to (nats, bytes) per sequence, the second sums them over the eval set.
"""

from __future__ import annotations

import math

from align.data.packing import IGNORE_INDEX


class BitsPerByte:
    """Holds the per-token byte lengths of one tokenizer (special tokens count 0 bytes and are skipped)."""

    def __init__(self, token_byte_lengths: list[int]):
        import torch

        self.token_bytes = torch.tensor(token_byte_lengths, dtype=torch.float32)

    def preprocess_logits(self, logits, labels):
        import torch
        import torch.nn.functional as F

        if isinstance(logits, tuple):
            logits = logits[0]
        targets = labels[:, 1:]
        logits = logits[:, :-1].float()
        nats = F.cross_entropy(
            logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=IGNORE_INDEX, reduction="none"
        ).view_as(targets)
        valid = targets != IGNORE_INDEX
        token_bytes = self.token_bytes.to(targets.device)[targets.clamp(min=0)] * valid
        nats = nats * (token_bytes > 0)
        return torch.stack([nats.sum(dim=1), token_bytes.sum(dim=1)], dim=1)

    @staticmethod
    def compute(eval_prediction) -> dict[str, float]:
        sums = eval_prediction.predictions
        nats, n_bytes = float(sums[:, 0].sum()), float(sums[:, 1].sum())
        return {"bpb": nats / (math.log(2) * n_bytes) if n_bytes else float("nan")}
