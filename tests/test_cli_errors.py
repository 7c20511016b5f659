"""Bad inputs the CLI must answer with one line (exit 2, no traceback) instead of doing something else."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tinysr.genotype import Genotype


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "tinysr", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("sets, field", [
    (["search.order=2nd"], "search.order"), (["search.warmup_epochs=6", "search.epochs=6"], "search.warmup_epochs"),
    (["search.channels=0"], "search.channels"), (["train.grad_clip=-1"], "train.grad_clip"),
    (["train.w_lr=inf"], "train.w_lr"), (["train.epochs=0"], "train.epochs"), (["search.epochs=0"], "search.epochs"),
])
def test_bad_settings_are_rejected_up_front(tmp_path, sets, field):
    args = ["search", "--preset", "smoke", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]
    for s in sets:
        args += ["--set", s]
    r = cli(*args)
    assert r.returncode == 2 and "Traceback" not in r.stderr and field in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_profile_repeats_zero_is_an_error():
    r = cli("profile", "--genotype", "dlsr_tiny", "--repeats", "0")
    assert r.returncode == 2 and "--repeats" in r.stderr and "Traceback" not in r.stderr


def test_huge_channel_count_is_refused_before_allocating():
    with pytest.raises(ValueError, match="channels"):
        Genotype(("conv_1x1",) * 3, ((1, 2),), channels=48000, cells=3)


def test_rewired_official_weights_warn(official_dir, benchmarks_dir, tmp_path):
    g = {"ops": ["conv_1x1", "sep_conv_7x7", "sep_conv_5x5"], "inputs": [[1, 2], [1, 3], [2, 4], [4, 5]],
         "channels": 48, "cells": 6}
    path = tmp_path / "rewired.json"
    path.write_text(json.dumps(g))
    r = cli("evaluate", "--official", str(official_dir / "RFDN_beta21_ps128_20210128_1000.pt"), "--genotype", str(path),
            "--scale", "2", "--benchmarks", str(benchmarks_dir), "--sets", "Set5", "--json")
    assert r.returncode == 0, r.stderr
    assert "warning" in r.stderr and "'dlsr'" in r.stderr


@pytest.mark.parametrize("opset", ["0", "7", "99", "-1"])
def test_export_opset_out_of_range_is_one_line(tmp_path, opset, capsys):
    from tinysr.cli import main

    assert main(["export", "--pretrained", "dlsr_tiny", "--onnx", str(tmp_path / "m.onnx"), "--opset", opset]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--opset" in err and "11..20" in err and not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("jobs", ["0", "-1"])
def test_study_jobs_below_one_is_one_line(tmp_path, jobs, capsys):
    from tinysr.cli import main

    assert main(["study", "--preset", "smoke", "--budgets", "9000", "--jobs", jobs, "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--jobs" in err and not (tmp_path / "s").exists()
