"""Conversation datasets for SFT: named builders (a YAML mixture weights them), loaders of real formats,
validation, and ground-truth scoring of the behaviours they teach.

    from align.data.conversations import build_mixture, get_builder, builder_names
    ds = build_mixture([{"builder": "world_chat", "n": 200}, {"builder": "identity", "n": 50}], world=0)
"""

from align.data.conversations.identity import Identity, identity_eval_questions, identity_system_prompt, score_identity
from align.data.conversations.math_problems import score_math
from align.data.conversations.mixture import MixtureEntry, build_mixture, parse_mixture
from align.data.conversations.probe import ProbeConfig, probe_model
from align.data.conversations.registry import BUILDERS, builder_names, get_builder, register
from align.data.conversations.validate import validate_dataset, validate_rows

__all__ = ["BUILDERS", "Identity", "MixtureEntry", "ProbeConfig", "build_mixture", "builder_names",
           "get_builder", "identity_eval_questions", "identity_system_prompt", "parse_mixture",
           "probe_model", "register", "score_identity", "score_math", "validate_dataset", "validate_rows"]
