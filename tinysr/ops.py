"""The 9 candidate operations of DLSR's cell search space, and their exact costs.

Every operation maps ``(N, C, H, W) -> (N, C, H, W)`` (stride 1, "same" padding), has **no bias and no
BatchNorm** (the released code), and wraps its layers in an ``nn.Sequential`` called ``op`` so that
parameter names match the authors' checkpoints (``c2_r.op.1.weight`` is the first depthwise kernel of a
separable conv).

Because no op has a bias, every weight is used exactly once per output pixel, so for each op
``MACs per pixel == parameter count`` (ReLUs cost no multiply-adds, in the thop convention):

=============  ===========================================  ===============  ==========
name           layers (``op.<index>``)                       params (C)       receptive
=============  ===========================================  ===============  ==========
conv_1x1       0 conv 1x1                                    C^2              1
conv_3x3       0 conv 3x3                                    9 C^2            3
conv_5x5       0 conv 5x5                                    25 C^2           5
conv_7x7       0 conv 7x7                                    49 C^2           7
sep_conv_3x3   0 ReLU, 1 dw 3x3, 2 pw, 3 ReLU, 4 dw 3x3, 5 pw   2 (9 C + C^2)    5
sep_conv_5x5   same with k = 5                                2 (25 C + C^2)   9
sep_conv_7x7   same with k = 7                                2 (49 C + C^2)   13
dil_conv_3x3   0 ReLU, 1 dw 3x3 dilation 2, 2 pw               9 C + C^2        5
dil_conv_5x5   0 ReLU, 1 dw 5x5 dilation 2, 2 pw               25 C + C^2       9
=============  ===========================================  ===============  ==========

Why separable and dilated ops are cheap: a dense kxk conv costs ``k^2 C^2``; splitting it into a
depthwise kxk (``k^2 C``) and a pointwise 1x1 (``C^2``) removes the ``k^2`` factor from the big term.
A dilated kernel sees ``2k - 1`` pixels with the cost of ``k``.
"""
from __future__ import annotations

from collections.abc import Callable

import torch.nn as nn

__all__ = ["PRIMITIVES", "OPS", "op_cost", "receptive_field"]

PRIMITIVES: tuple[str, ...] = (
    "conv_1x1", "conv_3x3", "conv_5x5", "conv_7x7",
    "sep_conv_3x3", "sep_conv_5x5", "sep_conv_7x7",
    "dil_conv_3x3", "dil_conv_5x5",
)


class Conv(nn.Module):
    """Plain ``k x k`` convolution ``C -> C``, no bias. Receptive field ``k``."""

    def __init__(self, C: int, k: int) -> None:
        super().__init__()
        self.kernel_size = k
        self.op = nn.Sequential(nn.Conv2d(C, C, k, padding=k // 2, bias=False))

    def forward(self, x):
        return self.op(x)


class SepConv(nn.Module):
    """Separable convolution applied twice (DARTS): ``ReLU, dw kxk, pw 1x1, ReLU, dw kxk, pw 1x1``.
    Receptive field ``2k - 1``."""

    def __init__(self, C: int, k: int) -> None:
        super().__init__()
        self.kernel_size = k
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(C, C, k, padding=k // 2, groups=C, bias=False),
            nn.Conv2d(C, C, 1, bias=False),
            nn.ReLU(inplace=False),
            nn.Conv2d(C, C, k, padding=k // 2, groups=C, bias=False),
            nn.Conv2d(C, C, 1, bias=False),
        )

    def forward(self, x):
        return self.op(x)


class DilConv(nn.Module):
    """Dilated separable convolution: ``ReLU, dw kxk dilation 2, pw 1x1``. Receptive field ``2k - 1``."""

    def __init__(self, C: int, k: int, dilation: int = 2) -> None:
        super().__init__()
        self.kernel_size = k
        self.dilation = dilation
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(C, C, k, padding=dilation * (k - 1) // 2, dilation=dilation, groups=C, bias=False),
            nn.Conv2d(C, C, 1, bias=False),
        )

    def forward(self, x):
        return self.op(x)


OPS: dict[str, Callable[[int], nn.Module]] = {
    "conv_1x1": lambda C: Conv(C, 1),
    "conv_3x3": lambda C: Conv(C, 3),
    "conv_5x5": lambda C: Conv(C, 5),
    "conv_7x7": lambda C: Conv(C, 7),
    "sep_conv_3x3": lambda C: SepConv(C, 3),
    "sep_conv_5x5": lambda C: SepConv(C, 5),
    "sep_conv_7x7": lambda C: SepConv(C, 7),
    "dil_conv_3x3": lambda C: DilConv(C, 3),
    "dil_conv_5x5": lambda C: DilConv(C, 5),
}


def _kernel(name: str) -> int:
    return int(name.rsplit("_", 1)[1].split("x")[0])


def op_cost(name: str, C: int) -> tuple[int, int]:
    """``(params, MACs per output pixel)`` of op ``name`` at width ``C``, from the closed-form formulas
    in the module docstring (equal, since no op has a bias). Multiply the MACs by ``H * W`` for a map."""
    if name not in OPS:
        raise ValueError(f"unknown op {name!r}; valid ops: {', '.join(PRIMITIVES)}")
    k = _kernel(name)
    if name.startswith("conv_"):
        params = k * k * C * C
    elif name.startswith("sep_conv_"):
        params = 2 * (k * k * C + C * C)
    else:  # dil_conv
        params = k * k * C + C * C
    return params, params


def receptive_field(name: str) -> int:
    """Side of the input window one output pixel of op ``name`` depends on."""
    if name not in OPS:
        raise ValueError(f"unknown op {name!r}; valid ops: {', '.join(PRIMITIVES)}")
    k = _kernel(name)
    return k if name.startswith("conv_") else 2 * k - 1
