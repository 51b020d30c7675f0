"""Data for every stage. ``align.data.web``: the web pipeline (``align data``).

Entry points are imported lazily so ``import align.data`` stays cheap.
"""

from __future__ import annotations

__all__ = ["PipelineConfig", "run_pipeline", "load_web_dataset"]


def __getattr__(name):
    if name == "PipelineConfig":
        from align.data.web.config import PipelineConfig

        return PipelineConfig
    if name == "run_pipeline":
        from align.data.web.pipeline import run_pipeline

        return run_pipeline
    if name == "load_web_dataset":
        from align.data.web.pipeline import load_web_dataset

        return load_web_dataset
    raise AttributeError(name)
