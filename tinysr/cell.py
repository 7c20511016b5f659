"""Building blocks shared by the discrete network (:mod:`tinysr.model`) and the supernet (:mod:`tinysr.space`).

- :class:`ESA` — enhanced spatial attention (RFDN), the last layer of every cell;
- :class:`DistillationCell` — DLSR's information-distillation cell with 3 searchable op positions;
- :class:`Fusion` — ``act(conv1x1(cat[...]))``, the network-level fusion in front of cells B3..Bn and in the tail;
- :func:`make_upsampler` — ``conv3x3(C -> 3 r^2) + PixelShuffle(r)``.

All feature maps are ``(N, C, H, W)`` float32 at the LR resolution. ``act`` is LeakyReLU with slope 0.05
(the released code). Attribute names are chosen so that the authors' checkpoint keys map one-to-one
(see ``tinysr.model.official_name``):

===================  ==========================  ========================
official (per cell)  tinysr (``cells.<i-1>.``)    role
===================  ==========================  ========================
``c{k}_d``           ``distill.<k-1>``           1x1 C -> C/2, bias
``c{k}_r``           ``ops.<k-1>``               searched op, C -> C
``c4``               ``refine``                  3x3 C -> C/2, bias
``c5``               ``fuse``                    1x1 2C -> C, bias
``esa.*``            ``esa.*``                   same names
===================  ==========================  ========================
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config.rules import ESA_MIN, SCALES

__all__ = ["NEG_SLOPE", "act", "esa_min_size", "ESA_MIN_SIZE", "check_esa_size", "ESA", "DistillationCell",
           "Fusion", "make_upsampler", "AUTHOR_KEYS", "author_key"]

NEG_SLOPE = 0.05  # LeakyReLU slope of the released code


def act() -> nn.LeakyReLU:
    """The cell/network activation: ``LeakyReLU(0.05)`` (not in place, so autograd and hooks stay simple)."""
    return nn.LeakyReLU(NEG_SLOPE)


def esa_min_size() -> int:
    """Smallest H (and W) for which ESA's reduction path has at least one pixel.

    ``conv2`` (3x3, stride 2, pad 0) gives ``h2 = floor((H - 3) / 2) + 1`` and ``max_pool2d(7, 3)`` gives
    ``floor((h2 - 7) / 3) + 1``; that is >= 1 iff ``h2 >= 7`` iff ``H >= 15``.
    """
    size = 1
    while not ((size - 3) // 2 + 1 >= 7):
        size += 1
    return size


ESA_MIN_SIZE = ESA_MIN  # 15: the smallest LR input (per side) any DLSR network accepts (esa_min_size derives it)


def check_esa_size(h: int, w: int, what: str = "feature map", scale: int | None = None) -> None:
    """Raise ``ValueError`` if an ``h x w`` map is too small for ESA, naming the minimum and the fix."""
    if h < ESA_MIN_SIZE or w < ESA_MIN_SIZE:
        hr = f"an HR patch >= {ESA_MIN_SIZE * scale} at x{scale}" if scale else f"an HR patch >= {ESA_MIN_SIZE} * scale"
        raise ValueError(
            f"{what} of {h}x{w} is too small: ESA (stride-2 conv then 7x7/3 max-pool) needs at least "
            f"{ESA_MIN_SIZE}x{ESA_MIN_SIZE} LR pixels. Use a larger image, or when training a larger patch ({hr})."
        )


class ESA(nn.Module):
    """Enhanced spatial attention (RFDN): a cheap, large-receptive-field mask ``m`` in (0, 1), ``out = x * m``.

    With ``f = C // 4``::

        c1 = conv1(x)                                  # 1x1, C -> f
        c  = maxpool_{7,3}(conv2(c1))                  # 3x3 stride 2, pad 0   (H/6 x W/6 roughly)
        c  = conv3_(relu(conv3(relu(conv_max(c)))))    # three 3x3, pad 1
        up = bilinear(c, size of x, align_corners=False)
        m  = sigmoid(conv4(up + conv_f(c1)))           # conv_f: 1x1 f -> f, conv4: 1x1 f -> C

    Input and output ``(N, C, H, W)``, ``H, W >= ESA_MIN_SIZE`` (15); smaller maps raise ``ValueError``.
    """

    def __init__(self, C: int) -> None:
        super().__init__()
        f = C // 4
        if f < 1:
            raise ValueError(f"ESA needs at least 4 channels (f = C // 4 >= 1); got C={C}")
        self.conv1 = nn.Conv2d(C, f, 1)
        self.conv_f = nn.Conv2d(f, f, 1)
        self.conv_max = nn.Conv2d(f, f, 3, padding=1)
        self.conv2 = nn.Conv2d(f, f, 3, stride=2, padding=0)
        self.conv3 = nn.Conv2d(f, f, 3, padding=1)
        self.conv3_ = nn.Conv2d(f, f, 3, padding=1)
        self.conv4 = nn.Conv2d(f, C, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_esa_size(x.shape[-2], x.shape[-1])
        c1_ = self.conv1(x)
        c1 = F.max_pool2d(self.conv2(c1_), kernel_size=7, stride=3)
        c3 = F.relu(self.conv_max(c1))
        c3 = F.relu(self.conv3(c3))
        c3 = self.conv3_(c3)
        c3 = F.interpolate(c3, size=x.shape[-2:], mode="bilinear", align_corners=False)
        m = torch.sigmoid(self.conv4(c3 + self.conv_f(c1_)))
        return x * m


class DistillationCell(nn.Module):
    """DLSR's cell (RFDN's residual feature distillation block with 3 searched ops).

    ``ops`` are 3 modules mapping ``(N, C, H, W) -> (N, C, H, W)``: discrete ops from ``tinysr.ops.OPS`` or
    the supernet's mixed ops. The paper's equations::

        for i in 1..3:
            d_i = act(distill_i(x_{i-1}))        # 1x1, C -> C/2, bias
            x_i = act(op_i(x_{i-1}) + x_{i-1})   # searched op, residual
        r4  = act(refine(x_3))                   # 3x3, C -> C/2, bias
        y   = fuse(cat[d1, d2, d3, r4])          # 1x1, 2C -> C, bias, no activation
        out = esa(y)                             # no residual around the cell

    Input and output ``(N, C, H, W)`` with ``H, W >= 15`` (ESA).
    """

    def __init__(self, C: int, ops: Sequence[nn.Module]) -> None:
        super().__init__()
        if C < 4 or C % 2:
            raise ValueError(f"cell width C must be even and >= 4 (C/2 distilled channels, ESA needs C//4); got {C}")
        if len(ops) != 3:
            raise ValueError(f"a DistillationCell takes exactly 3 ops (one per position); got {len(ops)}")
        half = C // 2
        self.distill = nn.ModuleList(nn.Conv2d(C, half, 1) for _ in range(3))
        self.ops = nn.ModuleList(ops)
        self.refine = nn.Conv2d(C, half, 3, padding=1)
        self.fuse = nn.Conv2d(4 * half, C, 1)
        self.esa = ESA(C)
        self.act = act()

    def forward(self, x: torch.Tensor, op_weights: torch.Tensor | None = None) -> torch.Tensor:
        """``op_weights`` (3, K): the supernet's mixing weights, one row per position, passed on as
        ``op_i(x, op_weights[i])``; ``None`` for discrete ops."""
        distilled = []
        for i, (distill, op) in enumerate(zip(self.distill, self.ops)):
            distilled.append(self.act(distill(x)))
            y = op(x) if op_weights is None else op(x, op_weights[i])
            x = self.act(y + x)
        distilled.append(self.act(self.refine(x)))
        return self.esa(self.fuse(torch.cat(distilled, dim=1)))


class Fusion(nn.Module):
    """``act(conv1x1(cat[x_1, ..., x_k]))``: ``k`` maps of ``C`` channels -> one of ``C`` (bias).

    Network level: the input of cell ``B_j`` (j >= 3) fuses its chosen predecessors, and the tail fuses all
    cells (``k = n``). The supernet may scale each input by ``softmax(beta)`` before calling it.
    """

    def __init__(self, k: int, C: int) -> None:
        super().__init__()
        self.k = k
        self.conv = nn.Conv2d(k * C, C, 1)
        self.act = act()

    def forward(self, xs: Sequence[torch.Tensor]) -> torch.Tensor:
        if len(xs) != self.k:
            raise ValueError(f"this Fusion concatenates {self.k} maps; got {len(xs)}")
        return self.act(self.conv(torch.cat(list(xs), dim=1)))


def make_upsampler(C: int, scale: int) -> nn.Sequential:
    """``conv3x3(C -> 3 r^2)`` then ``PixelShuffle(r)``: ``(N, C, H, W) -> (N, 3, rH, rW)``.
    A ``Sequential`` so the conv is ``upsampler.0`` as in the official checkpoints."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}; got {scale!r}")
    return nn.Sequential(nn.Conv2d(C, 3 * scale * scale, 3, padding=1), nn.PixelShuffle(scale))


