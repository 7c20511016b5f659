"""evaluate / evaluate_bicubic / format_table and `tinysr evaluate`; the bicubic baseline must reproduce the
published PSNRs (tinysr.data.published.PUBLISHED_BICUBIC) to 0.02 dB: Set5 and Set14 here, B100 in the slow run."""
from __future__ import annotations

import json
import re
import shutil
import sys
import types

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from tinysr.cli import main
from tinysr.data import load_benchmark
from tinysr.data.published import PUBLISHED_BICUBIC
from tinysr.evaluate import evaluate, evaluate_bicubic, format_table
from tinysr.resize import imresize


def _cli_json(capsys, argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _check_published(results: dict, sets: list[str]) -> None:
    assert [r["scale"] for r in results["results"]] == [2, 3, 4]
    for entry in results["results"]:
        assert set(entry) == {"scale", "sets"}
        for name in sets:
            got = entry["sets"][name]
            want = PUBLISHED_BICUBIC[name][entry["scale"]]
            assert abs(got["psnr"] - want) <= 0.02, f"{name} x{entry['scale']}: {got['psnr']} vs {want}"
            assert got["images"] == {"Set5": 5, "Set14": 14, "B100": 100}[name]
            assert 0.6 < got["ssim"] < 0.95


def test_bicubic_reproduces_published_set5_set14(benchmarks_dir, capsys):
    results = _cli_json(capsys, ["evaluate", "--bicubic", "--scale", "2,3,4", "--benchmarks", str(benchmarks_dir),
                                 "--sets", "Set5,Set14", "--json"])
    _check_published(results, ["Set5", "Set14"])


@pytest.mark.slow
def test_bicubic_reproduces_published_all(benchmarks_dir, capsys):
    results = _cli_json(capsys, ["evaluate", "--bicubic", "--scale", "2,3,4", "--benchmarks", str(benchmarks_dir),
                                 "--sets", "Set5,Set14,B100", "--json"])
    _check_published(results, ["Set5", "Set14", "B100"])


class Nearest(nn.Module):
    """A parameterised nearest-neighbour upsampler (a stand-in SR network)."""

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        self.scale = scale
        self.gain = nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=self.scale, mode="nearest") * self.gain


def test_module_function_and_loaded_sets_agree(benchmarks_dir):
    def nearest(lr: np.ndarray) -> np.ndarray:
        out = lr.repeat(2, axis=0).repeat(2, axis=1)
        return out if lr.ndim == 2 else np.ascontiguousarray(out)

    loaded = {"Set5": load_benchmark(benchmarks_dir, "Set5", 2)}
    by_module = evaluate(Nearest(), benchmarks_dir, ["Set5"], 2, per_image=True)
    by_fn = evaluate(nearest, loaded, "Set5", 2, per_image=True)
    assert by_module == by_fn
    set5 = by_module["sets"]["Set5"]
    assert by_module["scale"] == 2 and set5["images"] == 5
    assert [r["image"] for r in set5["per_image"]] == ["baby", "bird", "butterfly", "head", "woman"]
    assert set5["psnr"] == pytest.approx(np.mean([r["psnr"] for r in set5["per_image"]]))
    assert 25 < set5["psnr"] < evaluate_bicubic(loaded, ["Set5"], 2)["sets"]["Set5"]["psnr"]


def test_gray_image_is_compared_on_one_channel(benchmarks_dir):
    """Set14 bridge: an RGB network output of the replicated gray LR scores as the gray bicubic does."""
    bridge = [b for b in load_benchmark(benchmarks_dir, "Set14", 2) if b.stem == "bridge"]
    rgb = evaluate(lambda lr: np.repeat(imresize(lr, 2)[:, :, None], 3, axis=2), {"Set14": bridge}, "Set14", 2)
    gray = evaluate_bicubic({"Set14": bridge}, "Set14", 2)
    assert rgb == gray


