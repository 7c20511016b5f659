"""(draft) FastMixedOp."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..ops import OPS, PRIMITIVES

_DENSE = (0, 1, 2, 3)
_SEP = (4, 5, 6)
_DIL = (7, 8)

STRATEGY = {"sep": "split", "dil": "split", "cl": True, "cl_out": False}


def _pad_kernel(w: torch.Tensor, k: int) -> torch.Tensor:
    p = (k - w.shape[-1]) // 2
    return F.pad(w, (p, p, p, p)) if p else w


class FastMixedOp(nn.Module):
    def __init__(self, C: int) -> None:
        super().__init__()
        self.C = C
        self.ops = nn.ModuleList(OPS[name](C) for name in PRIMITIVES)
        self.aux = 0.0

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        s = STRATEGY
        C = x.shape[1]
        ops = self.ops
        w = weights
        x_in = x
        if s["cl"]:
            x = x.contiguous(memory_format=torch.channels_last)
        # dense
        K = w[3] * ops[3].op[0].weight
        K = K + F.pad(w[2] * ops[2].op[0].weight, (1, 1, 1, 1))
        K = K + F.pad(w[1] * ops[1].op[0].weight, (2, 2, 2, 2))
        K = K + F.pad(w[0] * ops[0].op[0].weight, (3, 3, 3, 3))
        if s["cl"]:
            K = K.contiguous(memory_format=torch.channels_last)
        out = F.conv2d(x, K, padding=3)
        r = F.relu(x)
        sep = [ops[k].op for k in _SEP]
        if s["sep"] == "cat7":
            d1 = torch.cat([_pad_kernel(q[1].weight, 7) for q in sep], 0)
            u = F.conv2d(torch.cat([r, r, r], 1), d1, padding=3, groups=3 * C)
            p1 = torch.cat([q[2].weight for q in sep], 0)
            v = F.relu(F.conv2d(u, p1, groups=3))
            d2 = torch.cat([_pad_kernel(q[4].weight, 7) for q in sep], 0)
            zs = [F.conv2d(v, d2, padding=3, groups=3 * C)]
        else:
            zs = []
            for q in sep:
                k = q[1].weight.shape[-1]
                u = F.conv2d(r, q[1].weight, padding=k // 2, groups=C)
                v = F.relu(F.conv2d(u, q[2].weight))
                zs.append(F.conv2d(v, q[4].weight, padding=k // 2, groups=C))
        d3, d5 = ops[7].op, ops[8].op
        if s["dil"] == "mult":
            dd = torch.stack([_pad_kernel(d3[1].weight, 5), d5[1].weight], 1).reshape(2 * C, 1, 5, 5)
            zs.append(F.conv2d(r, dd, padding=4, dilation=2, groups=C))
            pd = torch.stack([w[7] * d3[2].weight, w[8] * d5[2].weight], 2).reshape(C, 2 * C, 1, 1)
        else:
            zs.append(F.conv2d(r, d3[1].weight, padding=2, dilation=2, groups=C))
            zs.append(F.conv2d(r, d5[1].weight, padding=4, dilation=2, groups=C))
            pd = torch.cat([w[7] * d3[2].weight, w[8] * d5[2].weight], 1)
        P = torch.cat([w[k] * ops[k].op[5].weight for k in _SEP] + [pd], 1)
        out = out + F.conv2d(torch.cat(zs, 1), P)
        if s["cl_out"]:
            out = out.contiguous()
        return out + self.aux * x_in if self.aux else out
