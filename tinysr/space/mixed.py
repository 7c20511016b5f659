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

__all__ = ["MixedOp"]


class MixedOp(nn.Module):
    """All 9 candidate ops at width ``C``; ``forward(x, weights)`` with ``x`` (N, C, H, W) and
    ``weights`` (9,) (a softmax row) returns their weighted sum, (N, C, H, W).

    ``aux`` is the DARTS- auxiliary skip weight: ``+ aux * x`` (0 = off, the paper's default)."""

    def __init__(self, C: int) -> None:
        super().__init__()
        self.ops = nn.ModuleList(OPS[name](C) for name in PRIMITIVES)
        self.aux = 0.0

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        out = sum(w * op(x) for w, op in zip(weights, self.ops))
        return out + self.aux * x if self.aux else out
