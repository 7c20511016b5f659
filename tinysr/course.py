"""The preset a notebook runs with, and the guard that keeps "Run all" from starting a multi-day run.

Every chapter's first cell is ``cfg = tinysr.course_preset(allow_paper=False)``: the preset named by
``TINYSR_PRESET`` (else ``gpu`` with a GPU, ``laptop`` without). ``paper`` is the released schedule --
about 73 hours of search and 19 hours of retraining on one H200 -- so a notebook refuses it unless the
cell says ``allow_paper=True``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from .config import Config, ConfigError, preset

__all__ = ["course_preset", "skip_note", "SKIP_PREFIX"]

#: the start of the one visible line a chapter prints when it skips a section for missing data or weights
SKIP_PREFIX = "[skipped]"


def course_preset(allow_paper: bool = False) -> Config:
    """``tinysr.preset()`` for a notebook; ``paper`` only with ``allow_paper=True``."""
    cfg = preset()
    if cfg.name == "paper" and not allow_paper:
        raise ConfigError("TINYSR_PRESET=paper is the released schedule (1000 search epochs, ~73 h on one H200, "
                          "then ~19 h of retraining): this notebook refuses it. Use the 'gpu' preset for the course, "
                          "or opt in with course_preset(allow_paper=True) in this cell")
    return cfg


def skip_note(what: str, command: str) -> str:
    """Say, in one visible line, that a section is skipped because ``what`` is missing here, and the command
    that fetches it; returns the line. With ``TINYSR_SKIP_LOG`` set (the course's tests), the line is also
    appended to that file, so a run can count its skipped sections."""
    line = f"{SKIP_PREFIX} {what}: not found on this machine; fetch with: {command}"
    print(line, file=sys.stdout, flush=True)
    log = os.environ.get("TINYSR_SKIP_LOG")
    if log:
        with Path(log).open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    return line
