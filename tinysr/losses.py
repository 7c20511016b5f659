r"""Reconstruction losses on ``(N, 3, H, W)`` float images in [0, 255].

- ``l1``: mean absolute error.
- ``l1+hfen``: ``L1 + 0.2 * HFEN``, the released search loss (and the released retraining loss of
  DLSR-para and DLSR-tiny). HFEN, the *high-frequency error norm*, compares the edges of two images.

Two HFEN variants (``hfen=`` of :func:`get_loss`):

``"released"`` (the authors' ``l1_loss_func``, and the ``paper`` preset)::

    g     = 5x5 Gaussian (sigma 1.5, weights summing to 1), applied to each channel, no padding
    lap   = [[0, 1, 0], [1, -4, 1], [0, 1, 0]], padding 1, on the SUM of the 3 smoothed channels
    e(x)  = lap(sum_c g * x_c) / max(lap(...))      # divided by its own global maximum (if not 0)
    HFEN  = mean |e(sr) - e(hr)|

  (The released code builds the Laplacian as an ``(N, 3, 3, 3)`` weight, which yields N identical maps
  per image; their mean equals the mean over one map, which is what is computed here. The test file
  checks this against the literal construction.) Because each image batch is normalised by its own
  maximum, the term is scale-free and small: about 1/9 of the ``"log"`` variant on natural patches.

``"log"`` (tinysr's earlier definition): mean ``|LoG * sr - LoG * hr|`` per channel with a 15x15,
sigma 1.5 Laplacian-of-Gaussian kernel ('valid' region), in pixel units.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from .config.rules import HFEN_VARIANTS, LOSSES

__all__ = ["LOSSES", "HFEN_VARIANTS", "gaussian_kernel", "log_kernel", "hfen_released", "hfen_log",
           "hfen_loss", "get_loss"]

HFEN_WEIGHT = 0.2
_LAPLACIAN = ((0.0, 1.0, 0.0), (1.0, -4.0, 1.0), (0.0, 1.0, 0.0))


def gaussian_kernel(size: int = 5, sigma: float = 1.5) -> torch.Tensor:
    """Normalised 2-D Gaussian, shape ``(size, size)`` float64, summing to 1."""
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma ** 2))
    return g / g.sum()


def log_kernel(size: int = 15, sigma: float = 1.5) -> torch.Tensor:
    """Zero-sum Laplacian-of-Gaussian kernel, shape ``(size, size)`` float32."""
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    yy, xx = torch.meshgrid(r, r, indexing="ij")
    rr = (xx ** 2 + yy ** 2) / (2 * sigma ** 2)
    k = -(1 - rr) * torch.exp(-rr) / (math.pi * sigma ** 4)
    return (k - k.mean()).float()


def _released_edges(x: torch.Tensor) -> torch.Tensor:
    """``lap(sum_c gauss * x_c)`` divided by its global max: ``(N, 3, H, W) -> (N, 1, H-4, W-4)``."""
    c = x.shape[1]
    g = gaussian_kernel().to(x)[None, None].repeat(c, 1, 1, 1)
    smooth = F.conv2d(x, g, groups=c).sum(dim=1, keepdim=True)
    lap = torch.tensor(_LAPLACIAN).to(x)[None, None]
    edges = F.conv2d(smooth, lap, padding=1)
    top = edges.max()
    return edges / torch.where(top != 0, top, torch.ones_like(top))     # no division by a zero max


def hfen_released(sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
    """The released HFEN (module docstring): scalar, gradients through ``sr``."""
    return (_released_edges(sr) - _released_edges(hr)).abs().mean()


def hfen_log(sr: torch.Tensor, hr: torch.Tensor, size: int = 15, sigma: float = 1.5) -> torch.Tensor:
    """Mean ``|LoG * sr - LoG * hr|`` per channel (depthwise filtering, 'valid' region)."""
    c = sr.shape[1]
    k = log_kernel(size, sigma).to(sr)[None, None].repeat(c, 1, 1, 1)
    return F.l1_loss(F.conv2d(sr, k, groups=c), F.conv2d(hr, k, groups=c))


hfen_loss = hfen_log  # the earlier name


def get_loss(name: str, hfen: str = "released") -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The loss called ``name`` (one of :data:`LOSSES`); ``hfen`` picks the HFEN variant of ``l1+hfen``."""
    if name == "l1":
        return F.l1_loss
    if name == "l1+hfen":
        if hfen not in HFEN_VARIANTS:
            raise ValueError(f"unknown HFEN variant {hfen!r}; choose one of {HFEN_VARIANTS}")
        edge = hfen_released if hfen == "released" else hfen_log
        return lambda sr, hr: F.l1_loss(sr, hr) + HFEN_WEIGHT * edge(sr, hr)
    raise ValueError(f"unknown loss {name!r}; choose one of {LOSSES}")
