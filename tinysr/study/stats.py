"""The study's statistics: searched vs random per budget, the discretisation gap, one-shot rank correlation.

All on the PSNR of the first evaluation set (Set5, or the built-in eval photos). Definitions:

- ``percentile`` of a value among the random networks: ``100 * (#below + #equal / 2) / n`` (mid-rank);
- ``std``: the sample standard deviation over seeds (``None`` with one seed);
- the rank correlation is Kendall's tau-b (ties handled): ``(C - D) / sqrt((n0 - n1)(n0 - n2))`` over
  all pairs, with ``C``/``D`` the concordant/discordant pairs, ``n0 = n(n-1)/2`` and ``n1``/``n2`` the pairs
  tied in x/y; ``None`` when undefined (fewer than 2 points or a constant list).
"""
from __future__ import annotations

import math
import statistics
from typing import Any, Mapping, Sequence

__all__ = ["kendall_tau", "percentile", "first_set", "study_stats"]


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Kendall's tau-b of the paired values ``x``, ``y`` (module docstring); in [-1, 1] or ``None``."""
    if len(x) != len(y):
        raise ValueError(f"kendall_tau needs paired values; got {len(x)} x and {len(y)} y")
    n = len(x)
    conc = disc = tie_x = tie_y = 0
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = x[i] - x[j], y[i] - y[j]
            if dx == 0 or dy == 0:
                tie_x += dx == 0
                tie_y += dy == 0
            elif (dx > 0) == (dy > 0):
                conc += 1
            else:
                disc += 1
    n0 = n * (n - 1) // 2
    denom = math.sqrt((n0 - tie_x) * (n0 - tie_y))
    return (conc - disc) / denom if denom > 0 else None


def percentile(value: float, population: Sequence[float]) -> float | None:
    """Mid-rank percentile of ``value`` in ``population`` (0..100), ``None`` for an empty population."""
    if not population:
        return None
    below = sum(v < value for v in population)
    equal = sum(v == value for v in population)
    return 100.0 * (below + equal / 2) / len(population)


def first_set(run: Mapping[str, Any]) -> float:
    """PSNR of a run entry on its first evaluation set."""
    return float(next(iter(run["sets"].values()))["psnr"])


def _summary(values: Sequence[float]) -> dict[str, Any]:
    return {"n": len(values), "mean": statistics.fmean(values) if values else None,
            "std": statistics.stdev(values) if len(values) > 1 else None,
            "median": statistics.median(values) if values else None,
            "min": min(values, default=None), "max": max(values, default=None)}


def study_stats(runs: Sequence[Mapping[str, Any]], budgets: Sequence[int]) -> dict[str, Any]:
    """Per budget: searched (mean/std over seeds, params, in-window count, percentile of the mean and of
    each seed among the in-budget random networks), random (summary), the discretisation gap of each
    searched run and Kendall's tau between one-shot estimates and retrained PSNR; plus the tau pooled
    over budgets and the published runs' PSNR."""
    by_id = {r["id"]: r for r in runs}
    out: dict[str, Any] = {"set": next(iter(runs[0]["sets"])) if runs else None, "budgets": {}}
    pooled_x: list[float] = []
    pooled_y: list[float] = []
    for b in budgets:
        searched = [r for r in runs if r["kind"] == "searched" and r["budget"] == b]
        random_ = [r for r in runs if r["kind"] == "random" and r["budget"] == b]
        s_psnr, r_psnr = [first_set(r) for r in searched], [first_set(r) for r in random_]
        s_sum = _summary(s_psnr)
        pairs = [(o["psnr"], first_set(by_id[o["id"]])) for r in searched[:1] for o in r["oneshot"]
                 if o["id"] in by_id]
        pooled_x += [p[0] for p in pairs]
        pooled_y += [p[1] for p in pairs]
        gaps = [dict(id=r["id"], **{k: r["supernet"][k] for k in ("supernet_psnr", "inherited_psnr",
                                                                   "inherited_folded_psnr", "gap")},
                     retrained_psnr=first_set(r)) for r in searched]
        out["budgets"][str(b)] = {
            "searched": {**s_sum, "params": [r["params"] for r in searched],
                         "in_window": sum(bool(r["in_window"]) for r in searched),
                         "percentile_of_mean": percentile(s_sum["mean"], r_psnr) if searched else None,
                         "percentile_per_seed": {r["id"]: percentile(first_set(r), r_psnr) for r in searched}},
            "random": {**_summary(r_psnr), "params": [r["params"] for r in random_]},
            "gap": {"runs": gaps, "mean": statistics.fmean(g["gap"] for g in gaps) if gaps else None},
            "oneshot": {"n": len(pairs), "kendall_tau": kendall_tau(*zip(*pairs)) if pairs else None,
                        "supernet": searched[0]["id"] if searched else None},
        }
    out["oneshot_pooled"] = {"n": len(pooled_x), "kendall_tau": kendall_tau(pooled_x, pooled_y)}
    out["published"] = {r["id"]: {"psnr": first_set(r), "params": r["params"]} for r in runs
                        if r["kind"] == "published"}
    return out
