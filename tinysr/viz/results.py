"""Figures of results: SR crops side by side, PSNR vs Multi-Adds among published models (Pareto), and why
LR images must be made with the MATLAB-exact bicubic."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox

from ..resize import imresize
from .common import finish

__all__ = ["plot_sr_crops", "pareto_front", "plot_pareto", "plot_resize_comparison"]


def _as_uint8(img: Any) -> np.ndarray:
    a = np.asarray(img)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] != 3):
        raise ValueError(f"images must be (H, W) grayscale or (H, W, 3) RGB, got shape {a.shape}")
    return a if a.dtype == np.uint8 else np.clip(np.round(a), 0, 255).astype(np.uint8)


def plot_sr_crops(images: Mapping[str, np.ndarray], box: tuple[int, int, int, int] | None = None, *,
                  psnr: Mapping[str, float] | None = None, title: str | None = None,
                  box_color: str = "#ff3b30", save: str | Path | None = None) -> Figure:
    """Side-by-side SR results (e.g. HR, bicubic, tinysr, "DLSR (official)"): for each image, the full
    image small with ``box`` drawn (top) and a nearest-neighbour zoom of the box (bottom).

    Teaches: where the PSNR gain is — edges and textures inside the box — which full images at screen
    size hide. ``images``: name -> uint8 ``(H, W, 3)`` RGB or ``(H, W)`` grayscale (shown in gray).
    ``box = (y, x, h, w)`` in the pixels of the first image (default: a centre square of a quarter of the
    short side); images of another size (an LR input) get the box scaled to their size. ``psnr``: name
    -> dB, shown under the name.
    """
    if not images:
        raise ValueError("plot_sr_crops needs at least one image: {'HR': hr_img, 'bicubic': ..., ...}")
    imgs = {k: _as_uint8(v) for k, v in images.items()}
    ref = next(iter(imgs.values()))
    H, W = ref.shape[:2]
    if box is None:
        s = max(min(H, W) // 4, 1)
        box = ((H - s) // 2, (W - s) // 2, s, s)
    y, x, h, w = (int(v) for v in box)
    if h <= 0 or w <= 0 or y < 0 or x < 0 or y + h > H or x + w > W:
        raise ValueError(f"box (y, x, h, w) = {tuple(box)} is not inside the first image of size {H}x{W}")
    n = len(imgs)
    top_h, crop_h = 2.7 * H / W, float(np.clip(2.7 * h / w, 1.5, 4.0))   # heights for a 2.7 in column
    fig, axes = plt.subplots(2, n, figsize=(2.7 * n, top_h + crop_h + (1.0 if title else 0.7)), squeeze=False,
                             height_ratios=[top_h, crop_h], layout="constrained")
    for c, (name, img) in enumerate(imgs.items()):
        sy, sx = img.shape[0] / H, img.shape[1] / W
        by, bx, bh, bw = int(y * sy), int(x * sx), max(int(round(h * sy)), 1), max(int(round(w * sx)), 1)
        kw = {"cmap": "gray", "vmin": 0, "vmax": 255} if img.ndim == 2 else {}
        top, bottom = axes[0, c], axes[1, c]
        top.imshow(img, interpolation="antialiased", **kw)
        top.add_patch(Rectangle((bx - 0.5, by - 0.5), bw, bh, fill=False, ec=box_color, lw=1.5))
        bottom.imshow(img[by:by + bh, bx:bx + bw], interpolation="nearest", **kw)
        label = name if not psnr or name not in psnr else f"{name}\n{psnr[name]:.2f} dB"
        top.set_title(label, fontsize=10)
        for a in (top, bottom):
            a.set_xticks([])
            a.set_yticks([])
        for s in bottom.spines.values():
            s.set_edgecolor(box_color)
            s.set_linewidth(1.5)
    if title:
        fig.suptitle(title, fontsize=11)
    return finish(fig, save)


def _gmacs(p: Mapping[str, Any]) -> float:
    """Multi-Adds in G: counts (> 1e5, as from ``multi_adds()``/the CLI) are divided by 1e9."""
    v = float(p["multi_adds"])
    return v / 1e9 if v > 1e5 else v


def pareto_front(points: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The points not dominated by another (fewer or equal Multi-Adds and a strictly higher PSNR, or
    strictly fewer Multi-Adds and the same PSNR), sorted by Multi-Adds."""
    best, front = -np.inf, []
    for p in sorted(points, key=lambda p: (_gmacs(p), -float(p["psnr"]))):
        if float(p["psnr"]) > best:
            front.append(p)
            best = float(p["psnr"])
    return front


