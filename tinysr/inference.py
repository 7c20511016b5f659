"""Run an SR network on one whole image: numpy uint8 in, numpy uint8 out, optionally tile by tile.

The network sees what the released DLSR code feeds it: a float tensor ``(1, 3, h, w)`` with values in
[0, 255] (no normalisation); its output is clamped to [0, 255] and rounded to uint8, as papers evaluate.

Tiling (``tile > 0``, or automatically after an out-of-memory error): the LR image is cut into
``tile x tile`` cores, each run with ``overlap`` extra LR pixels of context on every side, and only the
cores are stitched. For a translation-equivariant network (convolutions, PixelShuffle; receptive-field
radius <= ``overlap`` LR pixels) this gives **the same pixels** as the whole image. Networks with global
or coarse operations do not: DLSR's ESA block uses a strided convolution, max pooling and bilinear
upsampling over the whole feature map, so tiled results there match only approximately. Measured with
the released DLSR-tiny x2 weights on Set5 (tiles 48 or 96, overlap 16): 0-9% of values differ, by at most
3 levels, and image PSNR moves by at most 0.03 dB. ``tests/test_inference.py`` checks a small stand-in.
"""
from __future__ import annotations

import sys

import numpy as np
import torch
import torch.nn as nn

__all__ = ["super_resolve"]


def _model_device_dtype(model: nn.Module) -> tuple[torch.device, torch.dtype]:
    for p in model.parameters():
        return p.device, p.dtype
    return torch.device("cpu"), torch.float32


def _is_oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in str(exc).lower()


@torch.no_grad()
def _forward(model: nn.Module, x: torch.Tensor, scale: int) -> torch.Tensor:
    out = model(x)
    want = (x.shape[0], 3, x.shape[2] * scale, x.shape[3] * scale)
    if tuple(out.shape) != want:
        raise ValueError(f"the model turned a {tuple(x.shape)} input into {tuple(out.shape)}, expected {want} "
                         f"for scale {scale}; is it a x{scale} model with 3 output channels?")
    return out


def _window(a0: int, a1: int, n: int, tile: int, overlap: int) -> tuple[int, int]:
    """Input span for the core ``[a0, a1)`` of an axis of length ``n``: ``overlap`` pixels of context on
    each side, shifted at the image edges so every window has ``min(n, tile + 2*overlap)`` pixels (a
    small last tile would starve pooling layers and gives a network less context)."""
    i0, i1 = max(a0 - overlap, 0), min(a1 + overlap, n)
    want = min(n, tile + 2 * overlap)
    if i1 - i0 < want:
        if i0 == 0:
            i1 = want
        else:
            i0 = i1 - want
    return i0, i1


def _tiled(model: nn.Module, x: torch.Tensor, scale: int, tile: int, overlap: int) -> torch.Tensor:
    """Run ``model`` on overlapping tiles of ``x`` (1, 3, h, w) and stitch the tile cores."""
    _, _, h, w = x.shape
    out = torch.empty(1, 3, h * scale, w * scale, dtype=x.dtype, device=x.device)
    for y0 in range(0, h, tile):
        y1 = min(y0 + tile, h)
        iy0, iy1 = _window(y0, y1, h, tile, overlap)
        for x0 in range(0, w, tile):
            x1 = min(x0 + tile, w)
            ix0, ix1 = _window(x0, x1, w, tile, overlap)
            sr = _forward(model, x[:, :, iy0:iy1, ix0:ix1], scale)
            oy, ox = (y0 - iy0) * scale, (x0 - ix0) * scale
            out[:, :, y0 * scale:y1 * scale, x0 * scale:x1 * scale] = \
                sr[:, :, oy:oy + (y1 - y0) * scale, ox:ox + (x1 - x0) * scale]
    return out


def super_resolve(model: nn.Module, lr_img: np.ndarray, scale: int, *, tile: int = 0, overlap: int = 16,
                  device: str | torch.device | None = None) -> np.ndarray:
    """Super-resolve one image.

    Args:
        model: maps ``(1, 3, h, w)`` float in [0, 255] to ``(1, 3, h*scale, w*scale)``. Run in eval mode
            (its previous mode is restored) under ``torch.no_grad``, in the dtype of its parameters.
        lr_img: uint8 ``(h, w, 3)`` RGB, or ``(h, w)`` / ``(h, w, 1)`` gray (replicated to 3 channels;
            the output stays RGB and the metrics reduce it back to one channel).
        scale: the model's upscaling factor.
        tile: LR tile side; 0 = whole image, falling back to tiles of half the size on out-of-memory.
        overlap: LR pixels of context added around each tile (>= the network's receptive-field radius).
        device: where to run; ``None`` = where the model's parameters are. A given device moves the model.

    Returns:
        uint8 ``(h*scale, w*scale, 3)``.
    """
    lr_img = np.asarray(lr_img)
    if lr_img.dtype != np.uint8:
        raise ValueError(f"super_resolve expects a uint8 image 0..255, got dtype {lr_img.dtype}")
    if lr_img.ndim == 2:
        lr_img = lr_img[:, :, None]
    if lr_img.ndim != 3 or lr_img.shape[2] not in (1, 3):
        raise ValueError(f"super_resolve expects (h, w, 3) RGB or (h, w) gray, got shape {lr_img.shape}")
    if lr_img.shape[2] == 1:
        lr_img = np.repeat(lr_img, 3, axis=2)
    if tile < 0 or overlap < 0:
        raise ValueError(f"tile and overlap must be >= 0 (tile 0 = whole image), got tile={tile}, overlap={overlap}")
    if device is not None:
        model.to(device)
    dev, dtype = _model_device_dtype(model)
    x = torch.tensor(lr_img).permute(2, 0, 1)[None].to(device=dev, dtype=dtype)   # a copy: input may be read-only
    was_training = model.training
    model.eval()
    try:
        out = _run(model, x, scale, tile, overlap)
    finally:
        model.train(was_training)
    out = out.clamp(0, 255).round().to(torch.uint8)
    return np.ascontiguousarray(out[0].permute(1, 2, 0).cpu().numpy())


def _run(model: nn.Module, x: torch.Tensor, scale: int, tile: int, overlap: int) -> torch.Tensor:
    if tile:
        return _tiled(model, x, scale, tile, overlap)
    try:
        return _forward(model, x, scale)
    except RuntimeError as exc:
        if not _is_oom(exc):
            raise
    tile, what = max(x.shape[2], x.shape[3]) // 2, f"the whole {x.shape[3]}x{x.shape[2]} image"
    while True:
        if x.is_cuda:
            torch.cuda.empty_cache()
        print(f"super_resolve: out of memory on {what}; retrying with {tile}x{tile} tiles", file=sys.stderr)
        try:
            return _tiled(model, x, scale, tile, overlap)
        except RuntimeError as exc:
            if not _is_oom(exc) or tile <= 16:
                raise
        tile, what = tile // 2, f"{tile}x{tile} tiles"
