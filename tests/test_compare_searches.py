"""Two search methods compared on the same random networks (`tinysr.study.compare`, benchmarks/compare_searches.py),
on hand-made study folders whose numbers are known."""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from tinysr.study.compare import adoption, compare_studies, comparison_sentence, final_top_probs, settled_from

ROOT = Path(__file__).resolve().parents[1]
RECIPE = {"epochs": 20, "steps_per_epoch": 85}


def _history(ops_by_step: list[tuple[int, list[str]]], top: list[float]) -> list[dict]:
    recs = []
    for step, ops in ops_by_step:
        rows = [[p] + [(1 - p) / 8] * 8 for p in top]
        recs.append({"step": step, "genotype": {"ops": ops}, "alpha": rows, "loss": 0.1})
    return recs


def test_settled_from_is_the_first_step_of_the_final_run_of_ops():
    a, b = ["conv_3x3"] * 3, ["conv_5x5"] * 3
    assert settled_from(_history([(5, a), (10, b), (15, a), (20, a)], [0.5] * 3)) == 15
    assert settled_from(_history([(5, a), (10, a)], [0.5] * 3)) == 5        # decided from the first record
    assert settled_from(_history([(5, a), (10, b)], [0.5] * 3)) == 10       # changed at the very end
    assert settled_from([{"step": 1, "loss": 0.2}]) is None
    assert final_top_probs(_history([(5, a)], [0.9, 0.5, 0.2])) == pytest.approx([0.9, 0.5, 0.2])
    per_cell = [{"step": 1, "genotype": {"ops": a}, "alpha": [[[0.1] * 9], [[0.2] * 9]]}]
    assert final_top_probs(per_cell) == pytest.approx([0.1])


def _study(root: Path, searched: list[float], rand: list[float], top: float, settle: int) -> Path:
    runs = []
    for i, s in enumerate(searched):
        rid = f"searched-b100000-s{i}"
        runs.append({"id": rid, "kind": "searched", "budget": 100000, "seed": i, "genotype": {"ops": ["conv_3x3"] * 3},
                     "params": 99000, "in_window": True, "sets": {"Set5": {"psnr": s, "images": 5}},
                     "config": {"train": RECIPE}})
        hist = _history([(5, ["conv_5x5"] * 3), (settle, ["conv_3x3"] * 3), (350, ["conv_3x3"] * 3)], [top] * 3)
        (root / "runs" / rid / "search").mkdir(parents=True)
        (root / "runs" / rid / "search" / "history.json").write_text(json.dumps(hist))
    runs += [{"id": f"random-b100000-{i}", "kind": "random", "budget": 100000, "seed": 0, "genotype": {"ops": []},
              "params": 100000, "in_window": True, "sets": {"Set5": {"psnr": r, "images": 5}},
              "config": {"train": RECIPE}} for i, r in enumerate(rand)]
    study = {"preset": "laptop", "sets": ["Set5"], "scale": 2, "width": 24, "cells": 4, "runs": runs,
             "seeds": list(range(len(searched)))}
    (root / "study.json").write_text(json.dumps(study))
    return root


