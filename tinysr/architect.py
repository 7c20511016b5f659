r"""The architecture step of the bilevel search (DARTS, Liu et al. 2019), first and second order.

The bilevel problem::

    min_a  L_arch(w*(a), a)          s.t.  w*(a) = argmin_w L_train(w, a)

``a`` are the architecture parameters (cell-level alpha and network-level betas), ``w`` the weights.

- **First order** (the released DLSR code, default): treat ``w*(a) ~ w``, so the arch gradient is simply
  ``grad_a L_arch(w, a)``.
- **Second order** (DARTS "unrolled"): one virtual SGD step ``w' = w - xi * grad_w L_train(w, a)``, then::

      grad_a L_arch(w', a) - xi * H v,     v = grad_{w'} L_arch(w', a),
      H v = grad^2_{a,w} L_train(w, a) v ~ [grad_a L_train(w+, a) - grad_a L_train(w-, a)] / (2 eps),
      w+- = w +- eps v,   eps = 0.01 / ||v||.

  (pt.darts divides by ``2.*eps`` written as ``/ 2.*eps`` — i.e. multiplies by eps; tests check ours
  against exact double-backward.)

The arch objective ``L_arch`` is, by ``objective``:
``"val"`` (classic DARTS): ``L(arch batch)``; ``"train+val"`` (released code): ``L(train batch) + L(arch batch)``;
both plus ``lambda_cost * expected_cost(net, cost_kind)``, kept in the autograd graph (the released code
computed its cost from ``.data.numpy()``, so it never reached the alphas).
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn as nn

from .config import SearchConfig

Batch = tuple[torch.Tensor, torch.Tensor]  # (lr, hr): (N,3,h,w), (N,3,sh,sw) float in [0, 255]
OBJECTIVES = ("val", "train+val")
ORDERS = ("first", "second")


def hessian_vector_product(net: nn.Module, loss_of: Callable[[], torch.Tensor],
                           vector: Sequence[torch.Tensor], eps_scale: float = 0.01) -> list[torch.Tensor]:
    """Central finite difference of ``grad_a loss(w, a)`` along ``vector`` in weight space:
    ``[grad_a L(w + eps v) - grad_a L(w - eps v)] / (2 eps)`` with ``eps = eps_scale / ||v||``.
    Weights are restored exactly afterwards. Returns one tensor per ``net.alphas()`` entry."""
    weights, alphas = list(net.weights()), list(net.alphas())
    norm = torch.cat([v.reshape(-1) for v in vector]).norm()
    eps = eps_scale / max(norm.item(), 1e-12)
    backup = [w.detach().clone() for w in weights]

    def grads_at(sign: float) -> list[torch.Tensor]:
        with torch.no_grad():
            for w, b, v in zip(weights, backup, vector):
                w.copy_(b + sign * eps * v)
        return list(torch.autograd.grad(loss_of(), alphas, allow_unused=True))

    g_plus, g_minus = grads_at(+1.0), grads_at(-1.0)
    with torch.no_grad():
        for w, b in zip(weights, backup):
            w.copy_(b)
    return [(_zero_if_none(p, a) - _zero_if_none(m, a)) / (2 * eps) for p, m, a in zip(g_plus, g_minus, alphas)]


def _zero_if_none(g: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(like) if g is None else g


class Architect:
    """Owns the architecture optimiser (Adam over ``net.alphas()`` only) and performs arch steps.

    Args:
        net: a :class:`tinysr.space.SuperNet` (``weights()``, ``alphas()``, ``forward(lr) -> sr``).
        cfg: the search settings (``alpha_lr``, ``alpha_betas``, ``order``, ``objective``, ...).
        loss_fn: reconstruction loss ``(sr, hr) -> scalar``.
        cost_fn: ``net -> scalar`` expected architecture cost in [0, 1] (differentiable), or None.
    """

    def __init__(self, net: nn.Module, cfg: SearchConfig, loss_fn: Callable, cost_fn: Callable | None = None):
        if cfg.order not in ORDERS:
            raise ValueError(f"search.order={cfg.order!r}; choose one of {ORDERS}")
        if cfg.objective not in OBJECTIVES:
            raise ValueError(f"search.objective={cfg.objective!r}; choose one of {OBJECTIVES}")
        self.net, self.cfg, self.loss_fn, self.cost_fn = net, cfg, loss_fn, cost_fn
        self.optimizer = torch.optim.Adam(net.alphas(), lr=cfg.alpha_lr, betas=tuple(cfg.alpha_betas),
                                          weight_decay=cfg.alpha_weight_decay)

    def data_loss(self, batch: Batch) -> torch.Tensor:
        lr_img, hr_img = batch
        return self.loss_fn(self.net(lr_img), hr_img)

    def objective(self, train_batch: Batch, arch_batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        """``L_arch`` and its parts (floats, for the history)."""
        loss = self.data_loss(arch_batch)
        parts = {"arch_loss": float(loss.detach())}
        if self.cfg.objective == "train+val":
            train_loss = self.data_loss(train_batch)
            parts["arch_train_loss"] = float(train_loss.detach())
            loss = loss + train_loss
        if self.cost_fn is not None and self.cfg.lambda_cost != 0:
            cost = self.cost_fn(self.net)
            parts["cost"] = float(cost.detach())
            loss = loss + self.cfg.lambda_cost * cost
        return loss, parts

    def step(self, train_batch: Batch, arch_batch: Batch, w_lr: float | None = None) -> dict[str, float]:
        """One architecture update. ``w_lr`` is xi of the virtual step (second order only; default
        ``cfg.w_lr``). Only ``net.alphas()`` change; weights are left exactly as they were."""
        self.optimizer.zero_grad(set_to_none=True)
        if self.cfg.order == "first":
            loss, parts = self.objective(train_batch, arch_batch)
            loss.backward(inputs=list(self.net.alphas()))
        else:
            loss, parts = self._unrolled_backward(train_batch, arch_batch, w_lr or self.cfg.w_lr)
        self.optimizer.step()
        parts["arch_objective"] = float(loss.detach())
        return parts

    def _unrolled_backward(self, train_batch: Batch, arch_batch: Batch, xi: float):
        weights, alphas = list(self.net.weights()), list(self.net.alphas())
        backup = [w.detach().clone() for w in weights]
        # virtual step w' = w - xi * grad_w L_train(w, a)
        g_train = torch.autograd.grad(self.data_loss(train_batch), weights, allow_unused=True)
        with torch.no_grad():
            for w, g in zip(weights, g_train):
                if g is not None:
                    w.sub_(xi * g)
        loss, parts = self.objective(train_batch, arch_batch)
        grads = torch.autograd.grad(loss, alphas + weights, allow_unused=True)
        d_alpha = [_zero_if_none(g, a) for g, a in zip(grads[:len(alphas)], alphas)]
        v = [_zero_if_none(g, w) for g, w in zip(grads[len(alphas):], weights)]
        with torch.no_grad():
            for w, b in zip(weights, backup):
                w.copy_(b)
        hvp = hessian_vector_product(self.net, lambda: self.data_loss(train_batch), v)
        for a, da, h in zip(alphas, d_alpha, hvp):
            a.grad = da - xi * h
        return loss, parts