def plot_pareto(points: Sequence[Mapping[str, Any]], published: Sequence[Mapping[str, Any]] | None = None,
                ax: Axes | None = None, *, ylabel: str = "PSNR-Y (dB)", title: str | None = None,
                save: str | Path | None = None) -> Figure:
    """PSNR vs Multi-Adds (G, log axis): tinysr runs highlighted, published methods in grey, each labelled;
    marker area ~ params when given; the Pareto front of all points as a step line.

    Teaches: accuracy per unit of compute — a model is only interesting if it moves the front up or left.
    ``points`` / ``published``: dicts ``{"name", "multi_adds", "psnr", "params"?}``; ``multi_adds`` as a
    count (6.7e10) or in G (67.3). :func:`published_points` gives the published x2 rows for one set.
    """
    points, published = list(points), list(published or [])
    if not points and not published:
        raise ValueError("plot_pareto needs at least one point {'name', 'multi_adds', 'psnr'}")
    fig, ax = (plt.subplots(figsize=(7.5, 4.8), layout="constrained") if ax is None else (ax.figure, ax))
    allp = points + published
    pmax = max([float(p["params"]) for p in allp if p.get("params")] or [1.0])

    def size(p: Mapping[str, Any]) -> float:
        return 25 + 400 * float(p["params"]) / pmax if p.get("params") else 40

    front, labels = pareto_front(allp), []
    ax.step([_gmacs(p) for p in front], [float(p["psnr"]) for p in front], where="post", color="C2",
            lw=1.5, alpha=0.8, label="Pareto front", zorder=1)
    for group, style in ((published, dict(c="#9a9a9a", ec="#555555", label="published", zorder=2)),
                         (points, dict(c="C3", ec="black", label="tinysr", zorder=3))):
        if not group:
            continue
        ax.scatter([_gmacs(p) for p in group], [float(p["psnr"]) for p in group], s=[size(p) for p in group],
                   alpha=0.85, lw=0.8, **style)
        kw = dict(fontsize=8, color="#333333", weight="normal") if group is published else \
            dict(fontsize=8, color="C3", weight="bold")
        labels += [(_gmacs(p), float(p["psnr"]), str(p.get("name", "")), kw, np.sqrt(size(p)) / 2) for p in group]
    ax.set_xscale("log")
    ax.set_xlabel("Multi-Adds (G, 1280x720 output)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower right", title="marker area ~ params" if any(p.get("params") for p in allp)
              else None, title_fontsize=7, markerscale=0.5)
    ax.set_title(title or "PSNR vs Multi-Adds", fontsize=10)
    ax.margins(x=0.12, y=0.08)
    _place_labels(ax, labels)
    return finish(fig, save)


def _place_labels(ax: Axes, labels: Sequence[tuple[float, float, str, dict, float]]) -> None:
    """Annotate points, trying 6 positions around each marker (right, left, above, below) and taking the
    first that overlaps no marker and no label placed so far. ``labels``: (x, y, text, text kw, marker
    radius in points)."""
    fig = ax.figure
    fig.draw_without_rendering()                       # final limits and layout before measuring
    renderer = fig.canvas.get_renderer()
    pt = fig.dpi / 72
    taken = []
    for x, y, _, _, r in labels:
        px, py = ax.transData.transform((x, y))
        taken.append(Bbox.from_extents(px - r * pt, py - r * pt, px + r * pt, py + r * pt))
    for x, y, text, kw, r in labels:
        o = r + 2
        first = None
        for (dx, dy), ha, va in [((o, 1), "left", "bottom"), ((o, -1), "left", "top"),
                                 ((-o, 1), "right", "bottom"), ((-o, -1), "right", "top"),
                                 ((0, o), "center", "bottom"), ((0, -o), "center", "top")]:
            t = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, **kw)
            bb = t.get_window_extent(renderer)
            if not any(bb.overlaps(b) for b in taken):
                break
            first = first or (dx, dy, ha, va)
            t.remove()
        else:                                          # nowhere free: the first choice
            dx, dy, ha, va = first
            t = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, **kw)
            bb = t.get_window_extent(renderer)
        taken.append(bb)


def plot_resize_comparison(hr_img: np.ndarray, scale: int = 4, box: tuple[int, int, int, int] | None = None,
                           *, save: str | Path | None = None) -> Figure:
    """MATLAB-exact bicubic LR (:func:`tinysr.resize.imresize`) next to plain ``F.interpolate(bicubic)``
    (no antialiasing, a = -0.75), with their absolute difference.

    Teaches: the naive resize aliases (jagged edges, moire) and changes the LR pixels everywhere, which
    is why benchmark PSNR moves by up to a dB when LR images are not made the MATLAB way.
    ``hr_img``: uint8 (H, W, 3) or (H, W); ``box`` (y, x, h, w) in LR pixels (default: the whole LR).
    """
    hr = _as_uint8(hr_img)
    hr = hr[: hr.shape[0] // scale * scale, : hr.shape[1] // scale * scale]
    exact = imresize(hr, 1 / scale)
    t = torch.from_numpy(hr.astype(np.float32)).reshape(hr.shape[0], hr.shape[1], -1).permute(2, 0, 1)[None]
    naive = F.interpolate(t, size=exact.shape[:2], mode="bicubic", align_corners=False)
    naive = naive.clamp(0, 255).round()[0].permute(1, 2, 0).numpy().astype(np.uint8).reshape(exact.shape)
    diff = np.abs(exact.astype(np.int16) - naive.astype(np.int16))
    diff = diff.max(-1) if diff.ndim == 3 else diff
    y, x, h, w = box or (0, 0, *exact.shape[:2])
    sl = (slice(y, y + h), slice(x, x + w))
    mse = float(np.mean((exact.astype(float) - naive.astype(float)) ** 2))
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), layout="constrained")
    kw = {"cmap": "gray", "vmin": 0, "vmax": 255} if exact.ndim == 2 else {}
    axes[0].imshow(exact[sl], interpolation="nearest", **kw)
    axes[0].set_title(f"imresize (MATLAB-exact), x1/{scale}", fontsize=9)
    axes[1].imshow(naive[sl], interpolation="nearest", **kw)
    axes[1].set_title("F.interpolate(bicubic), no antialias", fontsize=9)
    im = axes[2].imshow(diff[sl], cmap="magma", interpolation="nearest", vmin=0,
                        vmax=max(float(np.percentile(diff, 99.5)), 1.0))
    psnr = 10 * np.log10(255**2 / mse) if mse > 0 else float("inf")
    axes[2].set_title(f"|difference|: {np.mean(diff > 0):.0%} of pixels differ, PSNR {psnr:.1f} dB", fontsize=9)
    fig.colorbar(im, ax=axes[2], shrink=0.7, label="levels (clipped at 99.5th pct)")
    for a in axes:
        a.set_xticks([])
        a.set_yticks([])
    return finish(fig, save)
