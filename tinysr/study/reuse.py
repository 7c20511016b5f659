"""Reuse finished retrainings of another study folder instead of training the same network again.

A random or published job's result depends only on its genotype and on the config fields retraining reads
(everything but ``search.*``: the recipe ``train.*``, ``data.*``, ``eval.*`` and ``seed``), and on the thread
count (last bits). A judge run (``benchmarks/judge.py``) or an earlier study that retrained the same genotype
with the same recipe and seed at the same thread count holds the very number this study would compute, so
:func:`reuse_finished` copies that job's run folder into this study's ``runs/<id>/`` and rewrites its
``result.json`` with this study's id, kind, budget and config, plus ``reused_from`` (``<donor folder
name>/<donor id>``: no path of this machine). ``tinysr study --from study.json --rerun ID`` retrains such a job
from this study's own config, which is how anyone checks that the copy is what training would have given.

Searched jobs are never reused: their search reads ``search.*``.
"""
from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..runstate import config_diff
from ..utils import atomic_write_text
from .sampling import in_window

__all__ = ["REUSABLE", "reuse_finished", "same_training"]

REUSABLE = ("random", "published", "published_own_depth")


def same_training(donor: Mapping[str, Any], spec: Mapping[str, Any], threads: int) -> bool:
    """Whether finished entry ``donor`` retrained ``spec``'s network exactly as ``spec`` would: same genotype,
    configs equal outside ``search.*``, and ``threads`` threads (this study's per-job thread count)."""
    if donor.get("kind") not in REUSABLE or spec["kind"] not in REUSABLE or spec.get("genotype") is None:
        return False
    if json.loads(json.dumps(donor.get("genotype"))) != json.loads(json.dumps(spec["genotype"])):
        return False
    if int(donor.get("threads") or 0) != threads:
        return False
    return all(line.startswith("search.") for line in config_diff(donor["config"], spec["config"]))


def _donor_entries(donors: Sequence[str | Path]) -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for d in map(Path, donors):
        if not (d / "runs").is_dir():
            raise FileNotFoundError(f"--reuse {d}: no runs/ folder there; give a study or judge folder (the --out "
                                    "of `tinysr study` or of benchmarks/judge.py)")
        for path in sorted((d / "runs").glob("*/result.json")):
            found.append((path.parent, json.loads(path.read_text())))
    return found


def reuse_finished(specs: Sequence[Mapping[str, Any]], root: str | Path, donors: Sequence[str | Path],
                   threads: int) -> list[str]:
    """Copy into ``root/runs/<id>/`` every unfinished reusable job of ``specs`` that a donor folder finished
    (:func:`same_training`); return the ids reused. A folder already in ``root/runs/<id>`` (an unfinished
    attempt) is kept under ``<id>.replaced-by-reuse`` rather than deleted."""
    root, pool = Path(root), _donor_entries(donors)
    reused = []
    for spec in specs:
        target = root / "runs" / spec["id"]
        if spec["kind"] not in REUSABLE or (target / "result.json").exists():
            continue
        match = next(((folder, e) for folder, e in pool if same_training(e, spec, threads)), None)
        if match is None:
            continue
        folder, donor = match
        tmp = target.with_name(target.name + ".reusing")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(folder, tmp)
        (tmp / "failed.json").unlink(missing_ok=True)
        entry = {**donor, "id": spec["id"], "kind": spec["kind"], "budget": spec["budget"], "seed": spec["seed"],
                 "config": spec["config"], "oneshot": [],
                 "in_window": in_window(donor["params"], spec["budget"]) if spec["budget"] else None,
                 "reused_from": f"{folder.parent.parent.name}/{donor['id']}"}
        atomic_write_text(json.dumps(entry, indent=1) + "\n", tmp / "result.json")
        if target.exists():
            kept = target.with_name(target.name + ".replaced-by-reuse")
            n = 1
            while kept.exists():
                n += 1
                kept = target.with_name(f"{target.name}.replaced-by-reuse-{n}")
            target.rename(kept)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(target)
        reused.append(spec["id"])
    return reused
