"""Reconstruction losses on (N, 3, H, W) float images in [0, 255].

- ``l1``: mean absolute error — tinysr's default for search and retraining (and the released retraining).
- ``l1+hfen``: L1 + 0.2 * HFEN, the released search loss. HFEN (high-frequency error norm) is the L1
  distance between Laplacian-of-Gaussian filtered images; it rewards sharp edges.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

LOSSES = ("l1", "l1+hfen")


def log_kernel(size: int = 15, sigma: float = 1.5) -> torch.Tensor:
    """Zero-sum Laplacian-of-Gaussian kernel, shape ``(size, size)`` float32."""
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    yy, xx = torch.meshgrid(r, r, indexing="ij")
    rr = (xx ** 2 + yy ** 2) / (2 * sigma ** 2)
    k = -(1 - rr) * torch.exp(-rr) / (math.pi * sigma ** 4)
    return (k - k.mean()).float()


def hfen_loss(sr: torch.Tensor, hr: torch.Tensor, size: int = 15, sigma: float = 1.5) -> torch.Tensor:
    """Mean ``|LoG * sr - LoG * hr|`` per channel (depthwise filtering, 'valid' region)."""
    c = sr.shape[1]
    k = log_kernel(size, sigma).to(sr)[None, None].repeat(c, 1, 1, 1)
    return F.l1_loss(F.conv2d(sr, k, groups=c), F.conv2d(hr, k, groups=c))


def get_loss(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The loss function called ``name`` (one of :data:`LOSSES`)."""
    if name == "l1":
        return F.l1_loss
    if name == "l1+hfen":
        return lambda sr, hr: F.l1_loss(sr, hr) + 0.2 * hfen_loss(sr, hr)
    raise ValueError(f"unknown loss {name!r}; choose one of {LOSSES}")
