"""Bicubic resizing: :func:`imresize` reproduces MATLAB's ``imresize(img, scale, 'bicubic')`` byte for byte;
:func:`imresize_pt` is a fast, approximate torch path for training batches.

Why exact: every SR paper makes its LR test images with MATLAB, and PSNR moves by up to a dB with the
resizer. The genuine LR files in ``shared/data/benchmarks`` (Set5, Set14, B100 at x2/x3/x4, 357 files) are
reproduced with 0 differing values by :func:`imresize` (``tests/test_resize.py`` checks all of them).

The recipe (MATLAB's ``imresize.m``, bicubic, antialiasing on), per axis, for output pixel
``x = 1..out`` (1-based, as MATLAB):

- Keys cubic kernel, a = -0.5::

      k(t) = 1.5|t|^3 - 2.5|t|^2 + 1             |t| <= 1
           = -0.5|t|^3 + 2.5|t|^2 - 4|t| + 2      1 < |t| <= 2
           = 0                                    otherwise

- shrinking (scale s < 1) widens it (antialiasing): ``h(t) = s * k(s * t)``, support ``4 / s``;
- sample centre ``u = x / s + 0.5 * (1 - 1/s)``; taps ``left = floor(u - width/2)``, then
  ``P = ceil(width) + 2`` taps ``left .. left+P-1``; weights ``h(u - tap)``, normalised to sum to 1;
- taps outside ``1..in`` are clamped to the edge pixel (**replicate**; mirror padding does not match);
- rows (axis 0, height) first, then columns (axis 1);
- after **each** 1-D pass the result is rounded to uint8 with ``floor(v + 0.5)`` clipped to 0..255
  (``np.round`` rounds half to even and does not match).

Output size is ``ceil(in * scale)`` per axis, as MATLAB. To make the LR of an HR image, mod-crop first:
``imresize(hr[:h*s, :w*s], 1/s)`` has exactly ``(h, w)`` pixels.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["imresize", "imresize_pt", "cubic", "contributions", "output_size"]


def cubic(t: np.ndarray) -> np.ndarray:
    """Keys cubic convolution kernel with a = -0.5 (MATLAB's ``cubic``); zero for ``|t| > 2``."""
    a = np.abs(t)
    a2, a3 = a * a, a * a * a
    return ((1.5 * a3 - 2.5 * a2 + 1.0) * (a <= 1)
            + (-0.5 * a3 + 2.5 * a2 - 4.0 * a + 2.0) * ((a > 1) & (a <= 2)))


def output_size(in_length: int, scale: float) -> int:
    """MATLAB's output length ``ceil(in_length * scale)``."""
    return int(math.ceil(in_length * scale))


@lru_cache(maxsize=64)
def contributions(in_length: int, out_length: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Weights and 0-based source indices of one 1-D bicubic pass (MATLAB's ``contributions``).

    Returns ``(weights, indices)``, both of shape ``(out_length, P)``: output pixel ``i`` is
    ``sum_p weights[i, p] * src[indices[i, p]]``. Indices are already clamped into ``0..in_length-1``
    (replicate padding). Cached: a training run resizes many images of the same size.
    """
    width = 4.0
    if scale < 1:                                   # antialiasing: stretch the kernel by 1/scale
        width = width / scale
        kernel = lambda t: scale * cubic(scale * t)  # noqa: E731 - the paper's h(t) = s k(s t)
    else:
        kernel = cubic
    x = np.arange(1, out_length + 1, dtype=np.float64)          # 1-based output coordinates
    u = x / scale + 0.5 * (1.0 - 1.0 / scale)                   # matching 1-based input coordinate
    left = np.floor(u - width / 2.0)
    taps = int(math.ceil(width)) + 2
    indices = left[:, None] + np.arange(taps, dtype=np.float64)[None, :]
    weights = kernel(u[:, None] - indices)
    weights = weights / weights.sum(axis=1, keepdims=True)
    indices = np.clip(indices - 1, 0, in_length - 1).astype(np.intp)   # 0-based, replicate
    weights.setflags(write=False)
    indices.setflags(write=False)
    return weights, indices


def _round_uint8(v: np.ndarray) -> np.ndarray:
    """MATLAB's double -> uint8: round half away from zero (``floor(v + 0.5)`` for the kept range), saturate."""
    return np.clip(np.floor(v + 0.5), 0, 255).astype(np.uint8)


def _resize_rows(img: np.ndarray, scale: float) -> np.ndarray:
    """One 1-D pass along axis 0 (height) of a uint8 (H, W, C) array; returns uint8 (ceil(H*scale), W, C)."""
    weights, indices = contributions(img.shape[0], output_size(img.shape[0], scale), scale)
    # uint8 -> float32 is exact, and float32 * float64 promotes to the same float64 product MATLAB forms.
    src = np.ascontiguousarray(img, dtype=np.float32)
    # One gather of whole rows + multiply-add per tap (P of them): memory stays O(output), unlike a single
    # (out, P, W, C) gather, and the taps are summed left to right.
    acc = np.empty((weights.shape[0],) + img.shape[1:])
    tmp = np.empty_like(acc)
    np.multiply(src[indices[:, 0]], weights[:, 0, None, None], out=acc)
    for p in range(1, weights.shape[1]):
        np.multiply(src[indices[:, p]], weights[:, p, None, None], out=tmp)
        acc += tmp
    return _round_uint8(acc)


def _check_scale(scale: float) -> float:
    if isinstance(scale, bool) or not isinstance(scale, (int, float, np.integer, np.floating)):
        raise ValueError(f"scale must be a positive number (e.g. 0.5 or 1/3 to shrink, 2 to enlarge), "
                         f"got {scale!r} of type {type(scale).__name__}")
    scale = float(scale)
    if not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive finite number (e.g. 1/4 to shrink x4, 2 to enlarge), "
                         f"got {scale}")
    return scale


def imresize(img: np.ndarray, scale: float) -> np.ndarray:
    """Resize a uint8 image by ``scale`` exactly as MATLAB ``imresize(img, scale, 'bicubic')``.

    Args:
        img: uint8 array, ``(H, W)`` or ``(H, W, C)`` (any C; RGB for photos), values 0..255.
        scale: factor > 0; ``1/s`` makes the x``s`` LR image, ``s`` enlarges (the bicubic baseline).

    Returns:
        uint8 array of shape ``(ceil(H*scale), ceil(W*scale)[, C])``; same ndim as ``img``.

    Raises:
        ValueError: ``img`` is not uint8, not 2-D/3-D, empty, or ``scale`` is not a positive number.
    """
    if not isinstance(img, np.ndarray):
        raise ValueError(f"imresize expects a numpy uint8 array (H, W) or (H, W, C), got {type(img).__name__}")
    if img.dtype != np.uint8:
        raise ValueError(f"imresize expects uint8 pixels 0..255 (the exact MATLAB path rounds to uint8 after "
                         f"each pass), got dtype {img.dtype}; convert with np.clip(x, 0, 255).round()"
                         f".astype(np.uint8) or use imresize_pt for float tensors")
    if img.ndim not in (2, 3):
        raise ValueError(f"imresize expects an image of shape (H, W) or (H, W, C), got shape {img.shape} "
                         f"(ndim {img.ndim}); for a batch use imresize_pt or loop over the images")
    if img.shape[0] == 0 or img.shape[1] == 0:
        raise ValueError(f"imresize got an empty image of shape {img.shape}")
    scale = _check_scale(scale)
    squeeze = img.ndim == 2
    out = img[:, :, None] if squeeze else img
    out = _resize_rows(out, scale)                                      # rows (height) first, as MATLAB
    out = _resize_rows(out.transpose(1, 0, 2), scale).transpose(1, 0, 2)  # then columns
    return np.ascontiguousarray(out[:, :, 0] if squeeze else out)


def imresize_pt(x: torch.Tensor, scale: float, *, quantize: bool = False) -> torch.Tensor:
    """Fast approximate bicubic resize of a float batch, for making LR training inputs on the fly.

    ``F.interpolate(mode="bicubic", antialias=True, align_corners=False)``: the same Keys a = -0.5 kernel,
    widened by 1/scale when shrinking, and the same sample centres as :func:`imresize`. It differs from
    the exact path in two ways:

    - no rounding after each 1-D pass (and no rounding at all unless ``quantize``);
    - at the borders, out-of-range taps are dropped and the rest renormalised, instead of clamped
      to the edge pixel (replicate).

    On real photos at x2..x4 the interior matches the exact path to within about 1 level (mostly 0);
    the outermost few pixels differ more. ``tests/test_resize.py`` measures it. (Plain
    ``mode="bicubic"`` without ``antialias`` uses a = -0.75 and no widening: never use that for LR.)

    Args:
        x: float tensor ``(N, C, H, W)``, values in [0, 255].
        scale: factor > 0 (``1/s`` to shrink).
        quantize: clamp to [0, 255] and round once at the end, like an 8-bit LR file.

    Returns:
        float tensor ``(N, C, ceil(H*scale), ceil(W*scale))``, same dtype and device as ``x``.
    """
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or not x.is_floating_point():
        what = f"{x.dtype} tensor of shape {tuple(x.shape)}" if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"imresize_pt expects a float tensor (N, C, H, W) in [0, 255], got {what}; "
                         f"for uint8 numpy images use imresize")
    scale = _check_scale(scale)
    size = (output_size(x.shape[-2], scale), output_size(x.shape[-1], scale))
    out = F.interpolate(x, size=size, mode="bicubic", antialias=True, align_corners=False)
    if quantize:
        out = out.clamp(0, 255).round()
    return out
