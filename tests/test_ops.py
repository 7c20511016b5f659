"""The 9 candidate ops: parameter counts (docs/paper.md table), cost formulas against two oracles (thop and
torch's FlopCounterMode), shapes, and receptive fields measured by perturbing one input pixel."""
from __future__ import annotations

import copy

import pytest
import torch
from thop import profile
from torch.utils.flop_counter import FlopCounterMode

from tinysr.ops import OPS, PRIMITIVES, op_cost, receptive_field

# docs/paper.md, "The nine candidate operations", params at C = 48
PUBLISHED_PARAMS_C48 = {
    "conv_1x1": 2304, "conv_3x3": 20736, "conv_5x5": 57600, "conv_7x7": 112896,
    "sep_conv_3x3": 5472, "sep_conv_5x5": 7008, "sep_conv_7x7": 9312,
    "dil_conv_3x3": 2736, "dil_conv_5x5": 3504,
}


def test_nine_ops_in_order():
    assert PRIMITIVES == tuple(PUBLISHED_PARAMS_C48) and set(OPS) == set(PRIMITIVES)


@pytest.mark.parametrize("name", PRIMITIVES)
def test_params_match_paper_and_op_cost(name):
    op = OPS[name](48)
    n = sum(p.numel() for p in op.parameters())
    assert n == PUBLISHED_PARAMS_C48[name] == op_cost(name, 48)[0]
    assert all(m.bias is None for m in op.modules() if isinstance(m, torch.nn.Conv2d)), "ops have no bias"


@pytest.mark.parametrize("name", PRIMITIVES)
def test_macs_per_pixel_match_thop_and_flop_counter(name):
    """op_cost's MACs/pixel == thop's count == FlopCounterMode's flops / 2, on a 1x48x16x16 input."""
    torch.manual_seed(0)
    op = OPS[name](48).eval()
    x = torch.randn(1, 48, 16, 16)
    per_pixel = op_cost(name, 48)[1]
    macs, _ = profile(copy.deepcopy(op), inputs=(x,), verbose=False)
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        y = op(x)
    assert y.shape == x.shape
    assert macs == per_pixel * 16 * 16
    assert fc.get_total_flops() == 2 * per_pixel * 16 * 16


@pytest.mark.parametrize("name", PRIMITIVES)
def test_receptive_field(name):
    """Perturb the centre pixel; the changed outputs span exactly receptive_field(name) pixels per side."""
    torch.manual_seed(1)
    op = OPS[name](8).double().eval()
    x = torch.rand(1, 8, 31, 31, dtype=torch.float64) + 0.5   # positive: the leading ReLU passes it on
    x2 = x.clone()
    x2[..., 15, 15] += 10.0
    with torch.no_grad():
        diff = (op(x2) - op(x)).abs().amax(dim=(0, 1))
    rows, cols = torch.nonzero(diff > 1e-9, as_tuple=True)
    rf = receptive_field(name)
    assert int(rows.max() - rows.min()) + 1 == rf
    assert int(cols.max() - cols.min()) + 1 == rf
    assert int(rows.min()) == 15 - rf // 2  # centred ("same" padding)
