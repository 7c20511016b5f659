"""Does the search beat random networks of its budget? The difference, its interval, its test, its power.

Inputs are judged scores (dB, higher is better) of the searched networks (one per search seed) and of the
random networks of one budget. Reported:

- ``diff_db``: mean(searched) - mean(random);
- ``ci95``: a 95% bootstrap percentile interval of that difference (searched and random resampled
  separately, with replacement); with fewer than :data:`BOOTSTRAP_MIN` networks on a side it can only resample
  a handful of values and comes out too narrow, which the sentence says;
- ``p_value``: a one-sided permutation test of "searched > random": the share of relabellings of the pooled
  scores (``n_searched`` of them called searched) whose difference is at least the observed one -- exact
  over all relabellings when there are at most :data:`EXACT_MAX`, else Monte Carlo (with the observed
  labelling counted, so p > 0);
- ``mde_db``: the smallest true difference this design detects with 80% power at a one-sided 5% level,
  ``(z_0.95 + z_0.80) * s * sqrt(1/n_s + 1/n_r)`` with ``s`` the pooled sample standard deviation (a normal
  approximation);
- ``percentiles``: each searched network's mid-rank percentile among the random ones.

:func:`verdict_sentence` turns a verdict into the words the study, the report and chapter 08 print: "the search
beats random" only when ``p_value < ALPHA``; otherwise "no difference detected", with the difference the design
would have seen.
"""
from __future__ import annotations

import itertools
import math
import random
import statistics
from collections.abc import Sequence
from typing import Any

from .stats import percentile

__all__ = ["ALPHA", "POWER", "EXACT_MAX", "BOOTSTRAP_MIN", "verdict", "verdict_sentence", "permutation_p",
           "bootstrap_diff", "mde"]

ALPHA = 0.05
POWER = 0.8
EXACT_MAX = 200_000
BOOTSTRAP_MIN = 5      # below this many networks on a side, a percentile bootstrap of a mean is too narrow
_Z = statistics.NormalDist()


def _diff(a: Sequence[float], b: Sequence[float]) -> float:
    return statistics.fmean(a) - statistics.fmean(b)


def permutation_p(searched: Sequence[float], rand: Sequence[float], *, n_perm: int = 20_000, seed: int = 0) -> float:
    """One-sided permutation p-value of mean(searched) - mean(random) (module docstring)."""
    pooled, k = list(searched) + list(rand), len(searched)
    observed = _diff(searched, rand) - 1e-12 * (1 + abs(_diff(searched, rand)))   # ties count as "at least"
    total = sum(pooled)
    n = len(pooled)

    def diff_of(chosen_sum: float) -> float:
        return chosen_sum / k - (total - chosen_sum) / (n - k)

    if math.comb(n, k) <= EXACT_MAX:
        hits = count = 0
        for idx in itertools.combinations(range(n), k):
            count += 1
            hits += diff_of(sum(pooled[i] for i in idx)) >= observed
        return hits / count
    rng = random.Random(seed)
    hits = sum(diff_of(sum(rng.sample(pooled, k))) >= observed for _ in range(n_perm))
    return (hits + 1) / (n_perm + 1)


def bootstrap_diff(searched: Sequence[float], rand: Sequence[float], *, n_boot: int = 10_000,
                   seed: int = 0) -> tuple[float, float]:
    """95% percentile bootstrap interval of mean(searched) - mean(random)."""
    rng = random.Random(seed)
    diffs = sorted(_diff(rng.choices(searched, k=len(searched)), rng.choices(rand, k=len(rand)))
                   for _ in range(n_boot))
    return diffs[int(0.025 * (n_boot - 1))], diffs[int(math.ceil(0.975 * (n_boot - 1)))]


def mde(searched: Sequence[float], rand: Sequence[float], alpha: float = ALPHA, power: float = POWER) -> float:
    """Minimum detectable difference (dB) of a one-sided test at ``alpha`` with ``power`` (module docstring)."""
    ns, nr = len(searched), len(rand)
    ss = (ns - 1) * statistics.variance(searched) if ns > 1 else 0.0
    sr = (nr - 1) * statistics.variance(rand) if nr > 1 else 0.0
    pooled_sd = math.sqrt((ss + sr) / max(1, ns + nr - 2))
    return (_Z.inv_cdf(1 - alpha) + _Z.inv_cdf(power)) * pooled_sd * math.sqrt(1 / ns + 1 / nr)


def verdict(searched: Sequence[float], rand: Sequence[float], *, seed: int = 0) -> dict[str, Any]:
    """The verdict of one budget (module docstring); ``ValueError`` with fewer than 2 scores on a side."""
    if len(searched) < 2 or len(rand) < 2:
        raise ValueError(f"a verdict needs at least 2 searched and 2 random scores; got {len(searched)} and "
                         f"{len(rand)}")
    return {"diff_db": _diff(searched, rand), "ci95": list(bootstrap_diff(searched, rand, seed=seed)),
            "p_value": permutation_p(searched, rand, seed=seed), "mde_db": mde(searched, rand),
            "n_searched": len(searched), "n_random": len(rand),
            "searched_mean": statistics.fmean(searched), "random_mean": statistics.fmean(rand),
            "percentiles": [percentile(s, list(rand)) for s in searched], "alpha": ALPHA, "power": POWER}


def verdict_sentence(v: dict[str, Any], budget: int | None = None) -> str:
    """The verdict in words, from the numbers: "beats" only when p < alpha (module docstring)."""
    where = f"at {budget:,} parameters, " if budget else ""
    ci = f"95% interval {v['ci95'][0]:+.3f} to {v['ci95'][1]:+.3f} dB"
    counts = f"{v['n_searched']} searched vs {v['n_random']} random networks"
    if v["p_value"] < v["alpha"]:
        text = (f"{where}the search beats random: searched - random = {v['diff_db']:+.3f} dB ({ci}; one-sided "
                f"permutation p = {v['p_value']:.3g}; {counts}).")
    else:
        text = (f"{where}no difference detected between searched and random networks: searched - random = "
                f"{v['diff_db']:+.3f} dB ({ci}; one-sided permutation p = {v['p_value']:.3g}; {counts}); a "
                f"difference of {v['mde_db']:.3f} dB or more would have been seen with {v['power']:.0%} power.")
    if min(v["n_searched"], v["n_random"]) < BOOTSTRAP_MIN:
        text += (f" With fewer than {BOOTSTRAP_MIN} networks on a side the bootstrap interval is too narrow to "
                 "trust (it resamples from a handful of values); read the permutation test.")
    return text[0].upper() + text[1:]