def test_evaluate_errors(benchmarks_dir):
    with pytest.raises(ValueError, match=r"Set5/baby: the SR image is uint8 \(256, 256, 3\), expected.*512"):
        evaluate(lambda lr: lr, benchmarks_dir, "Set5", 2)
    with pytest.raises(ValueError, match="nn.Module or a function"):
        evaluate(42, benchmarks_dir, "Set5", 2)
    with pytest.raises(ValueError, match="scale must be an integer >= 2"):
        evaluate_bicubic(benchmarks_dir, "Set5", 1)
    with pytest.raises(ValueError, match="no benchmark sets"):
        evaluate_bicubic(benchmarks_dir, "", 2)
    with pytest.raises(FileNotFoundError, match=r"'Set9' not found.*B100, Set14, Set5"):
        evaluate_bicubic(benchmarks_dir, "Set9", 2)


def test_format_table():
    results = [{"scale": 2, "params": 322620, "multi_adds": 67306291200,
                "sets": {"Set5": {"psnr": 38.04, "ssim": 0.9606, "images": 5}}},
               {"scale": 3, "sets": {"Set5": {"psnr": 34.1, "ssim": 0.92, "images": 5},
                                     "B100": {"psnr": 29.0, "ssim": 0.8, "images": 100}}}]
    text = format_table(results, title="demo")
    lines = text.splitlines()
    assert lines[0] == "demo" and "x2 PSNR / SSIM" in lines[1] and "x3 PSNR / SSIM" in lines[1]
    assert "38.04 / 0.9606" in text and "34.10 / 0.9200" in text
    assert [ln for ln in lines if ln.startswith("B100")][0].split()[1] == "-"
    assert "params 322,620, Multi-Adds @720p 67.3G" in text
    assert format_table([]) == "(no results)"


def test_cli_table(benchmarks_dir, capsys):
    assert main(["evaluate", "--bicubic", "--scale", "2", "--benchmarks", str(benchmarks_dir), "--sets", "Set5"]) == 0
    out = capsys.readouterr()
    assert "Set5" in out.out and "33.67 / 0.9303" in out.out and "bicubic x2" in out.err


def _cli_error(capsys, argv: list[str]) -> str:
    assert main(["evaluate", *argv]) == 2, argv
    err = capsys.readouterr().err
    assert "tinysr evaluate: error:" in err
    return err


@pytest.mark.parametrize("argv, message", [
    (["--bicubic", "--scale", "x2", "--benchmarks", "."], r"--scale expects integers .*'x2'"),
    (["--bicubic", "--scale", "1", "--benchmarks", "."], r"--scale expects integers >= 2"),
    (["--bicubic", "--benchmarks", "."], r"--bicubic needs --scale"),
    (["--official", "w.pt", "--scale", "2", "--benchmarks", "."], r"--official needs --genotype"),
    (["--bicubic", "--genotype", "dlsr", "--scale", "2", "--benchmarks", "."], r"--genotype goes with --official"),
    (["--bicubic", "--scale", "2", "--benchmarks", "/no/such/dir"], r"/no/such/dir does not exist.*tinysr download"),
    (["--bicubic", "--scale", "2", "--benchmarks", "/tmp", "--sets", "NoSet"], r"'NoSet' not found"),
])
def test_cli_bad_arguments(capsys, argv, message):
    assert re.search(message, _cli_error(capsys, argv))


