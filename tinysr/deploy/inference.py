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
On the CPU an image whose estimated peak memory (:func:`peak_bytes`) exceeds half the available memory
is tiled from the start (a CPU allocation failure may not be an error but the kernel's OOM killer); the
available memory is the least of the machine's, the container's limit and ``ulimit -v``. An out-of-memory error
retries in tiles of half the size, down to 16 pixels.

Speed (``fast=True``, the default): a ``DLSRNet`` on the CPU in float32 runs :func:`tinysr.deploy.fused.fused_forward`
(channels_last, activations and residuals folded into oneDNN convolutions, glibc heap kept): the same
function, outputs within ~0.003 of the plain forward on the 0..255 scale (so the same uint8 pixels but for
rare rounding ties); other modules run in ``channels_last`` when on the CPU. ``fast=False`` is the
reference: the module's own forward, NCHW, as written. ``benchmarks/inference.py`` measures both.
"""
from __future__ import annotations

import os
import sys

try:
    import resource
except ImportError:    # Windows
    resource = None

import numpy as np
import torch
import torch.nn as nn

from ..resize import imresize
from ..runtime.devices import is_host, is_oom, module_device, module_dtype, to_device
from .fused import can_fuse, fused_forward, kept_heap

__all__ = ["super_resolve", "upscale_image", "forward", "peak_bytes", "available_bytes"]


@torch.no_grad()
def forward(model: nn.Module, x: torch.Tensor, *, fast: bool = True) -> torch.Tensor:
    """``model(x)`` without autograd, ``x`` ``(N, 3, h, w)`` float in [0, 255] (not clamped; a tensor on any
    device or a numpy array, moved to the model's device and dtype): the fastest exact path with ``fast``
    (see the module docstring), else the module's own NCHW forward."""
    x = to_device(x, module_device(model), module_dtype(model))
    if not fast:
        return model(x)
    if can_fuse(model, x):
        with kept_heap():
            return fused_forward(model, x)
    if is_host(x):
        with kept_heap():
            return model(x.contiguous(memory_format=torch.channels_last))
    return model(x)


def peak_bytes(model: nn.Module, h: int, w: int) -> int:
    """A generous estimate of the memory one forward of an ``h x w`` LR image needs: 128 bytes per LR pixel
    and channel of the widest convolution (DLSR, 48 channels, measured ~100; default width 64)."""
    widths = [m.out_channels for m in model.modules() if isinstance(m, nn.Conv2d)]
    return 128 * max(widths, default=64) * h * w


def _read_int(path: str) -> int | None:
    try:
        with open(path) as fh:
            text = fh.read().split()[0]
        return None if text == "max" else int(text)
    except (OSError, ValueError, IndexError):
        return None


def available_bytes() -> int | None:
    """The memory this process may still take: the least of the machine's available memory, the container's
    (cgroup v2) limit less its use, and the address-space limit (``ulimit -v``) less this process's size."""
    candidates = []
    try:
        with open("/proc/meminfo") as fh:
            candidates += [int(line.split()[1]) * 1024 for line in fh if line.startswith("MemAvailable:")]
    except OSError:
        try:
            candidates.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            pass
    limit, used = _read_int("/sys/fs/cgroup/memory.max"), _read_int("/sys/fs/cgroup/memory.current")
    if limit is not None and used is not None:
        candidates.append(max(limit - used, 0))
    soft = resource.getrlimit(resource.RLIMIT_AS)[0] if resource is not None else -1
    if soft not in (-1, getattr(resource, "RLIM_INFINITY", -1)):
        try:
            with open("/proc/self/statm") as fh:
                size = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            candidates.append(max(soft - size, 0))
        except (OSError, ValueError):
            pass
    return min(candidates) if candidates else None


def _auto_tile(model: nn.Module, x: torch.Tensor, overlap: int) -> int:
    """0 if a CPU forward of the whole ``x`` fits in half the available memory, else the largest power of two
    below the image side (at least 32) whose ``tile + 2 * overlap`` windows do."""
    avail = available_bytes() if is_host(x) else None
    h, w = x.shape[2], x.shape[3]
    if avail is None or peak_bytes(model, h, w) <= avail // 2:
        return 0
    tile = 1 << (max(h, w) - 1).bit_length() - 1
    while tile > 32 and peak_bytes(model, tile + 2 * overlap, tile + 2 * overlap) > avail // 2:
        tile //= 2
    print(f"super_resolve: a {w}x{h} image needs ~{peak_bytes(model, h, w) / 2**20:.0f} MiB, "
          f"{avail / 2**20:.0f} MiB available; running {tile}x{tile} tiles", file=sys.stderr)
    return tile


def _forward(model: nn.Module, x: torch.Tensor, scale: int, fast: bool = True) -> torch.Tensor:
    out = forward(model, x, fast=fast)
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


def _tiled(model: nn.Module, x: torch.Tensor, scale: int, tile: int, overlap: int, fast: bool) -> torch.Tensor:
    """Run ``model`` on overlapping tiles of ``x`` (1, 3, h, w) and stitch the tile cores."""
    _, _, h, w = x.shape
    out = torch.empty(1, 3, h * scale, w * scale, dtype=x.dtype, device=x.device)
    for y0 in range(0, h, tile):
        y1 = min(y0 + tile, h)
        iy0, iy1 = _window(y0, y1, h, tile, overlap)
        for x0 in range(0, w, tile):
            x1 = min(x0 + tile, w)
            ix0, ix1 = _window(x0, x1, w, tile, overlap)
            sr = _forward(model, x[:, :, iy0:iy1, ix0:ix1], scale, fast)
            oy, ox = (y0 - iy0) * scale, (x0 - ix0) * scale
            out[:, :, y0 * scale:y1 * scale, x0 * scale:x1 * scale] = \
                sr[:, :, oy:oy + (y1 - y0) * scale, ox:ox + (x1 - x0) * scale]
    return out


def super_resolve(model: nn.Module, lr_img: np.ndarray, scale: int, *, tile: int = 0, overlap: int = 16,
                  device: str | torch.device | None = None, fast: bool = True) -> np.ndarray:
    """Super-resolve one image.

    Args:
        model: maps ``(1, 3, h, w)`` float in [0, 255] to ``(1, 3, h*scale, w*scale)``. Run in eval mode
            (its previous mode is restored) under ``torch.no_grad``, in the dtype of its parameters.
        lr_img: uint8 ``(h, w, 3)`` RGB, or ``(h, w)`` / ``(h, w, 1)`` gray (replicated to 3 channels;
            the output stays RGB and the metrics reduce it back to one channel).
        scale: the model's upscaling factor.
        tile: LR tile side; 0 = whole image (tiled from the start when it would not fit in memory, and on an
            out-of-memory error retried in tiles of half the size, then a quarter, ...).
        overlap: LR pixels of context added around each tile (>= the network's receptive-field radius).
        device: where to run; ``None`` = where the model's parameters are. A given device moves the model.
        fast: the fastest exact path (module docstring); ``False`` = the module's plain forward (reference).

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
    dev, dtype = module_device(model), module_dtype(model)
    x = torch.tensor(lr_img).permute(2, 0, 1)[None].to(device=dev, dtype=dtype)   # a copy: input may be read-only
    was_training = model.training
    model.eval()
    try:
        out = _run(model, x, scale, tile, overlap, fast)
    finally:
        model.train(was_training)
    out = out.clamp_(0, 255).round_().to(torch.uint8)    # in place: the output may be most of the memory
    return np.ascontiguousarray(out[0].permute(1, 2, 0).cpu().numpy())


def upscale_image(model: nn.Module, img: np.ndarray, scale: int, *, tile: int = 0, overlap: int = 16,
                  device: str | torch.device | None = None, fast: bool = True) -> np.ndarray:
    """Super-resolve a photo with its own channel layout: uint8 ``(h, w)`` gray, ``(h, w, 2)`` gray + alpha,
    ``(h, w, 3)`` RGB or ``(h, w, 4)`` RGBA -> the same layout at ``(h*scale, w*scale)``.

    RGB goes through :func:`super_resolve` (the same pixels). Gray is replicated to RGB, super-resolved and
    brought back to one channel by the channel mean rounded half up (the rule of :mod:`tinysr.metrics`).
    Alpha is not an image the network was trained on: it is enlarged with the MATLAB-exact bicubic
    :func:`tinysr.resize.imresize` and put back beside the colour.
    """
    img = np.asarray(img)
    if img.dtype != np.uint8 or img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (1, 2, 3, 4)):
        raise ValueError(f"upscale_image expects uint8 (h, w), (h, w, 2), (h, w, 3) or (h, w, 4), got {img.dtype} "
                         f"{img.shape}")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    colour, alpha = (img, None) if img.ndim == 2 or img.shape[2] == 3 else (img[:, :, :-1], img[:, :, -1])
    if colour.ndim == 3 and colour.shape[2] == 1:
        colour = colour[:, :, 0]
    sr = super_resolve(model, colour, scale, tile=tile, overlap=overlap, device=device, fast=fast)
    if colour.ndim == 2:
        sr = np.floor(sr.astype(np.float64).mean(axis=2) + 0.5).astype(np.uint8)
    if alpha is None:
        return sr
    a = imresize(alpha, scale)
    return np.concatenate([sr if sr.ndim == 3 else sr[:, :, None], a[:, :, None]], axis=2)


def _run(model: nn.Module, x: torch.Tensor, scale: int, tile: int, overlap: int, fast: bool) -> torch.Tensor:
    """The whole image (or ``tile`` tiles); on an out-of-memory error, tiles of half the size, then a quarter, ...
    down to 16 pixels, where it gives up with a :class:`MemoryError` that says what to do."""
    h, w = x.shape[2], x.shape[3]
    tile = tile or _auto_tile(model, x, overlap)
    while True:
        what = f"{tile}x{tile} tiles" if tile else f"the whole {w}x{h} image"
        try:
            return _tiled(model, x, scale, tile, overlap, fast) if tile else _forward(model, x, scale, fast)
        except RuntimeError as exc:    # torch's CPU and CUDA out-of-memory errors are RuntimeErrors
            if not is_oom(exc):
                raise
        if x.is_cuda:
            torch.cuda.empty_cache()
        if 0 < tile <= 16:
            raise MemoryError(f"super_resolve: out of memory even on {what} of a {w}x{h} image on {x.device}: "
                              "free memory (close other programs or notebooks) or run on another device")
        tile = (tile or max(h, w)) // 2
        print(f"super_resolve: out of memory on {what}; retrying with {tile}x{tile} tiles", file=sys.stderr)
