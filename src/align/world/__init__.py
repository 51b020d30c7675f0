"""The tiny world: seeded entities and facts, rendered into a synthetic web crawl; the oracle for evaluation."""

from __future__ import annotations

from pathlib import Path

from align.world.crawl import CrawlConfig, read_exposure, read_ground_truth, write_crawl
from align.world.schema import Entity, Fact, WorldConfig
from align.world.world import World, load_world

BLOCKLIST_PATH = Path(__file__).with_name("blocklist.txt")

__all__ = ["BLOCKLIST_PATH", "CrawlConfig", "Entity", "Fact", "World", "WorldConfig", "load_world", "read_exposure",
           "read_ground_truth", "write_crawl"]
