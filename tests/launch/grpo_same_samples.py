"""``recipes/grpo.py`` with sampling made independent of how the batch is split across processes, so a 1-process
and a 2-process run at equal global batch draw the same completions and their losses can be compared.

Sampling normally draws from one random stream per process, so the same global batch samples different tokens
when split over two processes. Here row ``r`` of a ``generate`` call at decoding step ``t`` takes its uniform
from a table seeded by ``t`` and indexed by ``r mod num_generations``: its position in its prompt's group, the
same wherever the group lands (each process gets whole groups). The draw is still from the model's
distribution (inverse CDF), so GRPO sees real, varied samples."""

import os
import sys
from pathlib import Path

import torch
from transformers.generation.utils import GenerationMixin

from align.rewards import register

GROUP = int(os.environ["ALIGN_TEST_NUM_GENERATIONS"])
_step = {"t": 0}
_generate = GenerationMixin.generate


def generate(self, *args, **kwargs):
    _step["t"] = 0
    return _generate(self, *args, **kwargs)


def multinomial(probs, num_samples, replacement=False, *, generator=None, out=None):
    assert num_samples == 1 and probs.dim() == 2
    table = torch.rand(GROUP, generator=torch.Generator().manual_seed(1000 + _step["t"]))
    _step["t"] += 1
    u = table[torch.arange(probs.shape[0]) % GROUP].to(probs.device, torch.float64)
    cdf = probs.double().cumsum(-1)
    picks = torch.searchsorted(cdf, (u * cdf[:, -1]).unsqueeze(-1))
    return picks.clamp(max=probs.shape[-1] - 1)


def even_token_ids(prompts, completions, completion_ids=None, **kwargs):
    """A reward that varies between the samples of a random model: the fraction of even token ids."""
    return [sum(1 for t in ids if t % 2 == 0) / max(len(ids), 1) for ids in completion_ids]


GenerationMixin.generate = generate
torch.multinomial = multinomial
register("even_token_ids")(even_token_ids)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "recipes"))
from grpo import main  # noqa: E402

if __name__ == "__main__":
    main()
