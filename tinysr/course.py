"""The preset a notebook runs with, and the guard that keeps "Run all" from starting a multi-day run.

Every chapter's first cell is ``cfg = tinysr.course_preset(allow_paper=False)``: the preset named by
``TINYSR_PRESET`` (else ``gpu`` with a GPU, ``laptop`` without). ``paper`` is the released schedule --
about 73 hours of search and 19 hours of retraining on one H200 -- so a notebook refuses it unless the
cell says ``allow_paper=True``.
"""
from __future__ import annotations

from .config import Config, ConfigError, preset

__all__ = ["course_preset"]


def course_preset(allow_paper: bool = False) -> Config:
    """``tinysr.preset()`` for a notebook; ``paper`` only with ``allow_paper=True``."""
    cfg = preset()
    if cfg.name == "paper" and not allow_paper:
        raise ConfigError("TINYSR_PRESET=paper is the released schedule (1000 search epochs, ~73 h on one H200, "
                          "then ~19 h of retraining): this notebook refuses it. Use the 'gpu' preset for the course, "
                          "or opt in with course_preset(allow_paper=True) in this cell")
    return cfg
