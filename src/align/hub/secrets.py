"""The Hugging Face token: found the usual way, never printed, logged or written — every message and file that
leaves this package goes through :func:`redact` first."""

from __future__ import annotations

import os
import re

MASK = "hf_***"
# A user access token is "hf_" and 34 letters/digits; anything that long after "hf_" is treated as one.
_TOKEN_PATTERN = re.compile(r"hf_[A-Za-z0-9]{30,}")
_ENV_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")


def hub_token(explicit: str | None = None) -> str | None:
    """``explicit`` (``hub_token`` in a recipe), else what huggingface_hub finds: ``HF_TOKEN``, then the token
    saved by ``hf auth login``."""
    if explicit:
        return explicit
    from huggingface_hub import get_token

    try:
        return get_token()
    except Exception:  # an OIDC exchange that fails: no token rather than an error that might carry one
        return None


def known_tokens(extra: tuple[str | None, ...] = ()) -> list[str]:
    tokens = [t for t in extra if t]
    tokens += [os.environ[name] for name in _ENV_VARS if os.environ.get(name)]
    stored = hub_token()
    if stored:
        tokens.append(stored)
    # Longest first, so a token that contains another is masked whole.
    return sorted({t for t in tokens if len(t) >= 8}, key=len, reverse=True)


def redact(text: str, extra: tuple[str | None, ...] = ()) -> str:
    """``text`` with every known token (and anything shaped like one) replaced by ``hf_***``."""
    for token in known_tokens(extra):
        text = text.replace(token, MASK)
    return _TOKEN_PATTERN.sub(MASK, text)
