"""The models the web UI serves: loaded once at start-up (a bad dir fails before the server starts), each with a
lock so two browser tabs never run ``generate`` on the same model at once."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from align.engine import load_model
from align.errors import UserError

logger = logging.getLogger(__name__)


@dataclass
class ServedModel:
    """A chat model and its tokenizer, under the name the UI shows (the path as given)."""

    name: str
    model: object
    tokenizer: object
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class ModelPool:
    """Name -> :class:`ServedModel`, in the order they were added (the first is the default)."""

    def __init__(self):
        self._models: dict[str, ServedModel] = {}

    def load(self, path: str, trust_remote_code: bool = False) -> ServedModel:
        """Load a model dir (base, SFT, RL, PPO, a LoRA adapter dir) or Hub id the way ``align chat`` does."""
        if path in self._models:
            return self._models[path]
        check_causal_lm(path)
        logger.info("loading %s", path)
        model, tokenizer = load_model(path, trust_remote_code)
        if not tokenizer.chat_template:
            logger.warning("%s has no chat template: chat needs an SFT model", path)
        return self.add(path, model, tokenizer)

    def add(self, name: str, model, tokenizer) -> ServedModel:
        """Serve an already loaded model (tests, notebooks)."""
        served = ServedModel(name, model, tokenizer)
        self._models[name] = served
        return served

    def get(self, name: str) -> ServedModel:
        if name not in self._models:
            raise UserError(f"no model named {name!r} (loaded: {', '.join(self._models)})")
        return self._models[name]

    def names(self) -> list[str]:
        return list(self._models)

    def __len__(self) -> int:
        return len(self._models)


def check_causal_lm(path: str) -> None:
    """Refuse a reward model dir (a sequence classifier) in one line; missing dirs are the loader's to report."""
    config = Path(path).expanduser() / "config.json"
    if not config.is_file():
        return  # a LoRA adapter dir, a Hub id or a typo: the loader decides
    try:
        architectures = json.loads(config.read_text()).get("architectures") or []
    except (OSError, ValueError) as err:
        raise UserError(f"{config}: unreadable ({err})") from err
    if any(a.endswith("ForSequenceClassification") for a in architectures):
        raise UserError(f"{path}: a reward model (sequence classifier), not a model that generates text")
