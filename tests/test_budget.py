"""The budget: the released cost has no gradient; tinysr's penalty is zero inside, grows outside, and its
straight-through size is the derived network's, with the expected size's gradient."""
from __future__ import annotations

import math

import pytest
import torch

from tinysr.complexity import count_params
from tinysr.genotype import Genotype
from tinysr.model import DLSRNet
from tinysr.space import SuperNet
from tinysr.space.cost import budget_penalty, derived_size, expected_size, released_cost


def test_released_cost_is_a_value_only():
    net = SuperNet(8, 4, 2)
    assert isinstance(released_cost(net), float)
    uniform = sum((2.5, 22.5, 62.5, 122.5, 5.9, 7.5, 9.9, 2.95, 3.75)) / 9
    assert released_cost(net) == pytest.approx(3 * uniform / sum((2.5, 22.5, 62.5, 122.5, 5.9, 7.5, 9.9, 2.95, 3.75)),
                                                rel=1e-3)


@pytest.mark.parametrize("mode", ["max", "target"])
def test_penalty_shape(mode):
    b = 60_000.0
    p = lambda e: float(budget_penalty(torch.tensor(e, dtype=torch.float64), b, mode))  # noqa: E731 - a one-line helper of this test
    assert p(60_000) == 0 and p(56_000) == 0
    assert p(90_000) > p(70_000) > 0
    assert p(90_000) == pytest.approx((math.log(1.5) - (math.log(1.1) if mode == "target" else 0)) ** 2)
    assert (p(30_000) > 0) == (mode == "target")


def test_derived_size_is_the_argmax_network_with_the_expected_gradient():
    torch.manual_seed(0)
    net = SuperNet(8, 4, 2)
    with torch.no_grad():
        net.alpha[:, 3] += 5.0                                    # conv_7x7 everywhere
    g = Genotype(("conv_7x7",) * 3, ((1, 2), (1, 2)), channels=24, cells=4)
    d = derived_size(net, "params", 24)
    assert float(d.detach()) == count_params(DLSRNet(g, 2))
    d.backward()
    grad_d = net.alpha.grad.clone()
    net.alpha.grad = None
    expected_size(net, "params", 24).backward()
    assert torch.equal(grad_d, net.alpha.grad)


def test_a_budget_moves_alpha_to_cheaper_ops():
    from tinysr.config import override, preset
    from tinysr.search import Search

    cfg = override(preset("smoke"), {"search.budget_params": 20_000, "search.lambda_cost": 10.0,
                                     "search.alpha_lr": 0.1, "search.warmup_epochs": 0})
    s = Search(cfg, device="cpu")
    before = float(expected_size(s.net, "params", s.width).detach())
    g = torch.Generator().manual_seed(0)
    batch = (torch.rand(2, 3, 24, 24, generator=g) * 255, torch.rand(2, 3, 48, 48, generator=g) * 255)
    for _ in range(3):
        s.step(batch, batch, 1)
    assert float(expected_size(s.net, "params", s.width).detach()) < before
