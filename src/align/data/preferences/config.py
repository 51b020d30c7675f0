"""How ``align preferences`` builds pairs: its options (the verb's command line), importable without torch."""

from __future__ import annotations

from dataclasses import dataclass

from align.cli_options import option
from align.errors import UserError

PAIRINGS = ("best_worst", "all")


@dataclass
class PreferenceBuildConfig:
    """How to build the pairs."""

    model: str = option(help="the policy to sample from (an SFT model dir or Hub id)")
    out: str = option(help="output directory")
    world: str = option("0", "tiny world: a seed, world.json or crawl dir")
    prompts: int = option(200, "train prompts (train entities, train phrasings)")
    heldout_prompts: int = option(50, "held-out prompts (held-out entities and phrasings) for test.jsonl; 0: none")
    samples: int = option(4, "completions per prompt (K)")
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 96
    batch_size: int = option(128, "sequences per generate call")
    pairs: str = option("all", "all: every pair of a prompt's answers (InstructGPT's K-choose-2); best_worst: one "
                               "pair per prompt", choices=list(PAIRINGS))
    min_margin: float = option(0.5, "keep a pair only when the chosen answer's gold score beats the rejected one's "
                                    "by at least this much")
    seed: int = 0
    overwrite: bool = option(False, "rebuild an OUT that already holds pairs")

    def __post_init__(self):
        if self.pairs not in PAIRINGS:
            raise UserError(f"pairs must be one of {', '.join(PAIRINGS)}, got {self.pairs!r}")
        if self.samples < 2:
            raise UserError(f"samples must be at least 2 to rank answers, got {self.samples}")
        if self.prompts < 1 or self.heldout_prompts < 0:
            raise UserError("prompts must be >= 1 and heldout_prompts >= 0")
        if self.temperature <= 0:
            raise UserError(f"temperature must be > 0 (K samples of one prompt must differ), got {self.temperature}")
        if self.min_margin < 0:
            raise UserError(f"min_margin must be >= 0, got {self.min_margin}")
