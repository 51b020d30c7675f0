"""Preference data for reward models and DPO: pairs built from a model's ranked samples (the tiny world's gold
labeler ranks them), loaders of real formats (TRL explicit / implicit prompt, Anthropic HH), validation.

    from align.data.preferences import PreferenceBuildConfig, build_preferences, load_preference_splits
    build_preferences(PreferenceBuildConfig(model="runs/tiny-world/sft", out="runs/tiny-world/preferences"))
    train, test = load_preference_splits("runs/tiny-world/preferences")
"""

import importlib

# name -> module; imported when first used, so the light parts (the config, the formats) load without torch
_EXPORTS = {"PreferenceBuildConfig": "config", "build_preferences": "build", "ranked_pairs": "build",
            "load_preference_splits": "formats", "load_preferences": "formats", "to_explicit_prompt": "formats",
            "sample_chat": "sampling"}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"align.data.preferences.{_EXPORTS[name]}"), name)
