r"""What an architecture costs: the released (gradient-free) term, and tinysr's differentiable budget.

**Released term** (a value only). The authors' search adds ``sum_l sum_k softmax(alpha)_lk p_k / sum_k p_k``
to the architecture loss, with ``p_k`` the ops' parameter counts at 50 channels in thousands
(:data:`RELEASED_OP_KPARAMS`), computed from ``alpha.data`` in numpy: it is a constant, so **no gradient
reaches alpha from it** and the released search has no complexity pressure at all. tinysr reports it in the
history (:func:`released_cost`) and never differentiates it.

**Budget** (tinysr's option, ``search.budget_params`` or ``search.budget_multi_adds``). Position ``l`` picks
op ``k`` with probability ``p_lk = softmax(alpha_l)_k``, so the derived network -- at the width it will be
*retrained* at -- has the expected size::

    E = F + n * sum_l sum_k p_lk c_k                                  (params, or Multi-Adds at 720p)

with ``c_k`` op k's cost, ``n`` cells and ``F`` everything that does not depend on the choice (head,
distillation convs, ESA, fusions, tail; every derived cell fuses exactly 2 predecessors, so the betas do not
change the size). By default (``search.budget_estimate="derived"``) the penalty's value is that of the
network that will be derived and retrained, with ``E``'s gradient (:func:`derived_size`, straight-through).
The penalty is a squared hinge on the log-ratio::

    penalty(E, B) = max(0, log(E / B)) ** 2                            (0 inside the budget; mode "max")
    penalty(E, B) = max(0, |log(E / B)| - log 1.1) ** 2                (0 within +-10%; mode "target")

weighted by ``search.lambda_cost`` and added to the architecture loss, whose data part is an L1 distance in
pixel units (typically 3-10 on [0, 255] images). 10% over budget costs ``lambda * 0.009``; 50% over costs
``lambda * 0.16``; the gradient on ``log E`` is ``2 lambda log(E/B)``. Compare the data gradient on alpha,
1e-4 to 1e-2 per position at the start of a search (measured at the smoke and paper scales): ``lambda`` of order
1-10 makes the budget a firm constraint without swamping the data inside it. Working on ``log E`` makes the weight
independent of the budget's unit.

**Network-level term** (``search.network_cost``, 0 by default). The expected distance of the fetched
predecessors, ``mean_j sum_i softmax(beta_j)_i (j-1-i)/(j-2)`` in [0, 1]: a preference for short
connections (it does not change the parameter count). Not in the paper or the released code.
"""
from __future__ import annotations

import math
from functools import lru_cache

import torch

from ..complexity import count_params, lr_size_720p, multi_adds
from ..genotype import Genotype
from ..model import DLSRNet
from ..ops import PRIMITIVES, op_cost

__all__ = ["KINDS", "RELEASED_OP_KPARAMS", "released_cost", "fixed_and_op_costs", "genotype_size", "expected_size",
           "derived_size", "budget_penalty", "network_distance", "expected_cost"]

KINDS = ("params", "multi_adds")
#: p_k of the released search script: the 9 ops' parameter counts at 50 channels, in thousands.
RELEASED_OP_KPARAMS = (2.5, 22.5, 62.5, 122.5, 5.9, 7.5, 9.9, 2.95, 3.75)


def released_cost(net) -> float:
    """The released cost value ``sum_l sum_k softmax(alpha)_lk p_k / sum_k p_k`` (no gradient; per-cell
    alphas: their mean over cells)."""
    with torch.no_grad():
        probs = net.alpha_probs()
        if probs.dim() == 3:
            probs = probs.mean(dim=0)
        p = torch.tensor(RELEASED_OP_KPARAMS, dtype=probs.dtype, device=probs.device)
        return float((probs * p).sum() / p.sum())


@lru_cache(maxsize=64)
def fixed_and_op_costs(C: int, cells: int, scale: int, kind: str) -> tuple[float, tuple[float, ...]]:
    """``F`` and the per-op costs ``c_k`` of a derived network of width ``C`` (same unit: params, or
    MACs at a 720p output). Cached; building the reference network does not touch torch's global random
    generator, so whether the cache was warm cannot change a seeded run."""
    if kind not in KINDS:
        raise ValueError(f"cost kind {kind!r} is not known; choose one of {KINDS}")
    ops = [op_cost(name, C)[0] for name in PRIMITIVES]
    chain = tuple((j - 2, j - 1) for j in range(3, cells + 1))
    with torch.random.fork_rng(devices=[]):     # a size, not a draw: leave torch's global generator as it was
        net = DLSRNet(Genotype(ops=("conv_1x1",) * 3, inputs=chain, channels=C, cells=cells), scale)
    if kind == "params":
        return float(count_params(net) - 3 * cells * ops[0]), tuple(float(c) for c in ops)
    h, w = lr_size_720p(scale)
    return float(multi_adds(net, scale) - 3 * cells * ops[0] * h * w), tuple(float(c * h * w) for c in ops)