def test_compare_reports_each_method_and_the_difference(tmp_path):
    rand = [31.80, 31.85, 31.87, 31.89, 31.83, 31.86]
    a = _study(tmp_path / "hard", [31.90, 31.91, 31.92, 31.93], rand, 0.8, 100)
    b = _study(tmp_path / "single", [31.80, 31.81, 31.82, 31.83], rand, 0.6, 200)
    out = compare_studies(a, b, 100000, ("hard-gumbel", "single-path"))
    d = out["single-path - hard-gumbel"]
    assert d["diff_db"] == pytest.approx(-0.10) and d["ci95"][1] < 0 and d["n"] == [4, 4]
    assert d["p_value_two_sided"] == pytest.approx(2 / 70)                   # exact: 1 of C(8, 4) relabellings each way
    hard, single = out["methods"]["hard-gumbel"], out["methods"]["single-path"]
    assert out["same_random_networks"] and hard["vs_random"]["n_random"] == 6
    assert hard["vs_random"]["diff_db"] == pytest.approx(statistics.fmean([31.90, 31.91, 31.92, 31.93])
                                                        - statistics.fmean(rand))
    assert hard["settled_from_median"] == 100 and single["settled_from_median"] == 200
    assert hard["min_top_prob_mean"] == pytest.approx(0.8) and single["distinct_genotypes"] == 1
    assert comparison_sentence(out).startswith("Single-path finds worse networks than hard-gumbel: single-path - "
                                               "hard-gumbel = -0.100 dB (95% interval")
    assert adoption(out) == {**adoption(out), "decides": True, "not_worse": False, "holds": False}
    close = compare_studies(a, _study(tmp_path / "close", [31.93, 31.88, 31.95, 31.86], rand, 0.4, 200),
                            100000, ("hard-gumbel", "single-path"))
    assert close["single-path - hard-gumbel"]["p_value_two_sided"] >= 0.05
    words = comparison_sentence(close)
    assert words.startswith("No difference detected between hard-gumbel and single-path")
    assert "would have been seen" in words
    assert adoption(close)["not_worse"] and not adoption(close)["decides"] and adoption(close, 0.4)["holds"]
    other = _study(tmp_path / "other", [31.8, 31.9], rand, 0.5, 10)
    s = json.loads((other / "study.json").read_text())
    s["runs"][0]["config"]["train"] = {"epochs": 5}
    (other / "study.json").write_text(json.dumps(s))
    with pytest.raises(ValueError, match="recipes"):
        compare_studies(a, other, 100000)


def test_the_script_writes_its_command_and_no_machine_path(tmp_path):
    rand = [31.80, 31.85, 31.87, 31.89]
    a = _study(tmp_path / "hard", [31.90, 31.91], rand, 0.8, 100)
    b = _study(tmp_path / "single", [31.80, 31.81], rand, 0.6, 200)
    dest = tmp_path / "cmp.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare_searches.py"), str(a), str(b),
                           "--names", "hard-gumbel,single-path", "--write", str(dest)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    shipped = json.loads(dest.read_text())
    assert shipped["command"].startswith("python benchmarks/compare_searches.py hard single")
    assert shipped["studies"] == ["hard", "single"] and str(tmp_path) not in dest.read_text()
    bad = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare_searches.py"), str(a), str(tmp_path)],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "holds no study.json" in bad.stderr


def test_a_running_study_is_read_from_its_partial_file_and_labelled(tmp_path):
    rand = [31.80, 31.85, 31.87, 31.89]
    a = _study(tmp_path / "hard", [31.90, 31.91], rand, 0.8, 100)
    b = _study(tmp_path / "single", [31.80, 31.81], rand, 0.6, 200)
    assert compare_studies(a, b, 100000)["complete"]                    # study.json: finished
    s = json.loads((b / "study.json").read_text())
    (b / "study.json").unlink()
    (b / "study-partial.json").write_text(json.dumps({**s, "complete": False, "jobs_done": 6, "jobs_planned": 42}))
    out = compare_studies(a, b, 100000, ("hard-gumbel", "single-path"))
    assert not out["complete"] and out["methods"]["hard-gumbel"]["complete"]
    assert out["searched_complete"] and adoption(out)["final"]           # the seeds are in: B - A is final
    assert not comparison_sentence(out).startswith("PARTIAL")
    s["seeds"] = [0, 1, 2]                                              # a third search seed still runs
    (b / "study-partial.json").write_text(json.dumps({**s, "complete": False, "jobs_done": 6, "jobs_planned": 42}))
    out = compare_studies(a, b, 100000, ("hard-gumbel", "single-path"))
    assert comparison_sentence(out).startswith("PARTIAL (searches still run): ") and not adoption(out)["final"]
    assert (out["methods"]["single-path"]["jobs_done"], out["methods"]["single-path"]["jobs_planned"]) == (6, 42)
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare_searches.py"), str(a), str(b)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and "PARTIAL: a study still runs (A 6 of 6, B 6 of 42 jobs done)" in done.stderr
    (b / "study-partial.json").unlink()
    with pytest.raises(FileNotFoundError, match="nor study-partial.json"):
        compare_studies(a, b, 100000)
