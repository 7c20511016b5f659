"""ONNX export: dynamic height and width (ESA's pooling and bilinear upsampling included), checked with ONNX
Runtime against PyTorch on other sizes; the released DLSR on Set5's bird; clear errors (no onnx installed,
existing file, a graph whose size is not dynamic)."""
from __future__ import annotations

import builtins
import json

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from tinysr.cli import main
from tinysr.genotype import Genotype
from tinysr.model import DLSRNet, save_model


def _net(scale=2, **kw) -> DLSRNet:
    torch.manual_seed(0)
    g = Genotype(("conv_3x3", "sep_conv_3x3", "dil_conv_3x3"), ((2, 1),), channels=8, cells=3)
    return DLSRNet(g, scale, **kw).eval()


def _ort():
    pytest.importorskip("onnx")
    return pytest.importorskip("onnxruntime")


@pytest.mark.parametrize("scale, kw", [(2, {}), (3, {"bicubic_skip": True})])
def test_dynamic_size_matches_pytorch(tmp_path, scale, kw):
    _ort()
    from tinysr.deploy.export import export_onnx, onnx_session, onnx_super_resolve
    from tinysr.deploy.inference import super_resolve

    model = _net(scale, **kw)
    info = export_onnx(model, tmp_path / "m.onnx")
    assert info["max_abs_diff"] <= 0.01 and (tmp_path / "m.onnx").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]              # no temp file left
    session = onnx_session(tmp_path / "m.onnx")
    for n, h, w in ((1, 15, 15), (2, 40, 23), (1, 97, 130)):
        x = torch.rand(n, 3, h, w, generator=torch.Generator().manual_seed(h)) * 255
        (got,) = session.run(["sr"], {"lr": x.numpy()})
        with torch.no_grad():
            want = model(x).numpy()
        assert got.shape == (n, 3, scale * h, scale * w)
        assert np.abs(got - want).max() <= 0.01, (n, h, w)
    lr = np.random.default_rng(0).integers(0, 256, (33, 47, 3), dtype=np.uint8)
    assert np.abs(onnx_super_resolve(session, lr).astype(int) - super_resolve(model, lr, scale)).max() <= 1


def test_cli_export_released_dlsr_on_bird(benchmarks_dir, official_dir, tmp_path, monkeypatch, capsys):
    _ort()
    from tinysr.data.images import load_image
    from tinysr.deploy.export import onnx_session
    from tinysr.model import load_official

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TINYSR_SHARED", str(official_dir.parents[1]))
    assert main(["export", "--pretrained", "dlsr", "--onnx", "dlsr.onnx", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["model"] == "pretrained dlsr" and info["scale"] == 2 and info["max_abs_diff"] <= 0.01
    lr = load_image(benchmarks_dir / "Set5" / "LR_bicubic" / "X2" / "birdx2.png")
    x = torch.from_numpy(lr).permute(2, 0, 1)[None].float()
    (got,) = onnx_session(tmp_path / "dlsr.onnx").run(["sr"], {"lr": x.numpy()})
    with torch.no_grad():
        want = load_official(official_dir / "RFDN_beta21_ps128_20210128_1000.pt", "dlsr")(x).numpy()
    assert got.shape == want.shape == (1, 3, 288, 288)
    assert float(np.abs(got - want).max()) <= 0.01


def test_cli_model_file_overwrite_and_suffix(tmp_path, capsys):
    _ort()
    save_model(_net(), tmp_path / "model.pt")
    target = tmp_path / "out.onnx"
    assert main(["export", "--model", str(tmp_path / "model.pt"), "--onnx", str(target)]) == 0
    assert "dynamic height/width" in capsys.readouterr().out
    before = target.read_bytes()
    assert main(["export", "--model", str(tmp_path / "model.pt"), "--onnx", str(target)]) == 2
    assert "already exists; choose another name or pass --overwrite" in capsys.readouterr().err
    assert target.read_bytes() == before
    assert main(["export", "--model", str(tmp_path / "model.pt"), "--onnx", str(target), "--overwrite"]) == 0
    assert main(["export", "--model", str(tmp_path / "model.pt"), "--onnx", str(tmp_path / "m.pb")]) == 2
    assert "should end in .onnx" in capsys.readouterr().err


class FixedSize(nn.Module):
    """Computes its output size in Python: traced as a constant, so the graph is not dynamic."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=(int(x.shape[2]) * 2, int(x.shape[3]) * 2), mode="nearest")


def test_a_graph_that_is_not_dynamic_is_not_written(tmp_path):
    _ort()
    from tinysr.deploy.export import export_onnx

    with pytest.raises(ValueError, match="its size is not dynamic"):
        export_onnx(FixedSize(), tmp_path / "f.onnx")
    assert list(tmp_path.iterdir()) == []


def test_missing_onnx_is_a_clear_error(tmp_path, monkeypatch, capsys):
    real_import = builtins.__import__

    def no_onnx(name, *args, **kwargs):
        if name in ("onnx", "onnxruntime"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnx)
    save_model(_net(), tmp_path / "model.pt")
    assert main(["export", "--model", str(tmp_path / "model.pt"), "--onnx", str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err
    assert "onnx is not installed" in err and "pip install 'tinysr[export]'" in err
    assert not (tmp_path / "m.onnx").exists()
