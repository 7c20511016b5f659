r"""The differentiable expected cost of a supernet's architecture, used as the complexity penalty.

Cell level. Position ``l`` picks op ``k`` with probability ``p_lk = softmax(alpha_l)_k``, so the derived
network's expected size is ``fixed + n_cells * sum_l sum_k p_lk c_k`` where ``c_k`` is op k's parameter
count (or Multi-Adds at a 720p output) and ``fixed`` is everything that does not depend on the choice
(head, distillation convs, ESA, fusions, tail). tinysr normalises it by the largest possible value::

    cell_term = (fixed + n * sum_l sum_k p_lk c_k) / (fixed + n * 3 * max_k c_k)       in (0, 1]

Network level. Every derived cell fuses exactly two predecessors with the same 2C -> C conv, so the choice
of predecessors does not change the parameter count or Multi-Adds. What it changes is how far back a
feature map must be fetched: ``B_{j-1}`` has just been written, ``B_i`` with ``i < j - 1`` must be kept and
read back from memory. tinysr charges the expected distance, normalised::

    net_term = mean_j  sum_i softmax(beta_j)_i * (j - 1 - i) / (j - 2)                 in [0, 1]

    expected_cost = (1 - network_share) * cell_term + network_share * net_term        in [0, 1]

Both terms stay in the autograd graph, so every alpha and every beta gets a gradient. (The released code
computed ``sum_l sum_k p_lk c_k / sum_k c_k`` from ``alpha.data`` in numpy: no gradient reached alpha, and
betas had no cost at all.) With no bias, an op's MACs per pixel equal its parameter count, so ``kind``
only changes ``fixed``: Multi-Adds weight ESA's cheap strided branch and the pixel-shuffle head differently.
"""
from __future__ import annotations

from functools import lru_cache

import torch

from ..ops import PRIMITIVES, op_cost

KINDS = ("params", "multi_adds")


@lru_cache(maxsize=32)
def _fixed_and_op_costs(C: int, cells: int, scale: int, kind: str) -> tuple[float, tuple[float, ...]]:
    """``fixed`` cost and per-op costs ``c_k`` (same unit: params, or MACs at a 720p output)."""
    from ..complexity import count_params, lr_size_720p, multi_adds
    from ..genotype import Genotype
    from ..model import DLSRNet

    ops = [op_cost(name, C)[0] for name in PRIMITIVES]
    chain = tuple((j - 2, j - 1) for j in range(3, cells + 1))
    net = DLSRNet(Genotype(ops=("conv_1x1",) * 3, inputs=chain, channels=C, cells=cells), scale)
    if kind == "params":
        return float(count_params(net) - 3 * cells * ops[0]), tuple(float(c) for c in ops)
    h, w = lr_size_720p(scale)
    return float(multi_adds(net, scale) - 3 * cells * ops[0] * h * w), tuple(float(c * h * w) for c in ops)


def expected_cost(net, kind: str = "params", network_share: float = 0.1) -> torch.Tensor:
    """Differentiable expected cost in [0, 1] of ``net`` (a :class:`~tinysr.space.SuperNet`) under
    softmax(alpha) and softmax(beta); see the module docstring. Returns a 0-dim tensor."""
    if kind not in KINDS:
        raise ValueError(f"cost kind {kind!r} is not known; choose one of {KINDS}")
    fixed, ops = _fixed_and_op_costs(net.C, net.n_cells, net.scale, kind)
    c = torch.tensor(ops, dtype=net.alpha.dtype, device=net.alpha.device)
    probs = net.alpha_probs()                       # (3, 9) or (cells, 3, 9)
    per_cell = (probs * c).sum(dim=(-1, -2))        # expected op cost of one cell (or each cell)
    n = net.n_cells
    ops_total = per_cell * n if per_cell.dim() == 0 else per_cell.sum()
    cell_term = (fixed + ops_total) / (fixed + n * 3 * max(ops))
    terms = []
    for j, p in enumerate(net.beta_probs(), start=3):
        dist = torch.arange(j - 2, -1, -1, dtype=p.dtype, device=p.device) / (j - 2)
        terms.append((p * dist).sum())
    net_term = torch.stack(terms).mean()
    return (1 - network_share) * cell_term + network_share * net_term
