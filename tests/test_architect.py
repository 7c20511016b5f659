"""The architecture step (tinysr.architect): the Hessian-vector product against exact double backward, which
parameters each step moves, and the budget terms' gradients."""
from __future__ import annotations

import pytest
import torch
from support import micro_search, tiny_batch, tiny_supernet

from tinysr.architect import Architect, hessian_vector_product
from tinysr.config import preset
from tinysr.space import SuperNet
from tinysr.space.cost import expected_cost


def test_hvp_matches_exact_double_backward():
    net = tiny_supernet()
    lr, hr = tiny_batch(1)
    loss_of = lambda: torch.nn.functional.mse_loss(net(lr), hr)  # noqa: E731  (smooth loss: clean Hessian)
    weights, alphas = net.weights(), net.alphas()
    g = torch.Generator().manual_seed(2)
    v = [torch.randn(w.shape, generator=g, dtype=w.dtype) for w in weights]
    # exact: grad_a (grad_w L . v)
    grads_w = torch.autograd.grad(loss_of(), weights, create_graph=True)
    dot = sum((gw * vi).sum() for gw, vi in zip(grads_w, v))
    exact = torch.autograd.grad(dot, alphas)
    # The network is piecewise linear (ReLU, max-pool): a perturbation of norm 0.01 (DARTS' default) crosses
    # kinks and the difference quotient is then not the local Hessian. 1e-4 stays inside one linear piece.
    approx = hessian_vector_product(net, loss_of, v, eps_scale=1e-4)
    e = torch.cat([t.reshape(-1) for t in exact])
    a = torch.cat([t.reshape(-1) for t in approx])
    assert e.norm() > 0
    assert ((a - e).norm() / e.norm()).item() < 1e-2
    # pt.darts' "(p - n) / 2.*eps" multiplies by eps instead of dividing: it is off by (2 eps)^2 ~ 1e-10
    eps = 1e-4 / torch.cat([t.reshape(-1) for t in v]).norm().item()
    buggy = a * (2 * eps) * eps / 2
    assert ((buggy - e).norm() / e.norm()).item() > 0.5


@pytest.mark.parametrize("order", ["first", "second"])
def test_arch_step_touches_only_alphas_and_weight_step_only_weights(order):
    cfg = micro_search(**{"search.order": order})
    net = tiny_supernet(torch.float32)
    arch = Architect(net, cfg.search, torch.nn.functional.l1_loss, lambda n: expected_cost(n))
    tb, ab = tiny_batch(3, torch.float32), tiny_batch(4, torch.float32)
    w_before = [w.detach().clone() for w in net.weights()]
    a_before = [a.detach().clone() for a in net.alphas()]
    arch.step(tb, ab)
    assert all(torch.equal(w, b) for w, b in zip(net.weights(), w_before)), "arch step changed weights"
    assert all(not torch.equal(a, b) for a, b in zip(net.alphas(), a_before)), "an alpha/beta did not move"
    w_optim = torch.optim.Adam(net.weights(), lr=1e-3)
    a_before = [a.detach().clone() for a in net.alphas()]
    w_optim.zero_grad()
    torch.nn.functional.l1_loss(net(tb[0]), tb[1]).backward()
    w_optim.step()
    assert all(torch.equal(a, b) for a, b in zip(net.alphas(), a_before)), "weight step changed alphas"
    assert {id(p) for p in arch.optimizer.param_groups[0]["params"]} == {id(a) for a in net.alphas()}


def test_cost_gradients_reach_alpha_and_the_network_term_reaches_every_beta():
    from tinysr.space.cost import network_distance

    net = SuperNet.from_config(preset("smoke"))
    for kind in ("params", "multi_adds"):
        net.zero_grad()
        cost = expected_cost(net, kind)
        assert 0 < cost.item() < 1
        cost.backward()
        assert net.alpha.grad is not None and bool((net.alpha.grad != 0).all()), kind
        assert all(b.grad is None for b in net.betas)        # the size does not depend on the connections
    net.zero_grad()
    network_distance(net).backward()
    assert all(b.grad is not None and bool((b.grad != 0).all()) for b in net.betas)


def test_expected_cost_prefers_cheap_ops():
    net = tiny_supernet(torch.float32)
    with torch.no_grad():
        net.alpha.zero_()
        net.alpha[:, 0] = 20.0      # all positions: conv_1x1 (cheapest)
    cheap = expected_cost(net).item()
    with torch.no_grad():
        net.alpha.zero_()
        net.alpha[:, 3] = 20.0      # conv_7x7 (most expensive)
    assert expected_cost(net).item() > cheap
