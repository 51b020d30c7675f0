"""Conversation data in the chat format: message helpers, validation, loaders of real formats (jsonl, Hub datasets,
ShareGPT, GSM8K, plain documents) and the registry of named builders, which they and the tiny world's tasks
(:mod:`align.tasks`) register in; ``align.tasks`` builds a recipe's mixture from all of them:

    from align.tasks import build_mixture
    ds = build_mixture([{"builder": "world_chat", "n": 200}, {"builder": "identity", "n": 50}], world=0)
"""

from align.data.conversations.registry import BUILDERS, register
from align.data.conversations.validate import validate_dataset, validate_rows

__all__ = ["BUILDERS", "register", "validate_dataset", "validate_rows"]
