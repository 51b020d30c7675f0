"""CLI verbs; each module exposes ``register(subparsers)``."""
