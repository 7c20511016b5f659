"""What each chapter's runs cost, before they run: the runs a chapter starts, and measured seconds per step.

A chapter's long runs are searches and retrainings of the course preset, some shortened to a share of the
preset's steps per epoch (:data:`PLANS`; the chapter builds its configs with :func:`chapter_config`, so the
table and the chapter cannot disagree). Their cost is ``runs x steps x seconds per step``, with the seconds
per step *measured* for each preset on each kind of device (``step_times.json``, a shipped result written by
``benchmarks/step_times.py``; :func:`step_times`). :func:`cost_table` gives minutes per device kind and preset,
``None`` where a combination was never measured; :func:`format_cost_table` is what a chapter's first cell prints.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from ..runtime.shipped import load_shipped
from . import Config, preset

__all__ = ["Run", "ChapterPlan", "PLANS", "COURSE_PRESETS", "chapter_plan", "chapter_config", "run_steps",
           "step_times", "cost_table", "format_cost_table"]

COURSE_PRESETS = ("smoke", "laptop", "gpu")
STEP_TIMES_FILE = "step_times.json"


@dataclass(frozen=True)
class Run:
    """``count`` runs of ``stage`` (``"search"`` or ``"train"``) of the chapter's config; ``what`` they are."""

    stage: str
    count: int
    what: str


@dataclass(frozen=True)
class ChapterPlan:
    """The long runs of one chapter, each at ``share`` of the preset's steps per epoch, and the chapter's other
    sizes (``params``, e.g. how many random networks the mini-study trains)."""

    chapter: str
    runs: tuple[Run, ...] = ()
    share: Fraction = Fraction(1)
    params: dict[str, Any] = field(default_factory=dict)


PLANS: dict[str, ChapterPlan] = {p.chapter: p for p in (
    ChapterPlan("00"), ChapterPlan("01"), ChapterPlan("02"), ChapterPlan("03"),
    ChapterPlan("04", (Run("search", 2, "the live search and the auxiliary-skip search"),)),
    ChapterPlan("05", (Run("search", 1, "the search (read back instead when ../runs/demo/search holds it)"),
                       Run("train", 1, "the retraining of the derived network"))),
    ChapterPlan("06"),
    ChapterPlan("07", (Run("search", 2, "the two experiments' searches"),
                       Run("train", 2, "their retrainings")), Fraction(1, 2)),
    ChapterPlan("08", (Run("search", 2, "the mini-study's searches (2 seeds)"),
                       Run("train", 7, "its retrainings: 2 searched, 3 random, 2 published networks")),
                Fraction(1, 5), {"seeds": 2, "random": 3}),
    ChapterPlan("09", (Run("train", 6, "six random networks of one budget: the chapter's own small judge"),),
                Fraction(1, 8), {"networks": 6}),
)}


def chapter_plan(chapter: str) -> ChapterPlan:
    """The plan of chapter ``chapter`` (``"04"``); ``ValueError`` naming the chapters for another."""
    if chapter not in PLANS:
        raise ValueError(f"no chapter {chapter!r} in the course; chapters: {', '.join(PLANS)}")
    return PLANS[chapter]


def chapter_config(cfg: Config, chapter: str) -> Config:
    """``cfg`` with the search's and the retraining's steps per epoch scaled by the chapter's share (rounded,
    at least 1); epochs, schedules, batches and everything else unchanged."""
    share = chapter_plan(chapter).share
    if share == 1:
        return cfg
    return replace(cfg, search=replace(cfg.search, steps_per_epoch=max(1, round(cfg.search.steps_per_epoch * share))),
                   train=replace(cfg.train, steps_per_epoch=max(1, round(cfg.train.steps_per_epoch * share))))


def run_steps(cfg: Config, stage: str) -> int:
    """Steps of one ``stage`` run of ``cfg``: epochs x steps per epoch."""
    s = cfg.search if stage == "search" else cfg.train
    return s.epochs * s.steps_per_epoch


def step_times() -> dict[str, Any]:
    """The shipped table of measured seconds per step: ``{"devices": {kind: {"label", "date", "command",
    "presets": {preset: {"search": s, "train": s}}}}}`` (kinds ``cpu``, ``gpu``)."""
    return load_shipped(STEP_TIMES_FILE)


def cost_table(chapter: str, times: dict[str, Any] | None = None) -> dict[str, dict[str, float | None]]:
    """Minutes of chapter ``chapter``'s runs, ``{device kind: {preset: minutes or None}}`` for the course
    presets; ``None`` where that preset's step times were not measured on that kind of device."""
    times = times if times is not None else step_times()
    plan = chapter_plan(chapter)
    table: dict[str, dict[str, float | None]] = {}
    for kind, entry in times["devices"].items():
        row: dict[str, float | None] = {}
        for name in COURSE_PRESETS:
            measured = entry["presets"].get(name)
            cfg = chapter_config(preset(name), chapter)
            if not plan.runs:
                row[name] = 0.0
            elif measured is None:
                row[name] = None
            else:
                row[name] = sum(r.count * run_steps(cfg, r.stage) * measured[r.stage] for r in plan.runs) / 60
        table[kind] = row
    return table


def _minutes(m: float | None) -> str:
    if m is None:
        return "not measured"
    if m >= 120:
        return f"~{m / 60:.0f} h"
    return f"{m:.1f} min" if m >= 0.1 else "seconds"


def format_cost_table(chapter: str, cfg: Config, kind: str, times: dict[str, Any] | None = None) -> str:
    """The lines a chapter prints first: its runs at ``cfg``, their minutes per device kind and preset (the
    row of ``kind`` marked), and where the step times come from."""
    times = times if times is not None else step_times()
    plan, table = chapter_plan(chapter), cost_table(chapter, times)
    mine = chapter_config(cfg, chapter)
    if not plan.runs:
        return f"chapter {chapter}: no long runs (every cell takes seconds to a minute)"
    runs = "; ".join(f"{r.count} x {r.stage} of {run_steps(mine, r.stage):,} steps ({r.what})" for r in plan.runs)
    labels = {k: f"{k.upper()} ({e['label']})" for k, e in times["devices"].items()}
    width = max(len(v) for v in labels.values()) + 2
    lines = [f"chapter {chapter} at preset {cfg.name!r}: {runs}",
             " " * width + "".join(f"{p:>14s}" for p in COURSE_PRESETS)]
    for k, row in table.items():
        mark = "> " if k == kind else "  "
        lines.append(mark + labels[k].ljust(width - 2) + "".join(f"{_minutes(row[p]):>14s}" for p in COURSE_PRESETS))
    sources = [f"{k.upper()} {e['device']}, {e['date']}, torch {e['torch']} ({e['command']})"
               for k, e in times["devices"].items()]
    lines.append("step times measured by: " + "; ".join(sources))
    return "\n".join(lines)
