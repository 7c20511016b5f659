"""The oracle test: ``Search(preset("paper"))`` is the released search iteration, step for step, in float64.

The reference below is written from the specification of the released search script (its loop, its
loss with the released HFEN, its gradient-free cost), independently of tinysr's ``Search``: it builds its
own optimisers and its own loss. Both start from the same released-format weights (``load_released``)
and must agree to 1e-8 on every weight, alpha and beta over iterations at epoch indices 20 (no
architecture step yet), 21 and 22. The same comparison must FAIL for each of three deviations.
"""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tinysr.config import override, preset
from tinysr.search import Search
from tinysr.space import SuperNet
from tinysr.space.released import released_name, to_released

P_K = np.array([2.5, 22.5, 62.5, 122.5, 5.9, 7.5, 9.9, 2.95, 3.75])   # released op costs (k params @ 50 ch)


def reference_hfen(sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
    """The released HFEN, literally: 5x5 Gaussian per channel (no padding), Laplacian with an (N, 3, 3, 3)
    weight (padding 1), each result divided by its own global max, mean absolute difference."""
    n = sr.shape[0]
    r = np.arange(5) - 2.0
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * 1.5 ** 2))
    g = torch.tensor(g / g.sum(), dtype=sr.dtype)
    gw = g.expand(3, 1, 5, 5).contiguous()
    lap = torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=sr.dtype).expand(n, 3, 3, 3).contiguous()

    def edges(x):
        e = F.conv2d(F.conv2d(x, gw, groups=3), lap, padding=1)
        m = e.max()
        return e / m if m != 0 else e

    return (edges(sr) - edges(hr)).abs().mean()


def reference_loss(sr, hr):
    return F.l1_loss(sr, hr) + 0.2 * reference_hfen(sr, hr)


def reference_cost(net) -> float:
    probs = torch.softmax(net.alpha.data, dim=-1).numpy()
    return float((probs * P_K).sum() / P_K.sum())       # from .data in numpy: a constant


class ReleasedLoop:
    """One released iteration per call (docs/method.md's specification)."""

    def __init__(self, net):
        self.net = net
        arch = {id(p) for p in [net.alpha, *net.betas]}
        weights = [p for p in net.parameters() if id(p) not in arch]
        self.w_optim = torch.optim.Adam(weights, lr=5e-4, betas=(0.9, 0.999), weight_decay=1e-8)
        self.a_optim = torch.optim.Adam([net.alpha, *net.betas], lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-8)

    def iteration(self, train, val, epoch):
        lr, hr = train
        self.w_optim.zero_grad()
        reference_loss(self.net(lr), hr).backward()          # no gradient clipping
        self.w_optim.step()
        if epoch > 20:
            self.a_optim.zero_grad()
            loss_t = reference_loss(self.net(lr), hr)         # the same train batch, updated weights
            loss_v = reference_loss(self.net(val[0]), val[1])
            (loss_t + loss_v + reference_cost(self.net)).backward()
            self.a_optim.step()


def batches(seed, n=2, size=16):
    g = torch.Generator().manual_seed(seed)
    hr = torch.rand(n, 3, 2 * size, 2 * size, generator=g, dtype=torch.float64) * 255
    lr = F.avg_pool2d(hr, 2) + torch.randn(n, 3, size, size, generator=g, dtype=torch.float64)
    return lr, hr


def released_state(cfg, seed=0):
    """A state dict in the released supernet's key format, plus alpha/betas drawn as released (1e-3 randn)."""
    torch.manual_seed(seed)
    src = SuperNet(cfg.search.channels, cfg.search.cells, cfg.data.scale).double()
    return to_released(src), [p.detach().clone() for p in src.alphas()]


def max_difference(cfg, epochs=(20, 21, 22)) -> float:
    s = Search(cfg, device="cpu")
    s.net.double()
    state, arch = released_state(cfg)
    s.net.load_released(state)
    with torch.no_grad():
        for p, a in zip(s.net.alphas(), arch):
            p.copy_(a)
    ref = ReleasedLoop(copy.deepcopy(s.net))
    worst = 0.0
    for i, epoch in enumerate(epochs):
        train, val = batches(10 + i), batches(100 + i)
        s.step(train, val, epoch)
        ref.iteration(train, val, epoch)
        for a, b in zip(s.net.parameters(), ref.net.parameters()):
            worst = max(worst, (a - b).abs().max().item())
    return worst


def test_paper_search_is_the_released_iteration_in_float64():
    cfg = preset("paper")
    assert max_difference(cfg) <= 1e-8


@pytest.mark.parametrize("deviation", [
    {"search.step_order": "arch_first"},                         # DARTS order: arch step before the weight step
    {"search.loss": "l1"},                                       # L1 without HFEN
    {"search.budget_params": 20_000, "search.lambda_cost": 1.0},  # a cost with a gradient
])
def test_the_parity_check_fails_for_each_deviation(deviation):
    small = {"search.channels": 8}
    assert max_difference(override(preset("paper"), small)) <= 1e-8
    assert max_difference(override(preset("paper"), {**small, **deviation})) > 1e-6


def test_alphas_do_not_move_before_epoch_21():
    cfg = override(preset("paper"), {"search.channels": 8})
    s = Search(cfg, device="cpu")
    s.net.double()
    before = [a.detach().clone() for a in s.net.alphas()]
    s.step(batches(1), batches(2), 20)
    assert all(torch.equal(a, b) for a, b in zip(s.net.alphas(), before))
    s.step(batches(3), batches(4), 21)
    assert all(not torch.equal(a, b) for a, b in zip(s.net.alphas(), before))


def test_load_released_round_trip_and_errors():
    net = SuperNet(8, 4, 2)
    state = to_released(net)
    assert "B1.c2_r.layers.4.op.1.weight" in state and "c2.0.weight" in state and "c4.0.weight" in state
    other = SuperNet(8, 4, 2).load_released(state)
    for (k, a), b in zip(net.state_dict().items(), other.state_dict().values()):
        if "alpha" not in k and "beta" not in k:
            assert torch.equal(a, b), k
    with pytest.raises(ValueError, match="shape"):
        SuperNet(16, 4, 2).load_released(state)
    broken = dict(state)
    broken.pop("LR_conv.weight")
    with pytest.raises(ValueError, match="LR_conv.weight"):
        SuperNet(8, 4, 2).load_released(broken)
    with pytest.raises(ValueError, match="unexpected"):
        SuperNet(8, 4, 2).load_released({**state, "B9.c1_d.weight": torch.zeros(1)})
    assert released_name("tail_fusion.conv.weight", 6) == "c6.0.weight"
    with pytest.raises(KeyError):
        released_name("nonsense", 4)
