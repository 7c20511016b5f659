"""The study's judge: which retraining recipe ranks networks as the full one does, and how noisy it is.

A study compares tens of networks, so each is retrained with a recipe cheaper than the preset's own. Its
verdict is only as good as that recipe's ranking, which is measured here, not assumed:

- **recipes** (:data:`RECIPES`): the preset's retraining schedule with its steps per epoch scaled by a
  fraction (epochs, milestones, learning rate, batch and patch unchanged), so ``"1/4"`` is the same lesson
  at a quarter of the steps;
- **score** (:func:`pooled_psnr`): the mean PSNR-Y over every image of the evaluation sets together
  (Set5 + Set14 + B100: 119 images), not Set5's five;
- **noise floor** (:func:`noise_floor`): the sample std over seeds of one network's score, pooled over
  networks (each network's variance weighted by its degrees of freedom, seeds - 1), with its 95% interval;
- **reproducibility**: Kendall's tau-b between two seeds of the same recipe over the same networks;
- **agreement**: Kendall's tau-b between a recipe (each of its seeds, averaged) and the full recipe, with a
  bootstrap 95% interval over networks (:func:`tinysr.study.stats.bootstrap_tau`).

:func:`judge_report` turns the trainings' result entries into these numbers and picks the cheapest
recipe whose agreement is at least :data:`AGREEMENT_MIN` (else the full recipe).
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from ..config import Config
from .stats import bootstrap_tau, kendall_tau, std_ci95

__all__ = ["RECIPES", "AGREEMENT_MIN", "recipe_overrides", "pooled_psnr", "noise_floor", "judge_report"]

#: recipe name -> share of the preset's retraining steps (every other setting of ``train`` kept)
RECIPES: dict[str, Fraction] = {"1/8": Fraction(1, 8), "1/4": Fraction(1, 4), "1/2": Fraction(1, 2),
                                "full": Fraction(1)}
AGREEMENT_MIN = 0.6          # the judge must rank as the full recipe does at least this well (Kendall tau-b)


def recipe_overrides(cfg: Config, recipe: str) -> dict[str, Any]:
    """The ``--set`` overrides that make ``cfg``'s retraining the recipe ``recipe`` (``{}`` for ``"full"``):
    ``train.steps_per_epoch`` scaled by the recipe's share, rounded, at least 1."""
    if recipe not in RECIPES:
        raise ValueError(f"recipe {recipe!r} is not known; choose one of {', '.join(RECIPES)}")
    share = RECIPES[recipe]
    if share == 1:
        return {}
    return {"train.steps_per_epoch": max(1, round(cfg.train.steps_per_epoch * share))}


def pooled_psnr(entry: Mapping[str, Any]) -> float:
    """Mean PSNR-Y over every image of ``entry["sets"]`` together (each set's mean weighted by its image
    count), in dB."""
    sets = entry["sets"].values()
    n = sum(s["images"] for s in sets)
    return sum(s["psnr"] * s["images"] for s in sets) / n


def noise_floor(scores_by_network: Mapping[str, Sequence[float]]) -> dict[str, Any]:
    """Seed noise, in dB: the per-network sample std (networks with >= 2 seeds) and the pooled std over them,
    ``sqrt(sum((n_i - 1) s_i^2) / df)`` with ``df = sum(n_i - 1)`` degrees of freedom, and its 95% interval
    (:func:`tinysr.study.stats.std_ci95`): a few seeds give a rough number, and the interval says how rough."""
    many = {k: v for k, v in scores_by_network.items() if len(v) >= 2}
    stds = {k: statistics.stdev(v) for k, v in many.items()}
    df = sum(len(v) - 1 for v in many.values())
    pooled = math.sqrt(sum((len(many[k]) - 1) * s * s for k, s in stds.items()) / df) if df else None
    return {"std_db": pooled, "df": df, "ci95": std_ci95(pooled, df) if df else None, "per_network": stds,
            "seeds": {k: len(v) for k, v in scores_by_network.items()}}


def _tau_mean(rows: Sequence[Sequence[float]]) -> float | None:
    """Mean over the columns 1.. of Kendall's tau-b of column k against column 0 (the full recipe)."""
    taus = [kendall_tau([r[0] for r in rows], [r[k] for r in rows]) for k in range(1, len(rows[0]))]
    taus = [t for t in taus if t is not None]
    return statistics.fmean(taus) if taus else None


def judge_report(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The judge's numbers from training entries ``{"network", "recipe", "seed", "score"}`` (score: pooled
    PSNR, dB). Per recipe: networks, seeds, noise floor (every seed of every network), reproducibility tau (the
    recipe's two lowest seeds, over the networks that have both) and agreement with the full recipe's lowest
    seed (tau averaged over the recipe's *ranking seeds*, those at least half of its networks have, over the
    networks that have them all, with a bootstrap interval). The extra seeds a few networks get for the noise
    floor do not shrink the ranked set, and a network still being trained (missing a ranking seed) counts in
    the noise floor only. ``recipe``: the cheapest recipe with agreement >= AGREEMENT_MIN, else ``"full"``."""
    table: dict[str, dict[str, dict[int, float]]] = {}
    for e in entries:
        table.setdefault(e["recipe"], {}).setdefault(e["network"], {})[int(e["seed"])] = float(e["score"])
    full = {net: min(seeds.items())[1] for net, seeds in table.get("full", {}).items()}
    out: dict[str, Any] = {}
    for name in sorted(table, key=lambda r: RECIPES[r]):
        every = table[name]
        seeds = sorted({s for v in every.values() for s in v})
        ranking = [s for s in seeds if 2 * sum(s in v for v in every.values()) >= len(every)]
        pair = [n for n, v in every.items() if len(seeds) >= 2 and seeds[0] in v and seeds[1] in v]
        repro = kendall_tau([every[n][seeds[0]] for n in pair], [every[n][seeds[1]] for n in pair]) \
            if len(pair) >= 2 else None
        agree_rows = [[full[n]] + [v[s] for s in ranking] for n, v in every.items()
                      if n in full and ranking and all(s in v for s in ranking)]
        agreement = None if name == "full" or len(agree_rows) < 2 else _tau_mean(agree_rows)
        out[name] = {"share": str(RECIPES[name]), "n_networks": len(every), "seeds": seeds, "ranking_seeds": ranking,
                     "noise": noise_floor({n: list(v.values()) for n, v in every.items()}),
                     "reproducibility_tau": repro, "reproducibility_n": len(pair),
                     "reproducibility_ci95": bootstrap_tau([[every[n][seeds[0]], every[n][seeds[1]]] for n in pair])
                     if len(pair) >= 3 else None,
                     "agreement_tau": agreement, "agreement_n": len(agree_rows),
                     "agreement_ci95": None if agreement is None else bootstrap_tau(agree_rows, _tau_mean)}
    chosen = next((r for r in out if r != "full" and out[r]["agreement_tau"] is not None
                   and out[r]["agreement_tau"] >= AGREEMENT_MIN), "full")
    return {"recipes": out, "recipe": chosen, "agreement_min": AGREEMENT_MIN}
