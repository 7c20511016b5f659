"""The bilevel search: HVP against exact autograd, parameter groups, resume, determinism, NaN guard."""
from __future__ import annotations

import json

import pytest
import torch

from tinysr.architect import Architect, hessian_vector_product
from tinysr.config import override, preset
from tinysr.search import run_search
from tinysr.space import SuperNet
from tinysr.space.cost import expected_cost


def micro(**extra):
    """A search small enough for unit tests: 8 channels, 3 cells, LR patches of 16 px."""
    base = {"search.fast": False, "search.channels": 8, "search.cells": 3, "search.hr_patch": 32,
            "search.batch_size": 1, "search.epochs": 2, "search.steps_per_epoch": 2, "search.warmup_epochs": 0,
            "search.log_every": 1}
    base.update(extra)
    return override(preset("smoke"), base)


def tiny_net(dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    return SuperNet(C=4, cells=3, scale=2).to(dtype)


def batch(seed, dtype=torch.float64, n=1, size=16):
    g = torch.Generator().manual_seed(seed)
    lr = torch.rand(n, 3, size, size, generator=g, dtype=dtype) * 255
    hr = torch.rand(n, 3, 2 * size, 2 * size, generator=g, dtype=dtype) * 255
    return lr, hr


def test_hvp_matches_exact_double_backward():
    net = tiny_net()
    lr, hr = batch(1)
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
    cfg = micro(**{"search.order": order})
    net = tiny_net(torch.float32)
    arch = Architect(net, cfg.search, torch.nn.functional.l1_loss, lambda n: expected_cost(n))
    tb, ab = batch(3, torch.float32), batch(4, torch.float32)
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
    net = tiny_net(torch.float32)
    with torch.no_grad():
        net.alpha.zero_()
        net.alpha[:, 0] = 20.0      # all positions: conv_1x1 (cheapest)
    cheap = expected_cost(net).item()
    with torch.no_grad():
        net.alpha.zero_()
        net.alpha[:, 3] = 20.0      # conv_7x7 (most expensive)
    assert expected_cost(net).item() > cheap


def test_search_is_deterministic_and_resume_is_exact(tmp_path):
    cfg = micro()
    full = run_search(cfg, out=tmp_path / "full", progress=False)
    run_search(cfg, out=tmp_path / "again", progress=False)
    for name in ("genotype.json", "history.json"):
        assert (tmp_path / "full" / name).read_text() == (tmp_path / "again" / name).read_text()

    def stop_at_3(step, record):
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_search(cfg, out=tmp_path / "cut", progress=False, callbacks=[stop_at_3])
    assert json.loads((tmp_path / "cut" / "history.json").read_text())[-1]["step"] == 3
    resumed = run_search(cfg, out=tmp_path / "cut", resume=True, progress=False)
    for a, b in zip(full.net.alphas(), resumed.net.alphas()):
        assert torch.equal(a, b)
    assert (tmp_path / "full" / "history.json").read_text() == (tmp_path / "cut" / "history.json").read_text()
    assert full.genotype == resumed.genotype


def test_resume_refuses_other_settings(tmp_path):
    run_search(micro(), out=tmp_path, progress=False)
    with pytest.raises(ValueError, match="settings changed"):
        run_search(micro(**{"search.w_lr": 1e-2}), out=tmp_path, resume=True, progress=False)


def test_nan_guard_names_step_and_learning_rate(monkeypatch):
    import tinysr.search as search

    calls = {"n": 0}

    def exploding(sr, hr):
        calls["n"] += 1
        loss = torch.nn.functional.l1_loss(sr, hr)
        return loss * float("nan") if calls["n"] > 3 else loss

    monkeypatch.setattr(search, "get_loss", lambda *names: exploding)
    with pytest.raises(FloatingPointError, match=r"at step \d+.*learning rate"):
        run_search(micro(), progress=False)


def test_derive_ties_and_topk_are_deterministic():
    net = tiny_net(torch.float32)
    with torch.no_grad():
        net.alpha.zero_()
        for b in net.betas:
            b.zero_()
    g = net.derive()
    assert g.ops == ("conv_1x1",) * 3
    assert g.inputs == ((1, 2),)
    with torch.no_grad():
        net.alpha[1, 5] = 1.0
        net.betas[0][1] = 1.0
    assert net.derive().ops[1] == "sep_conv_5x5"


def test_weights_and_alphas_partition_parameters():
    net = SuperNet.from_config(preset("smoke"))
    w, a = {id(p) for p in net.weights()}, {id(p) for p in net.alphas()}
    assert not (w & a)
    assert w | a == {id(p) for p in net.parameters()}
    assert len(a) == 1 + (net.n_cells - 2)


@pytest.mark.parametrize("extra", [{"search.gumbel": True}, {"search.aux_skip": 0.5},
                                   {"search.objective": "val", "search.loss": "l1+hfen"}])
def test_search_options_run(extra):
    result = run_search(micro(**{"search.epochs": 1, **extra}), progress=False)
    assert len(result.genotype.ops) == 3


def gumbel_smoke():
    """The smoke search with the laptop preset's sampling: hard Gumbel samples, a budget (whose size table is
    cached) and the temperature anneal."""
    lap = preset("laptop").search
    return override(preset("smoke"), {"search.gumbel": True, "search.gumbel_hard": True, "search.epochs": 4,
                                      "search.steps_per_epoch": 4, "search.log_every": 2,
                                      "search.budget_params": lap.budget_params, "search.lambda_cost": lap.lambda_cost,
                                      "search.tau_end": lap.tau_end, "search.tau_hold": lap.tau_hold})


def test_gumbel_search_twice_in_one_process_agrees(tmp_path):
    from tinysr.space.cost import fixed_and_op_costs

    cfg = gumbel_smoke()
    fixed_and_op_costs.cache_clear()           # the first run fills the size table, the second finds it filled
    first = run_search(cfg, out=tmp_path / "a", progress=False)
    second = run_search(cfg, out=tmp_path / "b", progress=False)
    assert (tmp_path / "a" / "history.json").read_text() == (tmp_path / "b" / "history.json").read_text()
    assert first.genotype == second.genotype


def test_gumbel_search_resumed_is_the_uninterrupted_one_bit_for_bit(tmp_path):
    from tinysr.space.cost import fixed_and_op_costs

    cfg = gumbel_smoke()
    full = run_search(cfg, out=tmp_path / "full", progress=False)

    def stop_at_6(step, record):
        if step == 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_search(cfg, out=tmp_path / "cut", progress=False, callbacks=[stop_at_6])
    fixed_and_op_costs.cache_clear()           # as in a new process: Ctrl-C, then `tinysr search --resume`
    torch.manual_seed(1234)                    # whatever the global generator holds, the samples are the search's
    resumed = run_search(cfg, out=tmp_path / "cut", resume=True, progress=False)
    for name in ("history.json", "genotype.json"):
        assert (tmp_path / "full" / name).read_bytes() == (tmp_path / "cut" / name).read_bytes(), name
    for a, b in zip(full.net.alphas(), resumed.net.alphas()):
        assert torch.equal(a, b)
