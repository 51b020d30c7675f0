"""Preference data for reward models and DPO: pairs built from a model's ranked samples (the tiny world's gold
labeler ranks them), loaders of real formats (TRL explicit / implicit prompt, Anthropic HH), validation.

    from align.data.preferences import PreferenceBuildConfig, build_preferences, load_preference_splits
    build_preferences(PreferenceBuildConfig(model="runs/tiny-world/sft", out="runs/tiny-world/preferences"))
    train, test = load_preference_splits("runs/tiny-world/preferences")
"""

from align.data.preferences.build import PreferenceBuildConfig, build_preferences, ranked_pairs
from align.data.preferences.formats import load_preference_splits, load_preferences, to_explicit_prompt
from align.data.preferences.sampling import sample_chat

__all__ = ["PreferenceBuildConfig", "build_preferences", "load_preference_splits", "load_preferences",
           "ranked_pairs", "sample_chat", "to_explicit_prompt"]
