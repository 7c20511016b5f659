"""Measured numbers in words that claim no more than their intervals: rank correlations, seed noise, a judge.

The rule everywhere: an interval decides the words, never the point estimate alone. A rank correlation
"ranks as the judge does" only when its whole 95% interval is above 0 and "AGAINST" only when it is below 0; a
judge "holds" (or reaches a threshold) only when its interval's lower end does; several intervals read together
come with how many would exclude 0 by chance alone. The README's findings (:mod:`tinysr.study.findings`) and
chapters 08 and 09 print these sentences, so all three say the same thing about the same numbers.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .stats import std_ci95

__all__ = ["tau_sentence", "chance_sentence", "noise_sentence", "reproducibility_sentence", "agreement_sentence"]


def tau_sentence(name: str, v: Mapping[str, Any]) -> str:
    """One rank correlation ``{"tau", "ci95", "n"}`` in words (module docstring); with no interval (fewer than
    3 networks) it says so instead of judging."""
    if v["tau"] is None:
        return f"{name}: undefined over {v['n']} networks"
    if v["ci95"] is None:
        return f"{name}: tau {v['tau']:+.2f} over {v['n']} networks, too few for an interval"
    lo, hi = v["ci95"]
    verdict = ("ranks the networks as the judge does (the interval is above 0)" if lo > 0 else
               "ranks them AGAINST the judge (the interval is below 0)" if hi < 0 else
               "cannot be told from a coin here (the interval contains 0)")
    return f"{name}: tau {v['tau']:+.2f}, 95% interval {lo:+.2f} .. {hi:+.2f} over {v['n']} networks: {verdict}"


def chance_sentence(intervals: Sequence[Sequence[float]]) -> str:
    """How many of several 95% intervals exclude 0, against how many would by chance alone if no judge carried
    any signal: each one time in 20, at least one with probability 1 - 0.95^k when they are independent."""
    k = len(intervals)
    if k == 0:
        return "no intervals to read"
    excluding = sum(lo > 0 or hi < 0 for lo, hi in intervals)
    verb = "excludes" if excluding == 1 else "exclude"
    return (f"{excluding} of {k} intervals {verb} 0; were every judge a coin, about {0.05 * k:.1f} would by chance "
            f"alone (at least one with probability {1 - 0.95 ** k:.0%}, if independent)")


def noise_sentence(noise: Mapping[str, Any]) -> str:
    """A recipe's seed noise (``judge_report``'s ``noise``) with its interval and what it rests on."""
    seeds = noise.get("seeds") or {}
    df = noise.get("df", sum(n - 1 for n in seeds.values() if n > 1))
    if noise.get("std_db") is None or not df:
        return "its seed noise is not measured yet (no network has two seeds)"
    lo, hi = noise.get("ci95") or std_ci95(noise["std_db"], df)
    return (f"its seed noise is {noise['std_db']:.3f} dB (95% interval {lo:.3f} .. {hi:.3f} dB: {df} degrees of "
            f"freedom, from {sum(n > 1 for n in seeds.values())} networks with up to {max(seeds.values())} seeds)")


def reproducibility_sentence(recipe: Mapping[str, Any]) -> str:
    """A recipe's seed noise, then its rank reproducibility (tau between two of its seeds) in words: "too few"
    while compared on fewer networks than the recipe has, else "holds" only when the whole interval is at or
    above 0.6, "better than chance" when it is above 0."""
    tau, n, total = recipe["reproducibility_tau"], recipe["reproducibility_n"], recipe["n_networks"]
    ci = recipe.get("reproducibility_ci95")
    head = noise_sentence(recipe["noise"])
    if tau is None or ci is None or n < total:
        shown = "undefined" if tau is None else f"{tau:+.2f}"
        return (f"{head}; two of its seeds are compared on only {n} of the {total} networks so far (tau {shown}), "
                "too few to say how well it ranks them")
    lo, hi = ci
    holds = ("holds (the interval is above 0.6)" if lo >= 0.6 else
             "reproduces better than chance (the interval is above 0) but is not shown to reach 0.6" if lo > 0 else
             "cannot be told from chance (the interval contains 0)")
    return (f"{head}; two of its seeds rank all {n} networks at tau {tau:+.2f} (95% interval {lo:+.2f} .. "
            f"{hi:+.2f}): its ranking {holds}")


def agreement_sentence(name: str, recipe: Mapping[str, Any], threshold: float) -> str:
    """A cheaper recipe's agreement with the full recipe (tau, interval) against the ``threshold`` a cheaper judge
    needs: "reaches" only when the whole interval is at or above it, "falls short of" only when it is below."""
    tau, ci = recipe.get("agreement_tau"), recipe.get("agreement_ci95")
    if tau is None or ci is None:
        return f"`{name}` of the steps: agreement with the full recipe not measured yet"
    lo, hi = ci
    where = "reaches" if lo >= threshold else "falls short of" if hi < threshold else "is not shown to reach"
    chance = ", and cannot be told from chance (the interval contains 0)" if lo <= 0 <= hi else ""
    return (f"`{name}` of the steps agrees with the full recipe at tau {tau:+.2f} (95% interval {lo:+.2f} .. "
            f"{hi:+.2f}, {recipe['agreement_n']} networks), which {where} the {threshold} a cheaper judge needs"
            f"{chance}")
