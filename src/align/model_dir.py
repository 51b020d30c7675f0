"""What a local directory given as a model holds. A model dir has ``config.json`` and weights, or is a LoRA adapter;
a directory with only a tokenizer, or only the checkpoints of an unfinished run, gets one line saying what it holds,
what is missing and, for checkpoints, the latest one — not the loader's traceback or a misleading tokenizer error."""

from __future__ import annotations

from pathlib import Path

from align.errors import UserError

WEIGHTS = ("*.safetensors", "pytorch_model*.bin", "*.safetensors.index.json", "pytorch_model.bin.index.json")
ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")


def check_model_dir(path: str, option: str | None = None) -> None:
    """Raise a :class:`UserError` when ``path`` is a local directory that holds no loadable model; say what it holds
    instead. Anything else (a model dir, an adapter dir, a Hub id, a missing path) is left to the loader.
    ``option`` names where the path came from (``model_name_or_path``)."""
    directory = Path(path).expanduser()
    if not directory.is_dir() or holds_model(directory):
        return
    prefix = f"{option} {path}" if option else str(path)
    raise UserError(f"{prefix}: {what_is_missing(directory)}")


def holds_model(directory: Path) -> bool:
    """A model (``config.json`` and weights) or a LoRA adapter (``adapter_config.json`` and its weights)."""
    if (directory / "adapter_config.json").is_file() and any((directory / w).is_file() for w in ADAPTER_WEIGHTS):
        return True
    return (directory / "config.json").is_file() and _has_weights(directory)


def _has_weights(directory: Path) -> bool:
    return any(p.is_file() for pattern in WEIGHTS for p in directory.glob(pattern))


def what_is_missing(directory: Path) -> str:
    """One sentence: what the directory holds and what a model dir would need."""
    from transformers.trainer_utils import get_last_checkpoint

    latest = get_last_checkpoint(str(directory))
    if latest is not None:
        return (f"no model yet, only checkpoints of an unfinished run (latest: {latest}): finish the run with "
                f"--resume_from_checkpoint last, or give {latest} itself")
    tokenizer = [name for name in TOKENIZER_FILES if (directory / name).is_file()]
    has_config, has_weights = (directory / "config.json").is_file(), _has_weights(directory)
    if tokenizer and not has_config and not has_weights:
        return (f"holds a tokenizer ({', '.join(tokenizer)}) but no model: a model dir also has config.json and "
                "weights (model.safetensors)")
    if has_config and not has_weights:
        return "has config.json but no weights (model.safetensors or pytorch_model.bin): an unfinished save?"
    if has_weights and not has_config:
        return "has weights but no config.json: copy the config.json of the model they belong to"
    if (directory / "adapter_config.json").is_file():
        return "has adapter_config.json but no adapter weights (adapter_model.safetensors)"
    return "not a model dir: no config.json and no weights (model.safetensors)"
