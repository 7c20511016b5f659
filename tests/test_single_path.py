"""``search.single_path`` (GDAS' forward): only the sampled op of each position runs. Its output is the hard
straight-through forward's; its alpha gradient goes through the sampled op alone, checked against a hand-computed
case; both mixed-op implementations, float64, and the config rule."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from tinysr.config import ConfigError, override, preset
from tinysr.space import SuperNet
from tinysr.space.mixed import sampled_op


class Scale(nn.Module):
    def __init__(self, c: float) -> None:
        super().__init__()
        self.c = c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c * x


def test_the_sampled_ops_gradient_by_hand():
    """Three toy ops (2x, -x, 3x), logits a, tau 1, no noise: the soft sample is s = softmax(a); the hard sample
    picks k = argmax(s) = 2. out = w_k * 3x with w_k = 1 - s_k.detach() + s_k, so L = sum(out) = 3 sum(x) w_k and
    dL/da_j = 3 sum(x) * s_k (delta_kj - s_j)."""
    a = torch.tensor([0.1, -0.4, 0.9], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([[1.0, 2.0], [-0.5, 4.0]], dtype=torch.float64)
    ops = nn.ModuleList([Scale(2.0), Scale(-1.0), Scale(3.0)])
    soft = F.softmax(a, dim=0)
    hard = F.one_hot(soft.argmax(), 3).to(soft.dtype)
    w = hard - soft.detach() + soft
    out = sampled_op(ops, x, w)
    assert torch.equal(out, 3.0 * x * w[2])
    (grad,) = torch.autograd.grad(out.sum(), a, retain_graph=True)
    s = soft.detach()
    by_hand = 3.0 * x.sum() * s[2] * (torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64) - s)
    torch.testing.assert_close(grad, by_hand, rtol=1e-12, atol=1e-12)
    # the weighted sum's straight-through gradient has a term for every op: sum_i <1, op_i(x)> s_i (delta_ij - s_j)
    (full,) = torch.autograd.grad(sum(wi * op(x) for wi, op in zip(w, ops)).sum(), a)
    c = torch.tensor([2.0, -1.0, 3.0], dtype=torch.float64) * x.sum()
    torch.testing.assert_close(full, s * (c - (s * c).sum()), rtol=1e-12, atol=1e-12)
    assert not torch.allclose(grad, full)


@pytest.mark.parametrize("fast", [False, True])
def test_single_path_gives_the_hard_forward_and_runs_one_op(fast):
    torch.manual_seed(0)
    kw = dict(C=8, cells=3, scale=2, fast=fast, gumbel=True, hard=True)
    full, single = SuperNet(**kw).double(), SuperNet(**kw, single_path=True).double()
    single.load_state_dict(full.state_dict())
    x = torch.rand(2, 3, 16, 16, dtype=torch.float64) * 255
    ran = []
    for cell in single.cells:
        for mixed in cell.ops:
            for k, op in enumerate(mixed.ops):
                op.register_forward_hook(lambda m, i, o, k=k: ran.append(k))
    with full.frozen_noise():
        noise = full._noise
        y_full = full(x)
    single._noise = noise
    y_single = single(x)
    torch.testing.assert_close(y_single, y_full, rtol=1e-10, atol=1e-8)
    assert len(ran) == 3 * 3                      # one op per position per cell
    picked = (full.alpha + noise).argmax(dim=-1).tolist()
    assert ran == picked * 3
    full.eval()
    single.eval()                                 # evaluation blends all nine, as before
    torch.testing.assert_close(single(x), full(x), rtol=1e-10, atol=1e-8)


def test_single_path_alpha_gradient_is_the_sampled_ops_term():
    torch.manual_seed(1)
    net = SuperNet(C=4, cells=3, scale=2, gumbel=True, hard=True, single_path=True).double()
    x = torch.rand(1, 3, 16, 16, dtype=torch.float64) * 255
    with net.frozen_noise():
        out = net(x)
        out.square().mean().backward()
    assert net.alpha.grad is not None and net.alpha.grad.abs().sum() > 0
    unsampled = [op for cell in net.cells for mixed in cell.ops for k, op in enumerate(mixed.ops)]
    assert any(p.grad is None for op in unsampled for p in op.parameters())     # unsampled ops did not run


def test_single_path_needs_hard_samples():
    with pytest.raises(ConfigError, match="single_path.*gumbel_hard"):
        override(preset("smoke"), {"search.single_path": True})
    cfg = override(preset("smoke"), {"search.single_path": True, "search.gumbel": True, "search.gumbel_hard": True})
    assert SuperNet.from_config(cfg).single_path
