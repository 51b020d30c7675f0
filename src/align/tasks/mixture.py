"""A mixture of named builders, as written in a recipe's YAML:
    mixture:
      - {builder: world_chat, n: 2000}
      - {builder: identity, n: 300, weight: 2.0}     # weight: repeat (>1) or subsample (<1) what was built
      - {builder: gsm8k, path: /data/gsm8k/train.jsonl, n: 1000}

Every key besides ``builder``, ``n`` and ``weight`` is passed to the builder as an option.
"""

from __future__ import annotations

import inspect
import logging
import random
from dataclasses import dataclass, field
from pathlib import Path

from align.data.conversations.messages import to_dataset
from align.data.conversations.registry import get_builder
from align.data.conversations.validate import validate_dataset
from align.errors import UserError
from align.world import load_world

logger = logging.getLogger(__name__)


@dataclass
class MixtureEntry:
    """One builder in a mixture."""

    builder: str
    """Registered builder name (see ``builder_names()``)."""
    n: int | None = None
    """Rows to build (default: the builder's natural size)."""
    weight: float = 1.0
    """Rows kept = round(built * weight): a weight above 1 repeats rows, below 1 subsamples them."""
    options: dict = field(default_factory=dict)
    """Builder-specific options."""


def parse_mixture(spec) -> list[MixtureEntry]:
    """Entries from a list of dicts, or from a YAML file holding such a list (or ``{mixture: [...]}``)."""
    if isinstance(spec, (str, Path)):
        import yaml

        path = Path(spec)
        if not path.is_file():
            raise UserError(f"mixture {spec}: no such file")
        spec = yaml.safe_load(path.read_text())
        if isinstance(spec, dict) and "mixture" in spec:
            spec = spec["mixture"]
    if not isinstance(spec, list) or not spec:
        raise UserError("mixture: expected a non-empty list of {builder: NAME, ...} entries")
    entries = []
    for i, item in enumerate(spec):
        if not isinstance(item, dict) or not isinstance(item.get("builder"), str):
            raise UserError(f"mixture entry {i}: needs a 'builder' name")
        item = dict(item)
        name, n, weight = item.pop("builder"), item.pop("n", None), item.pop("weight", 1.0)
        if n is not None and (not isinstance(n, int) or n < 1):
            raise UserError(f"mixture entry {i} ({name}): n must be a positive integer, got {n!r}")
        if not isinstance(weight, (int, float)) or weight <= 0:
            raise UserError(f"mixture entry {i} ({name}): weight must be a positive number, got {weight!r}")
        entries.append(MixtureEntry(name, n, float(weight), item))
    return entries


def build_entry(entry: MixtureEntry, world, seed: int = 0):
    """Run one entry's builder and apply its weight."""
    fn = get_builder(entry.builder)
    accepted = inspect.signature(fn).parameters
    unknown = sorted(set(entry.options) - set(accepted))
    if unknown:
        options = ", ".join(p for p in accepted if p not in ("world", "n", "seed"))
        raise UserError(f"mixture builder {entry.builder}: unknown option(s) {', '.join(unknown)} (options: {options})")
    dataset = fn(world, n=entry.n, seed=seed, **entry.options)
    keep = round(len(dataset) * entry.weight)
    if keep != len(dataset):
        rng = random.Random(f"weight-{entry.builder}-{seed}")
        indices = [i % len(dataset) for i in range(keep)] if keep > len(dataset) else rng.sample(
            range(len(dataset)), keep)
        dataset = dataset.select(indices)
    logger.info("mixture: %-18s %6d rows", entry.builder, len(dataset))
    return dataset


def build_mixture(spec, world=0, seed: int = 0):
    """Build every entry, concatenate and shuffle; validates the rows. ``world``: seed, world.json or crawl dir."""
    from datasets import concatenate_datasets

    entries = parse_mixture(spec)
    if isinstance(world, str) and world.lstrip("-").isdigit():
        world = int(world)
    world = load_world(world) if isinstance(world, (int, str, Path)) else world
    parts = [build_entry(entry, world, seed) for entry in entries]
    try:
        mixed = concatenate_datasets(parts)
    except ValueError:
        # Different tool-argument structs across builders: rebuild through Python objects into one schema.
        rows = [row for part in parts for row in part]
        mixed = to_dataset([{"messages": r["messages"]} for r in rows], "mixture")
        mixed = mixed.remove_columns(["source", "meta"]).add_column("source", [r["source"] for r in rows]) \
            .add_column("meta", [r["meta"] for r in rows])
    mixed = mixed.shuffle(seed=seed)
    validate_dataset(mixed, "mixture")
    return mixed
