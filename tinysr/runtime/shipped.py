"""The measured results tinysr ships (``benchmarks/results/*.json``), found the same way from a wheel or a checkout.

The chapters read measured results -- the study, the judge, the step times behind every cost table, the
inference timings. In a repository checkout (or an editable install) they are ``benchmarks/results/`` next
to the package; a built wheel carries copies in ``tinysr/_results/`` (``setup.py`` puts them there), since a
pip user has no repository. :func:`shipped_path` looks in both, the package's copy first.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["shipped_path", "load_shipped", "shipped_names"]

_PACKAGE = Path(__file__).resolve().parents[1]
_PLACES = (_PACKAGE / "_results", _PACKAGE.parent / "benchmarks" / "results")


def shipped_path(name: str) -> Path | None:
    """The shipped results file ``name`` (e.g. ``"study_laptop.json"``), or ``None`` when neither the package
    nor a checkout beside it has it."""
    if Path(name).name != name:
        raise ValueError(f"a shipped result is named by its file name, e.g. 'study_laptop.json'; got {name!r}")
    return next((p / name for p in _PLACES if (p / name).is_file()), None)


def load_shipped(name: str) -> Any:
    """The JSON content of the shipped results file ``name``; ``FileNotFoundError`` naming where it was
    looked for when it is not there."""
    path = shipped_path(name)
    if path is None:
        raise FileNotFoundError(f"no shipped result {name!r} in {' or '.join(map(str, _PLACES))}: reinstall tinysr "
                                f"(its wheel carries benchmarks/results/*.json) or run from a checkout")
    return json.loads(path.read_text(encoding="utf-8"))


def shipped_names() -> list[str]:
    """Every shipped results file name found (JSON, Markdown and figures), sorted."""
    return sorted({p.name for place in _PLACES if place.is_dir() for p in place.iterdir() if p.is_file()})
