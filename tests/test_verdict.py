"""The searched-vs-random verdict (`tinysr.study.verdict`) by hand: the exact permutation p, the bootstrap
interval, the detectable difference, and words that follow the test ("beats" only at p < 0.05; a warning about
the bootstrap when a side has fewer than BOOTSTRAP_MIN networks)."""
from __future__ import annotations

import math
import statistics

import pytest

from tinysr.study.verdict import BOOTSTRAP_MIN, bootstrap_diff, mde, permutation_p, verdict, verdict_sentence


def test_permutation_p_is_exact_over_every_relabelling():
    # 4 scores, 2 called searched: 6 relabellings; [3, 4] is the largest difference, so p = 1/6
    assert permutation_p([3.0, 4.0], [1.0, 2.0]) == pytest.approx(1 / 6)
    assert permutation_p([1.0, 2.0], [3.0, 4.0]) == pytest.approx(1.0)          # the smallest: every one is >=
    assert permutation_p([2.0, 3.0], [1.0, 4.0]) == pytest.approx(4 / 6)        # ties count as "at least"


def test_bootstrap_interval_and_detectable_difference():
    s, r = [31.0, 31.1, 31.2, 31.05, 31.15], [30.9, 31.0, 30.95, 31.05, 30.85, 31.0]
    lo, hi = bootstrap_diff(s, r)
    assert lo < statistics.fmean(s) - statistics.fmean(r) < hi
    pooled = math.sqrt((4 * statistics.variance(s) + 5 * statistics.variance(r)) / 9)
    assert mde(s, r) == pytest.approx((1.6448536 + 0.8416212) * pooled * math.sqrt(1 / 5 + 1 / 6), rel=1e-6)


def test_words_follow_the_test():
    far = verdict([31.5, 31.6, 31.55, 31.65, 31.7], [31.0, 31.1, 31.05, 30.95, 31.02, 31.08])
    assert far["p_value"] < 0.05 and "the search beats random" in verdict_sentence(far, 100_000)
    near = verdict([31.0, 31.1, 31.05, 30.95, 31.02], [31.0, 31.1, 31.05, 30.95, 31.02, 31.08])
    words = verdict_sentence(near)
    assert near["p_value"] >= 0.05 and "No difference detected" in words and "beats" not in words
    assert f"{near['mde_db']:.3f} dB or more would have been seen" in words
    assert "too narrow" not in words and "too narrow" not in verdict_sentence(far)


def test_a_side_with_few_networks_warns_about_the_bootstrap():
    few = verdict([31.2, 31.3], [31.0, 31.1, 31.05, 30.95, 31.02])
    assert min(few["n_searched"], few["n_random"]) < BOOTSTRAP_MIN
    assert "the bootstrap interval is too narrow to trust" in verdict_sentence(few, 150_000)
    with pytest.raises(ValueError, match="at least 2 searched and 2 random"):
        verdict([31.0], [31.0, 31.1])
