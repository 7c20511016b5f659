"""The search under torchrun (2 gloo processes on CPU): same result as one process on the same global batches,
world size recorded, indivisible batches refused, and a stop on any rank resumed to the uninterrupted result."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
ARGS = ["-m", "tinysr", "search", "--preset", "smoke", "--seed", "1", "--set", "search.batch_size=4",
        "--set", "search.alpha_lr=0.05", "--set", "search.fast=false"]


def torchrun() -> str:
    path = shutil.which("torchrun", path=os.path.dirname(sys.executable))
    if path is None:
        pytest.fail("torchrun not found next to the Python interpreter (it ships with torch)")
    return path


def run(cmd, timeout=600):
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=timeout)


def final_alpha(folder):
    return np.array(json.loads((folder / "history.json").read_text())[-1]["alpha"])


SINGLE_PATH = ["--set", "search.gumbel=true", "--set", "search.gumbel_hard=true", "--set", "search.single_path=true"]


@pytest.mark.parametrize("extra, port", [([], 29541), (SINGLE_PATH, 29545)], ids=["blended", "single-path"])
def test_two_ranks_match_one_process(tmp_path, extra, port):
    """Every rank draws the same samples (the search's own generator), so a single-path search too."""
    args = [*ARGS, *extra]
    one = run([sys.executable, *args, "--out", str(tmp_path / "one")])
    assert one.returncode == 0, one.stderr[-2000:]
    two = run([torchrun(), "--nproc_per_node", "2", "--master_port", str(port), *args, "--out", str(tmp_path / "two")])
    assert two.returncode == 0, two.stderr[-2000:]
    a1, a2 = final_alpha(tmp_path / "one"), final_alpha(tmp_path / "two")
    assert np.abs(a1 - 1 / 9).max() >= 0.01                 # the alphas moved
    assert np.abs(a1 - a2).max() <= 1e-4
    assert json.loads((tmp_path / "two" / "run.json").read_text())["world_size"] == 2


def test_batch_not_divisible_by_world_size_is_refused(tmp_path):
    args = [a if a != "search.batch_size=4" else "search.batch_size=3" for a in ARGS]
    r = run([torchrun(), "--nproc_per_node", "2", "--master_port", "29542", *args, "--out", str(tmp_path / "x")])
    assert r.returncode != 0 and "not divisible by the 2 processes" in r.stderr


def test_stopped_two_rank_search_resumes_to_the_same_result(tmp_path):
    args = [*ARGS, "--set", "search.epochs=3", "--set", "search.steps_per_epoch=12"]
    full = run([torchrun(), "--nproc_per_node", "2", "--master_port", "29543", *args, "--out", str(tmp_path / "full")])
    assert full.returncode == 0, full.stderr[-2000:]
    cut = tmp_path / "cut"
    proc = subprocess.Popen([torchrun(), "--nproc_per_node", "2", "--master_port", "29544", *args, "--out", str(cut)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    deadline = time.time() + 300
    while not (cut / "history.json").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=300)
    if not (cut / "checkpoint.pt").exists() or (cut / "genotype.json").exists():
        pytest.skip("the run finished (or had not checkpointed) before the signal: machine timing")
    resumed = run([torchrun(), "--nproc_per_node", "2", "--master_port", "29545", *args, "--out", str(cut), "--resume"])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert (cut / "genotype.json").read_text() == (tmp_path / "full" / "genotype.json").read_text()
    assert np.abs(final_alpha(cut) - final_alpha(tmp_path / "full")).max() == 0.0
    single = run([sys.executable, *args, "--out", str(cut), "--resume"])
    assert single.returncode != 0 and "same number" in single.stderr