#: tinysr's parameter names -> the authors' (the parts both their supernet and their discrete network share):
#: ``(regex, template)`` pairs; cell ``i`` (0-based) is their ``B{i+1}``, position ``j`` their ``c{j+1}``
AUTHOR_KEYS: list = [
    (r"fea_conv\.(\w+)", lambda m: f"fea_conv.{m[1]}"),
    (r"cells\.(\d+)\.distill\.(\d)\.(\w+)", lambda m: f"B{int(m[1]) + 1}.c{int(m[2]) + 1}_d.{m[3]}"),
    (r"cells\.(\d+)\.refine\.(\w+)", lambda m: f"B{int(m[1]) + 1}.c4.{m[2]}"),
    (r"cells\.(\d+)\.fuse\.(\w+)", lambda m: f"B{int(m[1]) + 1}.c5.{m[2]}"),
    (r"cells\.(\d+)\.esa\.(.+)", lambda m: f"B{int(m[1]) + 1}.esa.{m[2]}"),
    (r"tail_conv\.(\w+)", lambda m: f"LR_conv.{m[1]}"),
    (r"upsampler\.0\.(\w+)", lambda m: f"upsampler.0.{m[1]}"),
]


def author_key(key: str, rules: list, what: str) -> str:
    """The authors' name of tinysr parameter ``key`` by the first matching ``(regex, template)`` of ``rules``."""
    for pattern, template in rules:
        m = re.fullmatch(pattern, key)
        if m:
            return template(m)
    raise KeyError(f"tinysr key {key!r} has no counterpart in {what}")
