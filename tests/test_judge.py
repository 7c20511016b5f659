"""The judge's numbers (tinysr.study.judge.judge_report) on hand-made scores: noise floor, two-seed
reproducibility, agreement with the full recipe, the recipe it picks, and a network still being trained."""
from __future__ import annotations

import math
import statistics

import pytest

from tinysr.config import preset
from tinysr.study.judge import AGREEMENT_MIN, judge_report, recipe_overrides

FULL = {"a": 31.0, "b": 31.1, "c": 31.2, "d": 31.3}


def _entries(quarter: dict[str, tuple[float, ...]]) -> list[dict]:
    out = [{"network": n, "recipe": "full", "seed": 0, "score": s} for n, s in FULL.items()]
    out += [{"network": n, "recipe": "1/4", "seed": k, "score": s} for n, ss in quarter.items()
            for k, s in enumerate(ss)]
    return out


def test_a_judge_that_ranks_as_the_full_recipe_is_chosen():
    quarter = {"a": (30.0, 30.01), "b": (30.1, 30.12), "c": (30.2, 30.19), "d": (30.3, 30.33)}
    r = judge_report(_entries(quarter))
    q = r["recipes"]["1/4"]
    assert q["reproducibility_tau"] == 1.0 and q["agreement_tau"] == 1.0 and r["recipe"] == "1/4"
    rms = math.sqrt(statistics.fmean(statistics.stdev(v) ** 2 for v in quarter.values()))
    assert q["noise"]["std_db"] == pytest.approx(rms)


def test_a_judge_that_disagrees_is_not_chosen():
    quarter = {"a": (30.3, 30.2), "b": (30.2, 30.3), "c": (30.1, 30.0), "d": (30.0, 30.1)}
    r = judge_report(_entries(quarter))
    q = r["recipes"]["1/4"]
    # seed 0 ranks d<c<b<a against the full a<b<c<d: tau -1; seed 1 c<d<a<b: (2 concordant - 4 discordant) / 6
    assert q["agreement_tau"] == pytest.approx((-1.0 + (2 - 4) / 6) / 2)
    assert q["agreement_tau"] < AGREEMENT_MIN and r["recipe"] == "full"


def test_a_network_still_in_training_counts_in_the_noise_floor_only():
    whole = {"a": (30.0, 30.01), "b": (30.1, 30.12), "c": (30.2, 30.19)}
    r = judge_report(_entries({**whole, "d": (29.0,)}))       # d has one of its two seeds so far
    q = r["recipes"]["1/4"]
    assert q["n_networks"] == 4 and q["reproducibility_n"] == 3 and q["reproducibility_tau"] == 1.0
    assert q["agreement_n"] == 3 and q["agreement_tau"] == 1.0     # d's low first seed does not enter


def test_recipes_scale_the_steps_only():
    cfg = preset("laptop")
    assert recipe_overrides(cfg, "1/4")["train.steps_per_epoch"] == round(cfg.train.steps_per_epoch / 4)
    with pytest.raises(ValueError, match="recipe '1/3' is not known"):
        recipe_overrides(cfg, "1/3")


def test_extra_noise_seeds_of_a_few_networks_do_not_shrink_the_ranking():
    """The judge's design: every network gets seeds 0 and 1, the first few get seeds 2 and 3 for the noise floor.
    Ranking uses seeds 0 and 1 over all networks; the extra seeds enter the noise floor."""
    quarter = {"a": (30.0, 30.01, 30.05, 29.95), "b": (30.1, 30.12), "c": (30.2, 30.19), "d": (30.3, 30.33)}
    r = judge_report(_entries(quarter))
    q = r["recipes"]["1/4"]
    assert q["ranking_seeds"] == [0, 1] and q["reproducibility_n"] == 4 and q["agreement_n"] == 4
    assert q["reproducibility_tau"] == 1.0 and q["agreement_tau"] == 1.0
    assert q["noise"]["seeds"]["a"] == 4 and q["noise"]["per_network"]["a"] == pytest.approx(
        statistics.stdev(quarter["a"]))
    # the full recipe with a second seed for one network: no ranking seed beyond 0, reproducibility over n = 1
    entries = _entries(quarter) + [{"network": "a", "recipe": "full", "seed": 1, "score": 31.02}]
    f = judge_report(entries)["recipes"]["full"]
    assert f["ranking_seeds"] == [0] and f["reproducibility_n"] == 1 and f["reproducibility_tau"] is None
    assert f["noise"]["per_network"]["a"] == pytest.approx(statistics.stdev([31.0, 31.02]))


def test_the_noise_floor_pools_variances_by_their_degrees_of_freedom():
    quarter = {"a": (30.0, 30.04, 30.08, 29.96), "b": (30.1, 30.12), "c": (30.2, 30.19), "d": (30.3,)}
    noise = judge_report(_entries(quarter))["recipes"]["1/4"]["noise"]
    ss = sum((len(v) - 1) * statistics.variance(v) for v in quarter.values() if len(v) > 1)
    assert noise["df"] == 3 + 1 + 1 and noise["std_db"] == pytest.approx(math.sqrt(ss / 5))
    lo, hi = noise["ci95"]            # chi-square with 5 degrees of freedom: 0.831211 and 12.832502 (tables)
    assert lo == pytest.approx(noise["std_db"] * math.sqrt(5 / 12.832502), rel=1e-6)
    assert hi == pytest.approx(noise["std_db"] * math.sqrt(5 / 0.831211), rel=1e-6)
    alone = judge_report(_entries({"a": (30.0,), "b": (30.1,)}))["recipes"]["1/4"]["noise"]
    assert alone["std_db"] is None and alone["df"] == 0 and alone["ci95"] is None

