"""The study's numbers per budget: searched vs random (with the verdict), the gap, one-shot rank correlations.

Everything is on the judged score (:func:`tinysr.study.stats.score`: PSNR over every evaluation image
together). One-shot estimates are correlated per supernet, never pooled across supernets (each ranks with its
own weights).
"""
from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from .stats import bootstrap_tau, kendall_tau, percentile, score, summary
from .verdict import verdict

__all__ = ["study_stats", "verdict_and_stats"]


def _oneshot(supernet_run: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Kendall tau between one supernet's one-shot estimates and the judged scores of the same networks."""
    pairs = [(o["psnr"], score(by_id[o["id"]])) for o in supernet_run["oneshot"] if o["id"] in by_id]
    return {"supernet": supernet_run["id"], "n": len(pairs),
            "kendall_tau": kendall_tau(*zip(*pairs)) if len(pairs) >= 2 else None,
            "ci95": bootstrap_tau([list(p) for p in pairs]) if len(pairs) >= 3 else None}


def study_stats(runs: Sequence[Mapping[str, Any]], budgets: Sequence[int]) -> dict[str, Any]:
    """Per budget, on the judged score (:func:`score`): searched (summary over seeds, params, in-window count,
    each seed's percentile among the in-budget random networks), random (summary), the verdict
    (:func:`tinysr.study.verdict.verdict`, with >= 2 on each side), the discretisation gap of each searched run,
    and for each searched run's supernet Kendall's tau between its one-shot estimates and the judged scores
    (per supernet: estimates of different supernets are never pooled); plus the published networks at the
    study's depth and, apart, at their own depth."""
    by_id = {r["id"]: r for r in runs}
    out: dict[str, Any] = {"score": "mean PSNR-Y over every image of " + " + ".join(runs[0]["sets"]) if runs else
                           None, "budgets": {}}
    for b in budgets:
        searched = [r for r in runs if r["kind"] == "searched" and r["budget"] == b]
        random_ = [r for r in runs if r["kind"] == "random" and r["budget"] == b]
        s_score, r_score = [score(r) for r in searched], [score(r) for r in random_]
        gaps = [dict(id=r["id"], **{k: r["supernet"][k] for k in ("supernet_psnr", "inherited_psnr",
                                                                   "inherited_folded_psnr", "gap")},
                     retrained_psnr=score(r)) for r in searched if r.get("supernet")]
        out["budgets"][str(b)] = {
            "searched": {**summary(s_score), "params": [r["params"] for r in searched],
                         "in_window": sum(bool(r["in_window"]) for r in searched),
                         "percentile_per_seed": {r["id"]: percentile(score(r), r_score) for r in searched}},
            "random": {**summary(r_score), "params": [r["params"] for r in random_]},
            "verdict": verdict(s_score, r_score) if len(s_score) >= 2 and len(r_score) >= 2 else None,
            "gap": {"runs": gaps, "mean": statistics.fmean(g["gap"] for g in gaps) if gaps else None},
            "oneshot": [_oneshot(r, by_id) for r in searched if r.get("oneshot")],
        }
    cells = {r["id"]: (r.get("genotype") or {}).get("cells") for r in runs}
    depth = next((cells[r["id"]] for r in runs if r["kind"] in ("searched", "random") and cells[r["id"]]), None)
    for kind, same in (("published", True), ("published_own_depth", False)):
        out[kind] = {r["id"]: {"score": score(r), "params": r["params"], "cells": cells[r["id"]]}
                     for r in runs if r["kind"].startswith("published") and (cells[r["id"]] == depth) == same}
    return out


def verdict_and_stats(runs: Sequence[Mapping[str, Any]], budgets: Sequence[int]) -> dict[str, Any]:
    """``{"verdict": {str(budget): verdict or None}, "stats": ...}``: the statistics of :func:`study_stats`, and
    each budget's searched-vs-random verdict (``diff_db``, ``ci95``, ``p_value``, ``mde_db``, ``n_searched``,
    ``n_random``, ...) lifted out of them, so that study.json states its answer in one place; a study writes it
    before its runs, where a reader looks first."""
    stats = study_stats(runs, budgets)
    return {"verdict": {b: st["verdict"] for b, st in stats["budgets"].items()}, "stats": stats}
