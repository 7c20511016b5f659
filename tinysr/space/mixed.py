"""The reference mixed operation of the cell-level search space.

DLSR (like DARTS) relaxes the choice of one op per position into a softmax-weighted sum of all
candidates::

    mixed(x) = sum_k w_k * op_k(x),     w = softmax(alpha_l)   (one row of alpha per position l)

This module is the plain, readable definition: it runs all 9 ops one by one. ``FastMixedOp``
(:mod:`tinysr.space.fast`) computes exactly the same function with fused convolutions.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..ops import OPS, PRIMITIVES

__all__ = ["MixedOp", "sampled_op"]


def sampled_op(ops: nn.ModuleList, x: torch.Tensor, weights: torch.Tensor, aux: float = 0.0,
               k: int | None = None) -> torch.Tensor:
    """GDAS' single path: ``w_k * op_k(x)`` (+ ``aux * x``) for the one op ``k`` a hard sample chose, where
    ``weights`` is the straight-through row ``one_hot - soft.detach() + soft`` (value 1 at ``k``, exactly 0
    elsewhere). Same value as the weighted sum of all nine; only op ``k`` runs. Its gradient reaches alpha
    through ``w_k`` alone: ``dL/dalpha_j = <dL/dout, op_k(x)> * d soft_k / d alpha_j``, where the weighted sum's
    straight-through gradient adds the same term for every op, ``sum_i <dL/dout, op_i(x)> d soft_i / d alpha_j``
    (``docs/method.md``). ``k``: the sampled index when the caller knows it (else read from ``weights``, a host
    sync on a GPU)."""
    k = int(weights.detach().argmax()) if k is None else k
    out = weights[k] * ops[k](x)
    return out + aux * x if aux else out


class MixedOp(nn.Module):
    """All 9 candidate ops at width ``C``; ``forward(x, weights)`` with ``x`` (N, C, H, W) and
    ``weights`` (9,) (a softmax row) returns their weighted sum, (N, C, H, W).

    ``aux`` is the DARTS- auxiliary skip weight: ``+ aux * x`` (0 = off, the paper's default);
    ``sampled`` (set by the supernet for each forward): the index of the op a hard sample chose, run alone;
    ``None``: the weighted sum."""

    def __init__(self, C: int) -> None:
        super().__init__()
        self.ops = nn.ModuleList(OPS[name](C) for name in PRIMITIVES)
        self.aux = 0.0
        self.sampled: int | None = None

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        if self.sampled is not None:
            return sampled_op(self.ops, x, weights, self.aux, self.sampled)
        out = sum(w * op(x) for w, op in zip(weights, self.ops))
        return out + self.aux * x if self.aux else out
