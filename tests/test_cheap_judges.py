"""benchmarks/cheap_judges.py on a hand-made study: every cheap judge within one budget, the across-budget contrast
from another study when this one has a single budget, and a partial study labelled as such."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import tinysr
from tinysr.study import feasible_range, sample_in_budget

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "cheap_judges.py"


def _study(path: Path, budgets: list[int], per_budget: int, complete: bool, searched: bool = False) -> Path:
    cfg = tinysr.preset("smoke")
    width, cells, scale = cfg.search.channels, cfg.search.cells, cfg.data.scale
    runs = []
    for budget in budgets:
        for i, g in enumerate(sample_in_budget(budget, per_budget, width, cells, scale, seed=budget)):
            params = tinysr.count_params(tinysr.DLSRNet(g, scale))
            runs.append({"id": f"random-b{budget}-{i}", "kind": "random", "budget": budget, "genotype": g.to_dict(),
                         "params": params, "multi_adds": params * 1000, "config": cfg.to_dict(),
                         "sets": {"Set5": {"psnr": 30.0 + params / 1e5, "images": 5}}, "oneshot": []})
    if searched:                     # a searched network whose supernet estimated the random ones (reversed)
        g = sample_in_budget(budgets[0], 1, width, cells, scale, seed=7)[0]
        rand = [r for r in runs if r["budget"] == budgets[0]]
        runs.append({**rand[0], "id": f"searched-b{budgets[0]}-s0", "kind": "searched", "genotype": g.to_dict(),
                     "oneshot": [{"id": r["id"], "psnr": -r["sets"]["Set5"]["psnr"]} for r in rand]})
    study = {"budgets": budgets, "sets": ["Set5"], "runs": runs, "complete": complete,
             "jobs_done": len(runs), "jobs_planned": len(runs) + (0 if complete else 3)}
    path.write_text(json.dumps(study))
    return path


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args, "--seeds", "1", "--batch", "2", "--json"],
                          capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def budgets() -> list[int]:
    cfg = tinysr.preset("smoke")
    lo, hi = feasible_range(cfg.search.channels, cfg.search.cells, cfg.data.scale)
    return [int(lo * 1.5), int(hi / 1.5)]


def test_one_budget_study_needs_another_for_the_across_budget_contrast(tmp_path, budgets):
    one = _study(tmp_path / "one.json", budgets[:1], 4, complete=False, searched=True)
    refused = _run(str(one), "--budget", str(budgets[0]))
    assert refused.returncode != 0 and "give --across a study of several budgets" in refused.stderr
    wide = _study(tmp_path / "wide.json", budgets, 3, complete=True)
    done = _run(str(one), "--budget", str(budgets[0]), "--across", str(wide))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["complete"] is False and out["jobs_done"] == 5 and out["jobs_planned"] == 8
    assert out["n_random"] == 4 and out["n_searched"] == 1 and out["networks"] == 5
    (oneshot,) = out["oneshot"]           # the supernet's estimates order the 4 random networks in reverse
    assert oneshot["supernet"] == f"searched-b{budgets[0]}-s0" and oneshot["n"] == 4
    assert oneshot["tau"] == pytest.approx(-1.0)
    assert out["across_budgets"]["study"] == "wide.json" and out["across_budgets"]["params"]["n"] == 6
    assert out["across_budgets"]["judge"].startswith("retrained ") and "Set5" in out["across_budgets"]["judge"]
    assert out["proxies"]["params"]["n"] == 5 and set(out["proxies"]) >= {"grad_norm", "synflow", "naswot"}
    # the hand-made judged score grows with size, so parameters rank the pooled networks perfectly
    assert out["across_budgets"]["params"]["tau"] == pytest.approx(1.0)
