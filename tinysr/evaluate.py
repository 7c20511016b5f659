"""Benchmark evaluation the way SR papers report it, and the bicubic baseline.

Protocol (the paper's, and every SR paper's since EDSR): the network super-resolves the
genuine MATLAB-bicubic LR file; the SR output is clamped and rounded to uint8; the HR is mod-cropped to
``LR size * scale`` (top-left); PSNR and SSIM (MATLAB's) are computed on the BT.601 Y channel with
``scale`` pixels shaved from each border, and averaged over the images of each set. Grayscale images
(Set14 ``bridge``) are compared on their single channel (see :mod:`tinysr.metrics`).

The bicubic baseline upsamples the genuine LR files with the MATLAB-exact :func:`tinysr.resize.imresize`
and reproduces the published numbers (Set5 33.66 / 30.39 / 28.42 dB at x2 / x3 / x4, ...) to 0.01 dB;
those numbers are :data:`tinysr.data.published.PUBLISHED_BICUBIC`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch.nn as nn

from .data.datasets import BenchmarkImage, load_benchmark
from .data.images import check_scale
from .deploy.inference import super_resolve
from .metrics import calculate_psnr, calculate_ssim
from .resize import imresize

__all__ = ["evaluate", "evaluate_bicubic", "format_table"]

Benchmarks = str | Path | Mapping[str, Sequence[BenchmarkImage]]


def _sets(sets: str | Sequence[str]) -> list[str]:
    names = [s.strip() for s in sets.split(",")] if isinstance(sets, str) else list(sets)
    names = [s for s in names if s]
    if not names:
        raise ValueError("no benchmark sets given; pass e.g. sets=['Set5', 'Set14', 'B100']")
    return names


def _images(benchmarks: Benchmarks, name: str, scale: int) -> Sequence[BenchmarkImage]:
    if isinstance(benchmarks, Mapping):
        if name not in benchmarks:
            raise ValueError(f"benchmark set {name!r} is not among the loaded sets {sorted(benchmarks)}")
        return benchmarks[name]
    return load_benchmark(benchmarks, name, scale)


def evaluate(model_or_fn: nn.Module | Callable[[np.ndarray], np.ndarray], benchmarks: Benchmarks,
             sets: str | Sequence[str], scale: int, *, device: Any = None, tile: int = 0,
             per_image: bool = False) -> dict[str, Any]:
    """PSNR / SSIM (Y channel, shave = scale) of an SR method on benchmark sets.

    Args:
        model_or_fn: an ``nn.Module`` (run with :func:`~tinysr.deploy.inference.super_resolve`) or a function
            ``lr_img -> sr_img`` on uint8 numpy images (``(h, w[, 3])`` -> ``(h*s, w*s[, 3])``).
        benchmarks: the benchmark root folder (EDSR layout, see :func:`~tinysr.data.load_benchmark`) or
            already loaded sets, ``{"Set5": [BenchmarkImage, ...]}`` (for this ``scale``).
        sets: set names, a list or a comma-separated string.
        scale: SR factor.
        device, tile: passed to :func:`~tinysr.deploy.inference.super_resolve` for a module.
        per_image: also list each image's numbers.

    Returns:
        ``{"scale": s, "sets": {"Set5": {"psnr": dB, "ssim": x, "images": n[, "per_image": [...]]}}}``
        with per-image entries ``{"image": stem, "psnr": .., "ssim": ..}``.
    """
    scale = check_scale(scale)
    if isinstance(model_or_fn, nn.Module):
        model = model_or_fn
        def fn(lr: np.ndarray) -> np.ndarray:
            return super_resolve(model, lr, scale, tile=tile, device=device)
    elif callable(model_or_fn):
        fn = model_or_fn
    else:
        raise ValueError(f"evaluate expects an nn.Module or a function lr_img -> sr_img, "
                         f"got {type(model_or_fn).__name__}")
    results: dict[str, Any] = {"scale": scale, "sets": {}}
    for name in _sets(sets):
        rows = []
        for item in _images(benchmarks, name, scale):
            try:
                sr = np.asarray(fn(item.lr))
            except ValueError as exc:               # e.g. an image below the network's smallest input
                raise ValueError(f"{name}/{item.stem}: {exc}") from None
            if sr.dtype != np.uint8 or sr.shape[:2] != item.hr.shape[:2]:
                raise ValueError(f"{name}/{item.stem}: the SR image is {sr.dtype} {sr.shape}, expected uint8 "
                                 f"with size {item.hr.shape[:2]} (LR {item.lr.shape[:2]} x{scale})")
            rows.append({"image": item.stem,
                         "psnr": calculate_psnr(sr, item.hr, crop_border=scale, test_y_channel=True),
                         "ssim": calculate_ssim(sr, item.hr, crop_border=scale, test_y_channel=True)})
        entry: dict[str, Any] = {"psnr": float(np.mean([r["psnr"] for r in rows])),
                                 "ssim": float(np.mean([r["ssim"] for r in rows])), "images": len(rows)}
        if per_image:
            entry["per_image"] = rows
        results["sets"][name] = entry
    return results


def evaluate_bicubic(benchmarks: Benchmarks, sets: str | Sequence[str], scale: int,
                     per_image: bool = False) -> dict[str, Any]:
    """The bicubic baseline: ``imresize(lr, scale)`` (MATLAB-exact) of the genuine LR files; see :func:`evaluate`."""
    scale = check_scale(scale)
    return evaluate(lambda lr: imresize(lr, scale), benchmarks, sets, scale, per_image=per_image)


def format_table(results_list: Sequence[Mapping[str, Any]], title: str | None = None) -> str:
    """A plain-text table: one row per set, one ``PSNR / SSIM`` column per scale (as in the papers).

    ``results_list``: results of :func:`evaluate` (one per scale); ``params`` / ``multi_adds`` keys, if
    present, are printed under the table.
    """
    if not results_list:
        return "(no results)"
    sets = list(dict.fromkeys(s for r in results_list for s in r["sets"]))
    headers = ["set"] + [f"x{r['scale']} PSNR / SSIM" for r in results_list]
    rows = []
    for name in sets:
        row = [name]
        for r in results_list:
            e = r["sets"].get(name)
            row.append(f"{e['psnr']:.2f} / {e['ssim']:.4f}" if e else "-")
        rows.append(row)
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    def fmt(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    lines = ([title] if title else []) + [fmt(headers), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows]
    for r in results_list:
        if "params" in r:
            extra = f"x{r['scale']}: params {r['params']:,}"
            if r.get("multi_adds") is not None:
                extra += f", Multi-Adds @720p {r['multi_adds'] / 1e9:.1f}G"
            lines.append(extra)
    return "\n".join(lines)
