"""The one Hub setting TrainingArguments lacks (``push_to_hub``, ``hub_model_id``, ``hub_revision``,
``hub_strategy``, ``hub_private_repo`` and ``hub_token`` are its own); a field of every recipe's config."""

from __future__ import annotations

from dataclasses import field


def hub_license_field():
    """The ``hub_license`` field of every recipe config (see ``align.training.HardwareDefaults``)."""
    return field(default=None, metadata={
        "help": "License in the model card's metadata (a Hub license id such as apache-2.0; default: the base "
                "model's when its card says, else none)."})
