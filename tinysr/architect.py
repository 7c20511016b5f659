r"""The architecture step of the bilevel search (DARTS, Liu et al. 2019), first and second order.

The bilevel problem::

    min_a  L_arch(w*(a), a)          s.t.  w*(a) = argmin_w L_train(w, a)

``a`` are the architecture parameters (cell-level alpha and network-level betas), ``w`` the weights.

The architecture objective, by ``search.objective``::

    "train+val" (released):  L_arch = L(train batch) + L(arch batch)
    "val"       (DARTS):     L_arch = L(arch batch)
    both  + lambda_cost * budget_penalty(E) + network_cost * network_distance       (0 and 0 in ``paper``)

- **First order** (the released code): treat ``w*(a) ~ w``; the gradient is ``grad_a L_arch(w, a)``.
- **Second order** (DARTS "unrolled"): one virtual step ``w' = w - xi D grad_w L_train(w, a)``, then::

      grad_a L_arch(w', a) - xi H (D v),     v = grad_{w'} L_arch(w', a),   H = grad^2_{a,w} L_train(w, a)

  ``D`` is the identity for ``virtual_step="sgd"`` (DARTS' assumption of plain SGD) or, for ``"adam"``,
  Adam's current diagonal preconditioner ``1 / (sqrt(v_hat) + eps)`` taken as a constant (the real weight
  optimiser is Adam). ``H u`` is computed by ``hvp="exact"`` double backward,
  ``grad_a <grad_w L_train(w, a), u>`` (default: affordable at these sizes), or ``hvp="finite"``, DARTS'
  central difference ``[grad_a L(w + eps u) - grad_a L(w - eps u)] / (2 eps)``, ``eps = hvp_eps / ||u||``,
  which is 35-420% off on this piecewise-linear network at DARTS' ``hvp_eps = 0.01`` (the perturbation
  crosses ReLU and max-pool kinks). pt.darts writes ``/ 2.*eps``, which multiplies by eps: tests check ours.

With Gumbel sampling one noise sample is drawn per architecture step, so that every forward of that
step (virtual step, perturbed weights) sees the same relaxed architecture.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn as nn

from .config import SearchConfig
from .runtime.devices import module_device, module_dtype, to_device
from .space.cost import network_distance

__all__ = ["make_alpha_optimizer", "Architect", "hessian_vector_product", "exact_hvp", "Batch"]

Batch = tuple[torch.Tensor, torch.Tensor]  # (lr, hr): (N,3,h,w), (N,3,sh,sw) float in [0, 255]


def _zeros_for_none(grads: Sequence[torch.Tensor | None], like: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    return [torch.zeros_like(p) if g is None else g for g, p in zip(grads, like)]


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
        return _zeros_for_none(torch.autograd.grad(loss_of(), alphas, allow_unused=True), alphas)

    g_plus, g_minus = grads_at(+1.0), grads_at(-1.0)
    with torch.no_grad():
        for w, b in zip(weights, backup):
            w.copy_(b)
    return [(p - m) / (2 * eps) for p, m in zip(g_plus, g_minus)]


def exact_hvp(net: nn.Module, loss_of: Callable[[], torch.Tensor],
              vector: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """``grad_a <grad_w loss(w, a), vector>`` by double backward: the exact mixed second derivative."""
    weights, alphas = list(net.weights()), list(net.alphas())
    g_w = torch.autograd.grad(loss_of(), weights, create_graph=True, allow_unused=True)
    dot = sum((g * v).sum() for g, v in zip(g_w, vector) if g is not None)
    return _zeros_for_none(torch.autograd.grad(dot, alphas, allow_unused=True), alphas)


def make_alpha_optimizer(params: list[torch.Tensor], cfg: SearchConfig) -> torch.optim.Optimizer:
    """The architecture optimiser: ``alpha_optim="adam"`` (released: Adam(alpha_lr, alpha_betas)) or ``"sgd"``
    (SGD with momentum ``alpha_betas[0]``). Adam normalises every logit's step by that logit's own gradient
    history, so ops whose gradients share a sign move at the same speed ``~alpha_lr`` whatever their sizes:
    five cheap ops the data all favours rise together and stay tied. SGD keeps the sizes -- the op with
    the larger advantage rises faster -- which is what lets a short search separate them."""
    if cfg.alpha_optim == "sgd":
        return torch.optim.SGD(params, lr=cfg.alpha_lr, momentum=cfg.alpha_betas[0],
                               weight_decay=cfg.alpha_weight_decay)
    return torch.optim.Adam(params, lr=cfg.alpha_lr, betas=tuple(cfg.alpha_betas), weight_decay=cfg.alpha_weight_decay)


class Architect:
    """Owns the architecture optimiser (over ``net.alphas()`` only) and performs architecture steps.

    Args:
        net: a :class:`tinysr.space.SuperNet` (``weights()``, ``alphas()``, ``forward(lr) -> sr``).
        cfg: the search settings (``alpha_lr``, ``alpha_betas``, ``order``, ``objective``, ``lambda_cost``, ...).
        loss_fn: reconstruction loss ``(sr, hr) -> scalar``.
        cost_fn: ``net -> scalar`` differentiable budget penalty (weighted by ``cfg.lambda_cost``), or None.
        w_optim: the weight optimiser, read (never stepped) for ``virtual_step="adam"``.
    """

    def __init__(self, net: nn.Module, cfg: SearchConfig, loss_fn: Callable, cost_fn: Callable | None = None,
                 w_optim: torch.optim.Optimizer | None = None):
        self.net, self.cfg, self.loss_fn, self.cost_fn, self.w_optim = net, cfg, loss_fn, cost_fn, w_optim
        self.grad_hook: Callable[[list[torch.Tensor]], None] | None = None   # e.g. averaging over torchrun ranks
        self.optimizer = make_alpha_optimizer(net.alphas(), cfg)

    def data_loss(self, batch: Batch) -> torch.Tensor:
        lr_img, hr_img = batch
        return self.loss_fn(self.net(lr_img), hr_img)

    def objective(self, train_batch: Batch, arch_batch: Batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``L_arch`` and its parts (detached 0-dim tensors, for the history)."""
        parts: dict[str, torch.Tensor] = {}
        loss = None
        if self.cfg.objective == "train+val":
            loss = self.data_loss(train_batch)
            parts["arch_train_loss"] = loss.detach()
        val = self.data_loss(arch_batch)
        parts["arch_loss"] = val.detach()
        loss = val if loss is None else loss + val
        if self.cost_fn is not None and self.cfg.lambda_cost:
            penalty = self.cost_fn(self.net)
            parts["penalty"] = penalty.detach()
            loss = loss + self.cfg.lambda_cost * penalty
        if self.cfg.network_cost:
            loss = loss + self.cfg.network_cost * network_distance(self.net)
        return loss, parts

    def step(self, train_batch: Batch, arch_batch: Batch, w_lr: float | None = None) -> dict[str, torch.Tensor]:
        """One architecture update. ``w_lr`` is xi of the virtual step (second order only; default
        ``cfg.w_lr``). Only ``net.alphas()`` change; the weights are left exactly as they were. The batches
        may be CPU tensors or numpy arrays: they are moved to the net's device and dtype."""
        dev, dtype = module_device(self.net), module_dtype(self.net)
        train_batch, arch_batch = to_device(train_batch, dev, dtype), to_device(arch_batch, dev, dtype)
        self.optimizer.zero_grad(set_to_none=True)
        with self.net.frozen_noise():
            if self.cfg.order == "first":
                loss, parts = self.objective(train_batch, arch_batch)
                loss.backward(inputs=list(self.net.alphas()))
            else:
                loss, parts = self._unrolled_backward(train_batch, arch_batch, w_lr or self.cfg.w_lr)
        if self.grad_hook is not None:
            self.grad_hook(list(self.net.alphas()))
        self.optimizer.step()
        parts["arch_objective"] = loss.detach()
        return parts

    def _preconditioner(self, weights: list[torch.Tensor]) -> list[torch.Tensor | None]:
        """Adam's ``1 / (sqrt(v_hat) + eps)`` per weight (None: plain SGD, or Adam has no state yet)."""
        if self.cfg.virtual_step != "adam" or self.w_optim is None:
            return [None] * len(weights)
        group = self.w_optim.param_groups[0]
        beta2, eps = group["betas"][1], group["eps"]
        out: list[torch.Tensor | None] = []
        for w in weights:
            st = self.w_optim.state.get(w, {})
            if "exp_avg_sq" not in st:
                out.append(None)
                continue
            v_hat = st["exp_avg_sq"] / (1 - beta2 ** float(st["step"]))
            out.append(1.0 / (v_hat.sqrt() + eps))
        return out

    def _unrolled_backward(self, train_batch: Batch, arch_batch: Batch, xi: float):
        weights, alphas = list(self.net.weights()), list(self.net.alphas())
        backup = [w.detach().clone() for w in weights]
        precond = self._preconditioner(weights)
        g_train = _zeros_for_none(torch.autograd.grad(self.data_loss(train_batch), weights, allow_unused=True),
                                  weights)
        with torch.no_grad():                                   # virtual step w' = w - xi D g
            for w, g, d in zip(weights, g_train, precond):
                w.sub_(xi * (g if d is None else d * g))
        loss, parts = self.objective(train_batch, arch_batch)
        grads = torch.autograd.grad(loss, alphas + weights, allow_unused=True)
        d_alpha = _zeros_for_none(grads[:len(alphas)], alphas)
        v = _zeros_for_none(grads[len(alphas):], weights)
        u = [vi if d is None else d * vi for vi, d in zip(v, precond)]
        with torch.no_grad():
            for w, b in zip(weights, backup):
                w.copy_(b)
        def train_loss() -> torch.Tensor:
            return self.data_loss(train_batch)

        if self.cfg.hvp == "exact":
            hvp = exact_hvp(self.net, train_loss, u)
        else:
            hvp = hessian_vector_product(self.net, train_loss, u, self.cfg.hvp_eps)
        for a, da, h in zip(alphas, d_alpha, hvp):
            a.grad = da - xi * h
        return loss, parts
