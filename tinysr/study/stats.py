"""The study's statistics, one number at a time: the judged score, percentiles, Kendall's tau and its interval.

Definitions:

- ``percentile`` of a value among the random networks: ``100 * (#below + #equal / 2) / n`` (mid-rank);
- ``std``: the sample standard deviation over seeds (``None`` with one seed);
- the rank correlation is Kendall's tau-b (ties handled): ``(C - D) / sqrt((n0 - n1)(n0 - n2))`` over
  all pairs, with ``C``/``D`` the concordant/discordant pairs, ``n0 = n(n-1)/2`` and ``n1``/``n2`` the pairs
  tied in x/y; ``None`` when undefined (fewer than 2 points or a constant list);
- a standard deviation estimated with ``df`` degrees of freedom has the 95% interval
  ``s * sqrt(df / chi2_0.975(df)) .. s * sqrt(df / chi2_0.025(df))`` (normal scores): with 3 degrees of freedom
  it spans 0.57x to 3.7x the estimate, which is why a noise floor from a few seeds is a rough number.
"""
from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["kendall_tau", "percentile", "first_set", "score", "summary", "bootstrap_tau", "chi2_quantile",
           "std_ci95"]


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


def summary(values: Sequence[float]) -> dict[str, Any]:
    return {"n": len(values), "mean": statistics.fmean(values) if values else None,
            "std": statistics.stdev(values) if len(values) > 1 else None,
            "median": statistics.median(values) if values else None,
            "min": min(values, default=None), "max": max(values, default=None)}


def score(run: Mapping[str, Any]) -> float:
    """The judged score of a run entry: mean PSNR-Y over every image of its evaluation sets together (each
    set's mean weighted by its image count; Set5 + Set14 + B100: 119 images), in dB."""
    sets = run["sets"].values()
    return sum(s["psnr"] * s["images"] for s in sets) / sum(s["images"] for s in sets)


def bootstrap_tau(pairs: Sequence[Sequence[float]], stat: Callable[[Sequence[Sequence[float]]], float | None] | None
                  = None, *, n_boot: int = 2000, seed: int = 0) -> tuple[float, float] | None:
    """95% percentile interval of ``stat`` (default: Kendall tau-b of columns 0 and 1) over bootstrap
    resamples of the rows of ``pairs`` (networks drawn with replacement); resamples where it is undefined
    are dropped. ``None`` with fewer than 3 rows."""
    if len(pairs) < 3:
        return None
    stat = stat or (lambda rows: kendall_tau([r[0] for r in rows], [r[1] for r in rows]))
    rng = random.Random(seed)
    values = sorted(v for v in (stat([rng.choice(pairs) for _ in pairs]) for _ in range(n_boot)) if v is not None)
    if not values:
        return None
    return values[int(0.025 * (len(values) - 1))], values[int(math.ceil(0.975 * (len(values) - 1)))]


def _chi2_cdf(x: float, df: float) -> float:
    """P(chi2_df <= x): the regularised lower incomplete gamma P(df/2, x/2) by its power series."""
    a, z = df / 2, x / 2
    if z <= 0:
        return 0.0
    term = total = 1 / a
    k = 0
    while term > 1e-15 * total:
        k += 1
        term *= z / (a + k)
        total += term
    return min(1.0, math.exp(a * math.log(z) - z - math.lgamma(a)) * total)


def chi2_quantile(p: float, df: float) -> float:
    """The ``p`` quantile (0 < p < 1) of the chi-square distribution with ``df`` > 0 degrees of freedom, by
    bisection of its CDF (to 1e-12 relative): enough for the intervals here, without scipy."""
    if not (0 < p < 1 and df > 0):
        raise ValueError(f"chi2_quantile needs 0 < p < 1 and df > 0; got p={p}, df={df}")
    lo, hi = 0.0, max(1.0, df)
    while _chi2_cdf(hi, df) < p:
        hi *= 2
    while hi - lo > 1e-12 * hi:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _chi2_cdf(mid, df) < p else (lo, mid)
    return (lo + hi) / 2


def std_ci95(std: float, df: int) -> tuple[float, float] | None:
    """95% interval of a standard deviation ``std`` estimated with ``df`` degrees of freedom (module docstring);
    ``None`` when ``df`` < 1."""
    if df < 1:
        return None
    return std * math.sqrt(df / chi2_quantile(0.975, df)), std * math.sqrt(df / chi2_quantile(0.025, df))