def test_cli_default_benchmarks(capsys, monkeypatch, tmp_path, benchmarks_dir):
    """Without --benchmarks: the one data rule of tinysr.data.paths, and an error that says where it looked."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TINYSR_DATA", raising=False)
    monkeypatch.delenv("TINYSR_SHARED", raising=False)
    err = _cli_error(capsys, ["--bicubic", "--scale", "2", "--sets", "Set5"])
    assert re.search(r"no benchmarks/Set5 folder found \(looked in \$TINYSR_DATA \(unset\), then \./datasets, "
                     r"then \$TINYSR_SHARED/data \(unset\)\); pass --benchmarks DIR", err)
    monkeypatch.setenv("TINYSR_DATA", str(tmp_path / "mine"))
    assert f"$TINYSR_DATA ({tmp_path / 'mine'})" in _cli_error(capsys, ["--bicubic", "--scale", "2"])
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "benchmarks").symlink_to(benchmarks_dir)       # 2nd root: ./datasets
    assert main(["evaluate", "--bicubic", "--scale", "4", "--sets", "Set5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["sets"]["Set5"]["images"] == 5
    shutil.rmtree(tmp_path / "datasets")
    monkeypatch.setenv("TINYSR_SHARED", str(benchmarks_dir.parents[1]))     # 3rd root: $TINYSR_SHARED/data
    assert main(["evaluate", "--bicubic", "--scale", "4", "--sets", "Set14", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["sets"]["Set14"]["images"] == 14
    with pytest.raises(SystemExit):
        main(["evaluate", "--bicubic", "--model", "m.pt", "--scale", "2"])   # mutually exclusive
    capsys.readouterr()


def test_cli_refuses_an_lr_file_of_another_image(capsys, tmp_path, benchmarks_dir):
    """Set5 with bird's x2 LR in place of baby's: a one-line error naming baby, not a wrong PSNR."""
    shutil.copytree(benchmarks_dir / "Set5", tmp_path / "Set5")
    lr_dir = tmp_path / "Set5" / "LR_bicubic" / "X2"
    shutil.copy(lr_dir / "birdx2.png", lr_dir / "babyx2.png")
    err = _cli_error(capsys, ["--bicubic", "--scale", "2", "--benchmarks", str(tmp_path), "--sets", "Set5"])
    errors = [line for line in err.splitlines() if "error:" in line]        # the rest is progress
    assert len(errors) == 1 and "Traceback" not in err
    assert re.search(r"babyx2\.png is 144x144 \(WxH\), but its HR baby\.png is 512x512, so its x2 LR must be "
                     r"256x256", errors[0])


@pytest.fixture
def fake_model_modules(monkeypatch):
    """tinysr.model / tinysr.complexity stand-ins, so the CLI's model branch is tested on its own."""
    model_mod = types.ModuleType("tinysr.model")
    model_mod.load_model = lambda path: (Nearest(2), 2)
    model_mod.load_official = lambda path, name: Nearest(2)
    complexity = types.ModuleType("tinysr.complexity")
    complexity.count_params = lambda m: sum(p.numel() for p in m.parameters())
    complexity.multi_adds = lambda m, scale: 1280 * 720 * 7
    monkeypatch.setitem(sys.modules, "tinysr.model", model_mod)
    monkeypatch.setitem(sys.modules, "tinysr.complexity", complexity)


def test_cli_model_json(benchmarks_dir, capsys, fake_model_modules):
    base = ["--benchmarks", str(benchmarks_dir), "--sets", "Set5", "--json"]
    for source in (["--model", "m.pt"], ["--official", "w.pt", "--genotype", "dlsr", "--scale", "2"]):
        results = _cli_json(capsys, ["evaluate", *source, *base])["results"]
        assert len(results) == 1
        entry = results[0]
        assert list(entry) == ["scale", "params", "multi_adds", "sets"]
        assert entry["scale"] == 2 and entry["params"] == 1 and entry["multi_adds"] == 1280 * 720 * 7
        set5 = entry["sets"]["Set5"]
        assert set5["images"] == 5 and round(set5["psnr"], 4) == set5["psnr"] and round(set5["ssim"], 6) == set5["ssim"]
    assert main(["evaluate", "--model", "m.pt", "--scale", "2,3", *base]) == 2
    assert "m.pt is a x2 model; --scale 2,3 asks for x3" in capsys.readouterr().err


def test_evaluate_pretrained_by_name_matches_official_file(official_dir, benchmarks_dir, capsys):
    """`tinysr evaluate --pretrained dlsr_tiny` (DESIGN's CLI contract) = the same checkpoint by --official."""
    import json as _json

    from tinysr.cli import main

    common = ["--scale", "2", "--benchmarks", str(benchmarks_dir), "--sets", "Set5", "--json"]
    assert main(["evaluate", "--pretrained", "dlsr_tiny", *common]) == 0
    by_name = _json.loads(capsys.readouterr().out)["results"][0]["sets"]["Set5"]
    assert main(["evaluate", "--official", str(official_dir / "RFDN_beta21_tiny18_ps128_20210306_lr4_700.pt"),
                 "--genotype", "dlsr_tiny", *common]) == 0
    by_file = _json.loads(capsys.readouterr().out)["results"][0]["sets"]["Set5"]
    assert by_name == by_file and by_name["psnr"] > 37