def genotype_size(ops: tuple[str, ...], channels: int, cells: int, scale: int, kind: str = "params") -> int:
    """Params (or Multi-Adds at a 720p output) of the derived network with these 3 ops, ``cells`` cells of
    width ``channels``, without building it: ``F + cells * sum_i c_{op_i}`` (exact for every wiring in which
    each cell fuses 2 predecessors, i.e. every derived one)."""
    fixed, costs = fixed_and_op_costs(channels, cells, scale, kind)
    return int(round(fixed + cells * sum(costs[PRIMITIVES.index(op)] for op in ops)))


def expected_size(net, kind: str = "params", channels: int | None = None) -> torch.Tensor:
    """Differentiable expected params (or Multi-Adds) of the network derived from ``net`` (a SuperNet)
    when built at width ``channels`` (None: the supernet's own). 0-dim tensor, in counts."""
    fixed, ops = fixed_and_op_costs(channels or net.C, net.n_cells, net.scale, kind)
    c = torch.tensor(ops, dtype=net.alpha.dtype, device=net.alpha.device)
    per_cell = (net.alpha_probs() * c).sum(dim=(-1, -2))      # one cell's op cost (or each cell's)
    total = per_cell * net.n_cells if per_cell.dim() == 0 else per_cell.sum()
    return fixed + total


def derived_size(net, kind: str = "params", channels: int | None = None) -> torch.Tensor:
    """The size the budget is about, differentiably: the **derived** network's size as the value (argmax op
    per position: what will be retrained) with the expected size's gradient (straight-through)::

        D_st = E + (D - E).detach()        value D, gradient dE/dalpha

    With a plain expected size, a mixture of big and small ops can meet the budget while its argmax does not
    (a search's history records the argmax network's size, ``argmax_params``, beside the derived one's)."""
    expected = expected_size(net, kind, channels)
    with torch.no_grad():
        probs = net.alpha_probs()
        top = (probs.mean(dim=0) if probs.dim() == 3 else probs).argmax(dim=-1)
        derived = genotype_size(tuple(PRIMITIVES[int(k)] for k in top), channels or net.C, net.n_cells, net.scale,
                                kind)
    return expected + (derived - expected).detach()


TARGET_BAND = 0.1     # mode "target": no penalty within +-10% of the budget


def budget_penalty(expected: torch.Tensor, budget: float, mode: str = "max") -> torch.Tensor:
    """``mode="max"``: ``max(0, log(E / B)) ** 2``, zero inside the budget (module docstring).
    ``mode="target"``: ``max(0, |log(E / B)| - log(1.1)) ** 2``, zero within +-10% of the budget and growing on
    both sides -- for comparing networks *at* a budget (the study), when the data alone would settle well
    below it. 0-dim tensor."""
    if not budget > 0:
        raise ValueError(f"a budget must be > 0, got {budget!r}")
    excess = torch.log(expected) - math.log(budget)
    if mode == "target":
        return torch.relu(excess.abs() - math.log1p(TARGET_BAND)) ** 2
    if mode != "max":
        raise ValueError(f"budget mode {mode!r}: use 'max' or 'target'")
    return torch.relu(excess) ** 2


def network_distance(net) -> torch.Tensor:
    """Expected distance of the fetched predecessors, in [0, 1] (module docstring); 0-dim tensor."""
    terms = []
    for j, p in enumerate(net.beta_probs(), start=3):
        dist = torch.arange(j - 2, -1, -1, dtype=p.dtype, device=p.device) / (j - 2)
        terms.append((p * dist).sum())
    return torch.stack(terms).mean()


def expected_cost(net, kind: str = "params") -> torch.Tensor:
    """The expected size normalised by the largest network of the space (all ``conv_7x7``), in (0, 1]:
    a unit-free number for plots and the notebooks. Differentiable in alpha."""
    fixed, ops = fixed_and_op_costs(net.C, net.n_cells, net.scale, kind)
    return expected_size(net, kind) / (fixed + net.n_cells * 3 * max(ops))
