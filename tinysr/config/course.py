"""What a chapter needs before its first run: the preset, the guard against multi-day runs, the cost table.

Every chapter's first cell is ``cfg = tinysr.course_preset(allow_paper=False)``: the preset named by
``TINYSR_PRESET`` (else ``gpu`` with a GPU, ``laptop`` without). ``paper`` is the released schedule --
about 73 hours of search and 19 hours of retraining on one H200 -- so a notebook refuses it unless the
cell says ``allow_paper=True``. Then ``tinysr.course_start("04", cfg)`` prints the device, the preset and
what the chapter's runs will cost (:mod:`tinysr.config.course_cost`). A section that cannot run here for missing
data or weights says so in one line with the command that fetches them (:func:`skip_note`).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ..runtime.devices import get_device
from . import Config, ConfigError, preset
from .course_cost import ChapterPlan, chapter_plan, format_cost_table

__all__ = ["course_preset", "course_start", "skip_note", "SKIP_PREFIX"]

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


def course_start(chapter: str, cfg: Config) -> ChapterPlan:
    """Print the device, the preset and the cost table of chapter ``chapter`` (``"04"``) at ``cfg``; remember
    the chapter for the run log (``TINYSR_CHAPTER``); return the chapter's plan."""
    plan = chapter_plan(chapter)
    dev = get_device()
    os.environ["TINYSR_CHAPTER"] = chapter
    print(f"device {dev} ({'GPU' if dev.type in ('cuda', 'mps') else 'CPU'}), preset {cfg.name!r}, seed {cfg.seed}, "
          f"x{cfg.data.scale}")
    print(format_cost_table(chapter, cfg, "cpu" if dev.type == "cpu" else "gpu"))
    return plan


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
