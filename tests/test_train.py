"""Retraining: resume is exact, x2 -> x4 fine-tuning, NaN guard, two-process DDP on CPU (gloo)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from tinysr.config import override, preset
from tinysr.model import load_model
from tinysr.train import run_train


def micro(**extra):
    base = {"train.epochs": 3, "train.steps_per_epoch": 2, "train.batch_size": 2, "train.hr_patch": 32,
            "train.channels": 8, "train.val_images": 1}
    base.update(extra)
    return override(preset("smoke"), base)


def test_train_writes_loadable_best_and_last(tmp_path):
    result = run_train("dlsr", micro(), out=tmp_path, progress=False)
    for name in ("config.json", "genotype.json", "history.json", "checkpoint.pt", "last.pt", "model.pt"):
        assert (tmp_path / name).exists(), name
    model, scale = load_model(tmp_path / "model.pt")  # weights_only=True inside
    assert scale == 2 and model.genotype.channels == 8
    history = json.loads((tmp_path / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert result.best_psnr == max(h["psnr"] for h in history)


def test_resume_after_interrupt_is_exact(tmp_path):
    cfg = micro()
    full = run_train("dlsr", cfg, out=tmp_path / "full", progress=False)

    def stop(step, record):
        if record["epoch"] == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_train("dlsr", cfg, out=tmp_path / "cut", progress=False, callbacks=[stop])
    resumed = run_train("dlsr", cfg, out=tmp_path / "cut", resume=True, progress=False)
    assert (tmp_path / "full" / "history.json").read_text() == (tmp_path / "cut" / "history.json").read_text()
    for (k, a), (_, b) in zip(full.model.state_dict().items(), resumed.model.state_dict().items()):
        assert torch.equal(a, b), k


def test_finetune_x2_to_x4_keeps_body(tmp_path):
    run_train("dlsr", micro(), out=tmp_path / "x2", progress=False)
    x2, _ = load_model(tmp_path / "x2" / "model.pt")
    cfg = micro(**{"data.scale": 4, "train.hr_patch": 64, "search.hr_patch": 64, "train.epochs": 1})
    result = run_train("dlsr", cfg, out=tmp_path / "x4", init=tmp_path / "x2" / "model.pt", progress=False)
    assert result.model.scale == 4
    before = x2.state_dict()["fea_conv.weight"]
    after = result.model.state_dict()["fea_conv.weight"]
    assert after.shape == before.shape and (after - before).abs().max() < 0.05  # fine-tuned, not re-initialised
    assert result.model.upsampler[0].weight.shape[0] == 3 * 16


def test_finetune_evaluates_on_genuine_x4_files(tmp_path, benchmarks_dir):
    from tinysr.evaluate import evaluate

    run_train("dlsr", micro(), out=tmp_path / "x2", progress=False)
    cfg = micro(**{"data.scale": 4, "train.hr_patch": 64, "search.hr_patch": 64, "train.epochs": 1})
    result = run_train("dlsr", cfg, out=tmp_path / "x4", init=tmp_path / "x2" / "model.pt", progress=False)
    res = evaluate(result.model, benchmarks_dir, ["Set5"], 4)
    assert res["scale"] == 4 and res["sets"]["Set5"]["images"] == 5
    assert (benchmarks_dir / "Set5" / "LR_bicubic" / "X4").is_dir()


def test_nan_guard(monkeypatch):
    import tinysr.train as train

    monkeypatch.setattr(train, "get_loss", lambda *names: lambda sr, hr: (sr - hr).abs().mean() * float("nan"))
    with pytest.raises(FloatingPointError, match=r"at step 0.*train\.w_lr"):
        run_train("dlsr", micro(), progress=False)


def test_resume_refuses_other_settings(tmp_path):
    run_train("dlsr", micro(**{"train.epochs": 1}), out=tmp_path, progress=False)
    with pytest.raises(ValueError, match="settings changed"):
        run_train("dlsr", micro(**{"train.epochs": 1, "train.w_lr": 1e-2}), out=tmp_path, resume=True,
                  progress=False)


def _losses(folder):
    return [h["loss"] for h in json.loads((folder / "history.json").read_text())]


def test_two_process_ddp_matches_one_process_curve(tmp_path):
    """torchrun with 2 gloo processes on CPU trains, writes rank-0 files, and its loss falls like 1 process."""
    torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable))
    if torchrun is None:
        pytest.fail("torchrun not found next to the Python interpreter (it ships with torch)")
    sets = ["--set", "train.epochs=4", "--set", "train.steps_per_epoch=3", "--set", "train.batch_size=2",
            "--set", "train.hr_patch=32", "--set", "train.channels=8", "--set", "train.val_images=1",
            "--set", "train.w_lr=2e-3"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    common = ["-m", "tinysr", "train", "--genotype", "dlsr", "--preset", "smoke", "--json", *sets]
    one = subprocess.run([sys.executable, *common, "--out", str(tmp_path / "one")], env=env,
                         capture_output=True, text=True, timeout=300)
    assert one.returncode == 0, one.stderr[-2000:]
    two = subprocess.run([torchrun, "--nproc_per_node", "2", "--master_port", "29533", *common,
                          "--out", str(tmp_path / "two")], env=env, capture_output=True, text=True, timeout=300)
    assert two.returncode == 0, two.stderr[-2000:]
    assert len([ln for ln in two.stdout.splitlines() if ln.startswith("{")]) == 1  # rank 0 prints, once
    l1, l2 = _losses(tmp_path / "one"), _losses(tmp_path / "two")
    assert len(l1) == len(l2) == 4
    assert l1[-1] < l1[0] and l2[-1] < l2[0]            # both learn
    assert 0.5 < l2[-1] / l1[-1] < 2.0                   # to a similar level
    assert (tmp_path / "two" / "model.pt").exists()


def test_the_released_tiny_learning_rate_is_the_librarys_not_only_the_clis():
    """Under `paper` the released DLSR-tiny script trains at 4e-4: run_train applies it (so a notebook and the CLI
    train the same network the same way); another preset, another genotype or an explicit rate are left alone."""
    from tinysr.config import override, preset
    from tinysr.train import released_recipe

    paper = preset("paper")
    assert released_recipe(paper, "dlsr_tiny").train.w_lr == 4e-4
    assert released_recipe(paper, "dlsr").train.w_lr == paper.train.w_lr == 3e-4
    assert released_recipe(preset("laptop"), "dlsr_tiny") == preset("laptop")
    mine = override(paper, {"train.w_lr": 1e-3})
    assert released_recipe(mine, "dlsr_tiny") == mine
