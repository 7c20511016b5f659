"""Zero-cost proxies against their definitions: grad_norm against autograd by hand, synflow's sign invariance and
its data-free input, naswot's kernel (identical inputs make it singular)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from tinysr.genotype import GENOTYPES, random_genotype
from tinysr.model import DLSRNet
from tinysr.study.proxies import grad_norm, naswot, proxy_scores, synflow


def _net(seed=0):
    torch.manual_seed(seed)
    g = random_genotype(seed, 8, 3)
    return DLSRNet(g, 2, bicubic_skip=True), g


def _batch(n=4, size=16, seed=1):
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 3, size, size, generator=gen) * 255,
            torch.rand(n, 3, 2 * size, 2 * size, generator=gen) * 255)


def test_grad_norm_is_the_sum_of_the_gradient_norms():
    net, _ = _net()
    batch = _batch()
    got = grad_norm(net, batch)
    assert all(p.grad is None for p in net.parameters())          # leaves no gradients behind
    net.zero_grad()
    F.l1_loss(net(batch[0]), batch[1]).backward()
    want = sum(p.grad.norm().item() for p in net.parameters() if p.grad is not None)
    assert math.isclose(got, want, rel_tol=1e-6) and got > 0


def test_synflow_ignores_signs_and_data():
    net, _ = _net()
    a = synflow(net, _batch(seed=1))
    b = synflow(net, _batch(seed=2))                                # other pixels, same shape: the same score
    with torch.no_grad():
        for p in net.parameters():
            p.neg_()
    assert a > 0 and a == b and math.isclose(synflow(net, _batch()), a, rel_tol=1e-12)
    assert not any(p.grad is not None for p in net.parameters())   # the network itself is untouched


def test_naswot_kernel_is_singular_for_identical_inputs():
    net, _ = _net()
    lr, hr = _batch(n=4)
    distinct = naswot(net, (lr, hr))
    same = naswot(net, (lr[:1].repeat(4, 1, 1, 1), hr[:1].repeat(4, 1, 1, 1)))
    assert math.isfinite(distinct) and (same == -math.inf or same < distinct - 10)


def test_proxy_scores_rows_and_determinism():
    gs = [GENOTYPES["dlsr"].__class__(**{**GENOTYPES["dlsr"].to_dict(), "channels": 8, "cells": 3,
                                          "inputs": [[1, 2]]}), random_genotype(3, 8, 3)]
    rows = proxy_scores(gs, _batch(), seed=0)
    again = proxy_scores(gs, _batch(), seed=0)
    assert rows == again and set(rows[0]) == {"grad_norm", "synflow", "naswot", "params", "multi_adds"}
    assert rows[0]["params"] == sum(p.numel() for p in DLSRNet(gs[0], 2, bicubic_skip=True).parameters())
