"""MUST-SHOW numbers: params and Multi-Adds @720p of the published models (docs/paper.md), with thop (through
tinysr.complexity) cross-checked by torch's FlopCounterMode and by a hand formula; thop must not leak."""
from __future__ import annotations

import copy
import json

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from tinysr.cli import main
from tinysr.complexity import count_params, latency, lr_size_720p, multi_adds, thop_macs
from tinysr.genotype import Genotype
from tinysr.model import DLSRNet

# (genotype, scale, params, Multi-Adds in G) as published / measured on the released models (docs/paper.md)
PUBLISHED = [
    ("dlsr", 2, 322_620, 67.31),
    ("dlsr", 3, 329_115, 30.53),
    ("dlsr", 4, 338_208, 17.72),
    ("dlsr_para", 2, 327_804, 68.50),
    ("dlsr_tiny", 2, 56_268, 12.07),
]


@pytest.mark.parametrize("name, scale, params, gmacs", PUBLISHED)
def test_published_params_and_multi_adds(name, scale, params, gmacs):
    model = DLSRNet(name, scale)
    assert count_params(model) == params
    macs = multi_adds(model, scale)
    assert abs(macs / 1e9 - gmacs) / gmacs < 0.005, f"{name} x{scale}: {macs / 1e9:.3f} G vs {gmacs} G"


def test_dlsr_x2_exact():
    """Pin the exact count (67.306 G) so a change in the convention is noticed."""
    assert multi_adds(DLSRNet("dlsr", 2), 2) == 67_306_238_496


def test_lr_sizes():
    assert [lr_size_720p(s) for s in (2, 3, 4)] == [(360, 640), (240, 427), (180, 320)]


@pytest.mark.parametrize("name, scale", [("dlsr", 2), ("dlsr_para", 3), ("dlsr_tiny", 4)])
def test_flop_counter_agrees(name, scale):
    """FlopCounterMode counts 2 flops per conv MAC and ignores bias/elementwise: flops / 2 == multi_adds."""
    model = DLSRNet(name, scale)
    probe = copy.deepcopy(model).to("meta")
    with FlopCounterMode(display=False) as fc:
        probe(torch.empty(1, 3, *lr_size_720p(scale), device="meta"))
    assert fc.get_total_flops() == 2 * multi_adds(model, scale)


def test_hand_formula_small_net():
    """A tiny net at 16x16 on a real CPU forward: sum over convs of out_pixels * C_out * C_in/g * k^2."""
    g = Genotype(("conv_3x3", "sep_conv_3x3", "dil_conv_3x3"), ((1, 2),), channels=8, cells=3)
    model = DLSRNet(g, 2)
    shapes = {}
    hooks = [m.register_forward_hook(lambda m, i, o: shapes.__setitem__(m, o.shape))
             for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        model(torch.rand(1, 3, 16, 16))
    for h in hooks:
        h.remove()
    expected = sum(s.numel() * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
                   for m, s in shapes.items())
    assert thop_macs(model, (1, 3, 16, 16)) == expected


def test_thop_leaves_no_buffers():
    model = DLSRNet("dlsr_tiny", 2)
    keys = list(model.state_dict())
    multi_adds(model, 2)
    assert list(model.state_dict()) == keys
    assert not any(hasattr(m, "total_ops") or hasattr(m, "total_params") for m in model.modules())
    assert next(model.parameters()).device.type == "cpu"


def test_scale_mismatch_and_bad_scale():
    with pytest.raises(ValueError, match="x2 network but scale=4"):
        multi_adds(DLSRNet("dlsr_tiny", 2), 4)
    with pytest.raises(ValueError, match=r"scale must be one of \(2, 3, 4\)"):
        multi_adds(DLSRNet("dlsr_tiny", 2), 5)


def test_latency_runs_on_a_copy(monkeypatch):
    import tinysr.complexity as cx
    monkeypatch.setattr(cx, "lr_size_720p", lambda s: (16, 16))   # keep the test fast
    model = DLSRNet(Genotype(("conv_1x1",) * 3, ((1, 2),), channels=8, cells=3), 2).train()
    t = latency(model, 2, device="cpu", repeats=2)
    assert t > 0 and model.training


def test_profile_cli_json(capsys):
    assert main(["profile", "--genotype", "dlsr", "--scale", "4", "--json", "--no-latency"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"scale": 4, "params": 338_208, "multi_adds": out["multi_adds"], "latency_s": None}
    assert abs(out["multi_adds"] / 1e9 - 17.72) < 0.01
