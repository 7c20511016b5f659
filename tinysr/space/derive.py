r"""Deriving the discrete network under a budget: the most probable genotype whose size meets it.

The plain derivation (:meth:`SuperNet.derive`) keeps the argmax op of every position. Under a budget
that is the wrong question: the search's distribution ``p_lk = softmax(alpha_l)_k`` can sit on the
budget as a *mixture* (say 0.35 ``conv_7x7`` and 0.65 spread over cheap ops) whose argmax network is
three times too big. :func:`derive_in_budget` asks instead for the genotype with the largest joint
probability ``sum_l log p_l,k_l`` among those whose size at the retraining width meets the budget::

    mode "max":     size <= B
    mode "target":  |log(size / B)| <= log(1.1)          (within +-10%, the penalty's band)

where the size is ``F + n * sum_l c_{k_l}`` (:func:`tinysr.space.cost.fixed_and_op_costs`: params, or
Multi-Adds at a 720p output). The 9^3 = 729 op choices are enumerated exactly (about a millisecond).
When no genotype meets the budget (a budget outside the space), the one closest to it in log-ratio
wins. When the argmax genotype meets the budget it is the answer, so without budget pressure this is
the plain derivation. The predecessors (betas) do not change the size: they stay the top-2 per cell.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import replace

import torch

from ..genotype import Genotype
from ..ops import PRIMITIVES
from .cost import TARGET_BAND, fixed_and_op_costs, genotype_size

__all__ = ["budget_violation", "derive_in_budget", "best_ops_in_budget"]


def budget_violation(size: float, budget: float, mode: str = "max") -> float:
    """How far ``size`` is outside the budget, in log-ratio: 0 when it meets it (``mode`` as above)."""
    excess = math.log(size / budget)
    if mode == "target":
        return max(0.0, abs(excess) - math.log1p(TARGET_BAND))
    if mode != "max":
        raise ValueError(f"budget mode {mode!r}: use 'max' or 'target'")
    return max(0.0, excess)


def best_ops_in_budget(log_probs: torch.Tensor, fixed: float, op_costs: tuple[float, ...], n_cells: int,
                       budget: float, mode: str = "max") -> tuple[int, ...]:
    """Op indices (one per position) maximising ``sum_l log_probs[l, k_l]`` among the choices whose size
    ``fixed + n_cells * sum_l op_costs[k_l]`` meets ``budget``; else the least violating one.
    ``log_probs``: (positions, ops). Ties go to the lower indices (deterministic)."""
    if not budget > 0:
        raise ValueError(f"a budget must be > 0, got {budget!r}")
    lp = log_probs.detach().double().cpu().tolist()
    best_key, best = None, None
    for combo in itertools.product(range(len(op_costs)), repeat=len(lp)):
        size = fixed + n_cells * sum(op_costs[k] for k in combo)
        key = (budget_violation(size, budget, mode), -sum(row[k] for row, k in zip(lp, combo)))
        if best_key is None or key < best_key:
            best_key, best = key, combo
    return tuple(best)


def derive_in_budget(net, kind: str, width: int, budget: float, mode: str = "max") -> Genotype:
    """The genotype of ``net`` (a SuperNet) with the most probable ops whose derived network, built at
    ``width`` channels, meets ``budget`` (``kind``: ``"params"`` or ``"multi_adds"``); its inputs are
    :meth:`SuperNet.derive`'s. Returned at the supernet's own width, like ``derive()``."""
    plain = net.derive()
    with torch.no_grad():
        probs = net.alpha_probs()
        if probs.dim() == 3:                         # per-cell alphas: a genotype shares its ops
            probs = probs.mean(dim=0)
        log_probs = probs.double().clamp_min(1e-300).log()
    if budget_violation(genotype_size(plain.ops, width, net.n_cells, net.scale, kind), budget, mode) == 0.0:
        return plain
    fixed, op_costs = fixed_and_op_costs(width, net.n_cells, net.scale, kind)
    combo = best_ops_in_budget(log_probs, fixed, op_costs, net.n_cells, budget, mode)
    return replace(plain, ops=tuple(PRIMITIVES[k] for k in combo))
