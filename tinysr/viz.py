"""Figures that explain a search, an architecture and a result — matplotlib only.

Every function returns the :class:`matplotlib.figure.Figure` it drew on and never calls ``plt.show()``
(so it works headless with the ``Agg`` backend; notebooks end the cell with ``plt.show()``). Functions that
draw one picture take ``ax=`` to draw into an existing axes (live dashboards), and all take ``save=`` to
write the figure to a file (PNG/PDF/SVG by extension).

============================  ==========================================================================
function                      what the figure teaches
============================  ==========================================================================
plot_alpha_history            how the op probabilities softmax(alpha) of each cell position evolve, and
                              when the argmax (the op derivation would pick) settles
plot_beta_history             the same for the network level: which earlier cells each Bj prefers
plot_alpha_bars               one snapshot of softmax(alpha): how decided each position is vs uniform 1/9
plot_curves                   search or retraining curves (losses, PSNR, cost, learning rate) vs step
draw_genotype                 the cell (ops, distillation branches, ESA) and the network wiring of a genotype
plot_sr_crops                 HR / bicubic / tinysr / DLSR side by side, full view + nearest-neighbour zoom
plot_pareto                   PSNR vs Multi-Adds: where a run sits among published lightweight SR models
plot_resize_comparison        why LR images must come from MATLAB-exact bicubic, not plain F.interpolate
============================  ==========================================================================

History records are the dicts written by :mod:`tinysr.search` (``step``, ``epoch``, ``w_loss``,
``arch_loss``, ``cost``, ``psnr_arch``, ``alpha`` (3, 9) or (cells, 3, 9) softmax probabilities, ``betas``
lists of lengths 2..n-1, ``genotype``) and by retraining (``step``, ``epoch``, ``loss``, ``val_psnr``, ...).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.path import Path as MPath
from matplotlib.transforms import Bbox

from .genotype import Genotype, get_genotype
from .ops import PRIMITIVES

__all__ = ["plot_alpha_history", "plot_alphas", "plot_beta_history", "plot_alpha_bars", "plot_curves",
           "draw_genotype", "plot_sr_crops", "pareto_front", "plot_pareto", "published_points",
           "plot_resize_comparison", "PUBLISHED_X2"]

from .published import PUBLISHED_X2, published_points  # noqa: E402,F401  (re-exported)

CMAP = "viridis"


def _finish(fig: Figure, save: str | Path | None) -> Figure:
    if save is not None:
        fig.savefig(save, dpi=120, bbox_inches="tight")
    return fig


def _records_with(history: Sequence[Mapping[str, Any]], key: str, what: str) -> list[Mapping[str, Any]]:
    if isinstance(history, Mapping) or not isinstance(history, Sequence):
        raise ValueError(f"history must be a list of record dicts (history.json), got {type(history).__name__}")
    recs = [r for r in history if isinstance(r, Mapping) and r.get(key) is not None and len(r[key])]
    if not recs:
        raise ValueError(f"no record of the history ({len(history)} records) has {key!r}: {what}")
    return recs


def _steps(recs: Sequence[Mapping[str, Any]], x: str = "step") -> tuple[np.ndarray, str]:
    """x values of the records (``x`` key, else the record index) and the axis label."""
    if all(x in r for r in recs):
        xs = np.asarray([r[x] for r in recs], dtype=float)
        if len(xs) < 2 or np.all(np.diff(xs) > 0):
            return xs, x
    return np.arange(len(recs), dtype=float), "record"


def _edges(xs: np.ndarray) -> np.ndarray:
    if len(xs) == 1:
        return np.array([xs[0] - 0.5, xs[0] + 0.5])
    mid = (xs[1:] + xs[:-1]) / 2
    return np.concatenate([[2 * xs[0] - mid[0]], mid, [2 * xs[-1] - mid[-1]]])


def _heatmap(ax: Axes, xs: np.ndarray, probs: np.ndarray, labels: Sequence[str], vmin: float, vmax: float):
    """probs (T, K) as a K-row heatmap over xs, with the per-record argmax as a white line. The colour
    scale spans [vmin, vmax] of the data: early in a search every probability is near 1/K, and a fixed
    [0, 1] scale would show one flat colour."""
    mesh = ax.pcolormesh(_edges(xs), np.arange(probs.shape[1] + 1) - 0.5, probs.T, cmap=CMAP,
                         vmin=vmin, vmax=max(vmax, vmin + 1e-6), shading="flat")
    ax.plot(xs, probs.argmax(1), color="white", lw=1.2, drawstyle="steps-mid",
            marker="." if len(xs) <= 40 else None, ms=4)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_ylim(probs.shape[1] - 0.5, -0.5)
    return mesh


# -- cell level: alphas -------------------------------------------------------------------------
def _alpha_array(alpha: Any) -> tuple[np.ndarray, int | None]:
    """(positions, ops) probabilities; per-cell (cells, 3, 9) arrays are averaged over cells."""
    if hasattr(alpha, "detach"):
        alpha = alpha.detach().cpu().numpy()
    a = np.asarray(alpha, dtype=float)
    if a.ndim == 3:
        return a.mean(0), a.shape[0]
    if a.ndim != 2:
        raise ValueError(f"alpha probabilities must have shape (3, 9) or (cells, 3, 9), got {a.shape}")
    return a, None


def _op_labels(n: int) -> list[str]:
    return list(PRIMITIVES) if n == len(PRIMITIVES) else [f"op {k}" for k in range(n)]


def plot_alpha_history(history: Sequence[Mapping[str, Any]], ax: Sequence[Axes] | None = None, *,
                       save: str | Path | None = None) -> Figure:
    """Heatmaps of softmax(alpha) over the search: one panel per cell position, x = step, y = the 9 ops.

    Teaches: whether the architecture weights move at all (after the warm-up), how fast each position
    commits to one op, and whether the winner flips late (the white line is the per-record argmax, the op
    that deriving at that moment would pick). With per-cell alphas ``(cells, 3, 9)`` the panels show the
    mean over cells (the title says so). ``ax``: a sequence of one axes per position.
    """
    recs = _records_with(history, "alpha", "search records carry 'alpha' (retraining records do not)")
    pairs = [_alpha_array(r["alpha"]) for r in recs]
    if len({p.shape for p, _ in pairs}) > 1:
        raise ValueError(f"alpha shapes differ between records: {sorted({p.shape for p, _ in pairs})}")
    probs = np.stack([p for p, _ in pairs])                      # (T, positions, ops)
    cells = pairs[-1][1]
    xs, xlabel = _steps(recs)
    npos, nops = probs.shape[1:]
    if ax is None:
        fig, axes = plt.subplots(npos, 1, figsize=(8, 1.0 + 2.0 * npos), sharex=True, squeeze=False,
                                 layout="constrained")
        axes = list(axes[:, 0])
    else:
        axes = [ax] if isinstance(ax, Axes) else list(ax)
        if len(axes) != npos:
            raise ValueError(f"plot_alpha_history needs {npos} axes (one per cell position), got {len(axes)}")
        fig = axes[0].figure
    labels = _op_labels(nops)
    vmin, vmax = float(probs.min()), float(probs.max())
    for i, a in enumerate(axes):
        mesh = _heatmap(a, xs, probs[:, i], labels, vmin, vmax)
        k = int(probs[-1, i].argmax())
        a.set_title(f"position {i + 1}: now {labels[k]} (p = {probs[-1, i, k]:.2f})", fontsize=9, loc="left")
    axes[-1].set_xlabel(xlabel)
    fig.colorbar(mesh, ax=axes, label="softmax(alpha)", shrink=0.8)
    how = f" (mean over {cells} cells)" if cells else " (shared by all cells)"
    fig.suptitle(f"Cell-level op probabilities over the search{how}; white: argmax", fontsize=10)
    return _finish(fig, save)


def plot_alpha_bars(alpha_probs: Any, ax: Axes | None = None, *, title: str | None = None,
                    save: str | Path | None = None) -> Figure:
    """One snapshot of softmax(alpha) as grouped bars: per op, one bar per cell position.

    Teaches: how decided the search is — bars near the dashed uniform level 1/9 mean "no preference yet";
    the outlined bar with a triangle is each position's argmax (the derived op). ``alpha_probs``: (3, 9)
    or (cells, 3, 9) probabilities (list, numpy or torch; per-cell values are averaged).
    """
    probs, cells = _alpha_array(alpha_probs)
    npos, nops = probs.shape
    fig, ax = (plt.subplots(figsize=(8, 3.4), layout="constrained") if ax is None else (ax.figure, ax))
    width = 0.8 / npos
    x = np.arange(nops)
    labels = _op_labels(nops)
    for i in range(npos):
        win = int(probs[i].argmax())
        xi = x - 0.4 + width * (i + 0.5)
        bars = ax.bar(xi, probs[i], width, color=f"C{i}", label=f"position {i + 1}")
        bars[win].set_edgecolor("black")
        bars[win].set_linewidth(1.5)
        ax.plot(xi[win], probs[i, win] + 0.02, marker="v", color=f"C{i}", mec="black", ms=7)
    ax.axhline(1 / nops, color="grey", ls="--", lw=1, label=f"uniform 1/{nops}")
    ax.set_xticks(x, labels, rotation=25, ha="right", fontsize=8)
    ax.set_ylabel("softmax(alpha)")
    ax.set_ylim(0, min(1.05, float(probs.max()) + 0.1))
    ax.legend(fontsize=8, ncol=npos + 1, loc="upper right")
    derived = ", ".join(labels[int(k)] for k in probs.argmax(1))
    mean = f" (mean over {cells} cells)" if cells else ""
    ax.set_title(title or f"softmax(alpha){mean}: derived ops {derived}", fontsize=10)
    return _finish(fig, save)


def plot_alphas(history_or_probs: Any, **kwargs: Any) -> Figure:
    """Convenience: a history (list of records) -> :func:`plot_alpha_history`; one probability array
    (3, 9) / (cells, 3, 9) -> :func:`plot_alpha_bars`."""
    if isinstance(history_or_probs, Sequence) and history_or_probs and isinstance(history_or_probs[0], Mapping):
        return plot_alpha_history(history_or_probs, **kwargs)
    return plot_alpha_bars(history_or_probs, **kwargs)


# -- network level: betas -----------------------------------------------------------------------
def plot_beta_history(history: Sequence[Mapping[str, Any]], *, save: str | Path | None = None) -> Figure:
    """Heatmaps of softmax(beta_j) over the search: one panel per cell Bj (j >= 3), rows B1..B(j-1).

    Teaches: which earlier cells each cell learns to read from. Derivation keeps the top-2 per cell; the
    panel title names the pair derived at the last record (from its ``genotype`` when recorded). Uniform
    starting levels differ per panel (1/2 for B3, 1/5 for B6), so compare rows within a panel.
    """
    recs = _records_with(history, "betas", "records of a search with a network-level space carry 'betas'")
    nb = len(recs[-1]["betas"])
    recs = [r for r in recs if len(r["betas"]) == nb]
    xs, xlabel = _steps(recs)
    probs = [np.asarray([r["betas"][k] for r in recs], dtype=float) for k in range(nb)]   # (T, j-1) each
    sizes = [p.shape[1] for p in probs]
    fig, axes = plt.subplots(nb, 1, figsize=(8, 1.2 + 0.42 * sum(sizes) + 0.3 * nb), sharex=True,
                             squeeze=False, height_ratios=sizes, layout="constrained")
    axes = list(axes[:, 0])
    vmin, vmax = min(float(p.min()) for p in probs), max(float(p.max()) for p in probs)
    geno = recs[-1].get("genotype") or {}
    for k, (a, p) in enumerate(zip(axes, probs)):
        j = k + 3
        mesh = _heatmap(a, xs, p, [f"B{i}" for i in range(1, p.shape[1] + 1)], vmin, vmax)
        chosen = (geno.get("inputs") or [None] * nb)[k] if len(geno.get("inputs") or []) == nb else None
        if chosen is None:
            chosen = sorted(int(i) + 1 for i in np.argsort(-p[-1])[:2])
        a.set_title(f"B{j} reads from: now " + ", ".join(f"B{i}" for i in chosen), fontsize=9, loc="left")
    axes[-1].set_xlabel(xlabel)
    fig.colorbar(mesh, ax=axes, label="softmax(beta_j)", shrink=0.8)
    fig.suptitle("Network-level input probabilities over the search; white: argmax", fontsize=10)
    return _finish(fig, save)


# -- curves -------------------------------------------------------------------------------------
def _unit(key: str) -> str:
    k = key.lower()
    if "psnr" in k:
        return "PSNR (dB)"
    if "ssim" in k:
        return "SSIM"
    if "loss" in k or "objective" in k:
        return "loss"
    if k.endswith("lr"):
        return "learning rate"
    return key


def plot_curves(history: Sequence[Mapping[str, Any]], keys: Sequence[str] = ("w_loss", "arch_loss"),
                ax: Axes | None = None, *, x: str = "step", logy: bool = False, title: str | None = None,
                save: str | Path | None = None) -> Figure:
    """Curves of history values vs ``x`` (``"step"`` or ``"epoch"``), one panel per kind of quantity.

    Keys are grouped by unit (losses together, PSNRs together, learning rates on a log axis, anything
    else such as ``cost`` alone), so ``keys=("w_loss", "arch_loss", "psnr_arch", "cost")`` gives three
    panels; with ``ax`` everything goes on that axes. Works for search records (``w_loss``, ``arch_loss``,
    ``psnr_arch``, ``cost``, ``w_lr``) and retraining records (``loss``, ``val_psnr``). Keys recorded only
    sometimes (validation every N steps) are drawn at the records that have them, with markers.

    Teaches: whether training converges, whether the arch loss tracks the weight loss (over-fitting of the
    weights shows as a gap), and how the complexity cost trades against PSNR.
    """
    if isinstance(keys, str):
        keys = (keys,)
    if isinstance(history, Mapping) or not isinstance(history, Sequence):
        raise ValueError(f"history must be a list of record dicts, got {type(history).__name__}")
    present = [k for k in keys if any(isinstance(r.get(k), (int, float)) for r in history)]
    if not present:
        numeric = sorted({k for r in history for k, v in r.items() if isinstance(v, (int, float))})
        raise ValueError(f"none of the keys {list(keys)} is in the history; numeric keys present: {numeric}")
    groups: dict[str, list[str]] = {}
    for k in present:
        groups.setdefault(_unit(k), []).append(k)
    if ax is None:
        fig, axes = plt.subplots(len(groups), 1, figsize=(7, 1.2 + 2.3 * len(groups)), sharex=True,
                                 squeeze=False, layout="constrained")
        axes = list(axes[:, 0])
    else:
        fig, axes = ax.figure, [ax] * len(groups)
    for a, (unit, ks) in zip(axes, groups.items()):
        for k in ks:
            recs = [r for r in history if isinstance(r.get(k), (int, float))]
            xs, xlabel = _steps(recs, x)
            a.plot(xs, [r[k] for r in recs], marker="o" if len(recs) <= 30 else None, ms=3, label=k,
                   drawstyle="steps-post" if unit == "learning rate" else "default")
        if unit == "learning rate" or (logy and unit == "loss"):
            a.set_yscale("log")
        a.set_ylabel(unit)
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    axes[-1].set_xlabel(xlabel)
    if title:
        (fig.suptitle if ax is None else axes[0].set_title)(title, fontsize=10)
    return _finish(fig, save)


# -- architecture diagram -----------------------------------------------------------------------
_FAMILY_COLOURS = {"conv": "#cfe2f3", "sep": "#d9ead3", "dil": "#fce5cd"}


def _box(ax: Axes, cx: float, cy: float, w: float, h: float, text: str, color: str = "#eeeeee",
         fontsize: float = 8.5, **kw: Any) -> tuple[float, float, float, float]:
    ax.add_patch(FancyBboxPatch((cx - w / 2, cy - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                fc=color, ec="#333333", lw=1))
    ax.text(cx, cy, text, ha="center", va="center", fontsize=fontsize, **kw)
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2         # left, right, bottom, top


def _arrow(ax: Axes, gid: str, a: tuple[float, float] | None = None, b: tuple[float, float] | None = None, *,
           via: Sequence[tuple[float, float]] = (), rad: float = 0.0, color: str = "#333333",
           lw: float = 1.0) -> FancyArrowPatch:
    """One connection = one FancyArrowPatch with ``gid`` (``"net:B1->B3"``, ``"cell:..."``, ``"tail:..."``);
    ``via`` makes a polyline, ``rad`` a curved arc."""
    kw = dict(arrowstyle="-|>", mutation_scale=9, color=color, lw=lw, shrinkA=0, shrinkB=0)
    if via:
        pts = [a, *via, b]
        patch = FancyArrowPatch(path=MPath(pts, [MPath.MOVETO] + [MPath.LINETO] * (len(pts) - 1)), **kw)
    else:
        patch = FancyArrowPatch(a, b, connectionstyle=f"arc3,rad={rad}", **kw)
    patch.set_gid(gid)
    ax.add_patch(patch)
    return patch


def _draw_cell(ax: Axes, g: Genotype) -> None:
    y = 5.0
    ax.text(0.1, 7.45, f"Cell (the same 3 ops in all {g.cells} cells): width C = {g.channels}, "
            f"distilled C/2 = {g.channels // 2}", fontsize=10, weight="bold", va="center")
    x0 = _box(ax, 0.6, y, 0.8, 0.6, "$x_0$", fontsize=10)
    prev, prev_name, links = x0, "x0", []
    for i, name in enumerate(g.ops, 1):
        box = _box(ax, 0.1 + 2.45 * i, y, 1.9, 0.8, f"op{i}\n{name}", _FAMILY_COLOURS[name.split("_")[0]])
        _arrow(ax, f"cell:{prev_name}->op{i}", (prev[1], y), (box[0], y))
        links.append((prev[1] + box[0]) / 2)
        xa, xb = box[0] - 0.1, box[1] + 0.1                      # residual: around the op, below it
        _arrow(ax, f"cell:res{i}", (xa, y), (xb, y), via=[(xa, y - 0.62), (xb, y - 0.62)], color="#888888",
               lw=0.8)
        ax.text(xb + 0.04, y - 0.3, "+", fontsize=9, color="#666666", va="center")
        prev, prev_name = box, f"op{i}"
    r4 = _box(ax, 9.65, y, 1.3, 0.8, "conv3x3\n$\\to r_4$ (C/2)")
    _arrow(ax, "cell:op3->r4", (prev[1], y), (r4[0], y))
    cat = _box(ax, 11.05, 5.95, 0.62, 2.55, "concat  (2C)", fontsize=8.5, rotation=90)
    for i, (xl, level) in enumerate(zip(links, (6.95, 6.7, 6.45)), 1):
        d = _box(ax, xl, 6.05, 1.0, 0.48, f"1x1 $\\to d_{i}$", fontsize=8)
        _arrow(ax, f"cell:x{i - 1}->d{i}", (xl, y), (xl, d[2]))
        _arrow(ax, f"cell:d{i}->concat", (xl, d[3]), (cat[0], level), via=[(xl, level)])
    _arrow(ax, "cell:r4->concat", (r4[1], y), (cat[0], y))
    c5 = _box(ax, 12.15, 5.95, 0.9, 0.7, "1x1\n2C$\\to$C")
    esa = _box(ax, 13.3, 5.95, 0.85, 0.7, "ESA")
    _arrow(ax, "cell:concat->1x1", (cat[1], 5.95), (c5[0], 5.95))
    _arrow(ax, "cell:1x1->ESA", (c5[1], 5.95), (esa[0], 5.95))
    _arrow(ax, "cell:ESA->out", (esa[1], 5.95), (14.1, 5.95))
    ax.text(0.1, 4.05, "$x_i = act(op_i(x_{i-1}) + x_{i-1})$ (grey: residuals);  "
            "$d_i = act(1x1(x_{i-1}))$;  act = LeakyReLU(0.05);  no residual around the cell",
            fontsize=8, color="#444444", va="center")
    for k, (family, colour) in enumerate(_FAMILY_COLOURS.items()):
        _box(ax, 11.6 + 0.95 * k, 4.05, 0.8, 0.32, family, colour, fontsize=7.5)


def _draw_network(ax: Axes, g: Genotype) -> None:
    y, ybus = 2.35, 1.15
    ax.text(0.1, 3.55, f"Network: {g.cells} cells; arcs = the searched inputs of B3..B{g.cells}, "
            "fused by act(1x1(cat[...]))", fontsize=10, weight="bold", va="center")
    ax.text(0.3, y, "LR", ha="center", va="center", fontsize=9)
    fea = _box(ax, 1.35, y, 0.95, 0.6, "fea\nconv3x3", fontsize=8)
    _arrow(ax, "io:LR->fea", (0.5, y), (fea[0], y))
    n, x_first, x_last = g.cells, 2.9, 10.0
    step = (x_last - x_first) / max(n - 1, 1)
    w = min(0.8, 0.62 * step)
    boxes = {j: _box(ax, x_first + (j - 1) * step, y, w, 0.6, f"B{j}", "#e6e0f8", fontsize=9)
             for j in range(1, n + 1)}
    _arrow(ax, "net:fea->B1", (fea[1], y), (boxes[1][0], y))
    _arrow(ax, "net:B1->B2", (boxes[1][1], y), (boxes[2][0], y))
    skips = [(i, k + 3) for k, row in enumerate(g.inputs) for i in row if i != k + 2]
    outs = {i: sorted(j for a, j in skips if a == i) for i, _ in skips}      # spread the arc ends over
    ins = {j: sorted(i for i, b in skips if b == j) for _, j in skips}    # the box tops, nested
    for k, row in enumerate(g.inputs):
        j = k + 3
        for i in row:
            if i == j - 1:
                _arrow(ax, f"net:B{i}->B{j}", (boxes[i][1], y), (boxes[j][0], y))
            else:                                               # arc over the row, higher for longer skips
                fa = (outs[i].index(j) + 1) / (len(outs[i]) + 1)
                fb = (ins[j].index(i) + 1) / (len(ins[j]) + 1)
                a = (boxes[i][0] + w * (0.45 + 0.55 * fa), boxes[i][3])
                b = (boxes[j][0] + w * 0.55 * fb, boxes[j][3])
                peak = 0.25 + 0.1 * (j - i - 2)
                _arrow(ax, f"net:B{i}->B{j}", a, b, rad=-2 * peak / (b[0] - a[0]), color="#5b3fa8")
    bus = _box(ax, (boxes[1][0] + boxes[n][1]) / 2, ybus, boxes[n][1] - boxes[1][0], 0.42,
               f"concat[B1..B{n}] ({n}C) $\\to$ act(1x1) $\\to$ C", "#f3f3f3", fontsize=8)
    for j, bx in boxes.items():
        xc = (bx[0] + bx[1]) / 2
        _arrow(ax, f"tail:B{j}->concat", (xc, bx[2]), (xc, bus[3]), color="#777777", lw=0.8)
    conv = _box(ax, 11.15, ybus, 0.85, 0.5, "conv3x3", fontsize=8)
    ax.add_patch(Circle((12.1, ybus), 0.2, fc="white", ec="#333333"))
    ax.text(12.1, ybus, "+", ha="center", va="center", fontsize=11)
    times = f" x{g.scale}" if g.scale else ""
    up = _box(ax, 13.25, ybus, 1.3, 0.62, f"upsampler{times}\nconv3x3, shuffle", "#fde9e9", fontsize=7.5)
    _arrow(ax, "tail:concat->conv", (bus[1], ybus), (conv[0], ybus))
    _arrow(ax, "tail:conv->add", (conv[1], ybus), (11.9, ybus))
    _arrow(ax, "tail:fea->add", (1.35, fea[2]), (12.1, ybus - 0.2), via=[(1.35, 0.45), (12.1, 0.45)],
           color="#777777", lw=0.8)
    ax.text(6.5, 0.3, "global residual: + fea", fontsize=7.5, color="#555555", ha="center", va="top")
    _arrow(ax, "tail:add->upsampler", (12.3, ybus), (up[0], ybus))
    _arrow(ax, "io:upsampler->SR", (up[1], ybus), (14.25, ybus))
    ax.text(14.3, ybus, "SR", va="center", fontsize=9)


def draw_genotype(genotype: Genotype | Mapping[str, Any] | str, ax: Axes | None = None, *,
                  title: str | None = None, save: str | Path | None = None) -> Figure:
    """Draw a genotype: the cell on top (x0 -> op1 -> op2 -> op3 -> conv3x3, distillation branches d1..d3
    and r4 -> concat -> 1x1 -> ESA) and the network below (fea -> B1 -> B2, each Bj's searched inputs as
    arrows — straight for the previous cell, arcs for skips — and the tail: concat of all cells -> 1x1 ->
    conv3x3 -> + fea -> upsampler).

    Teaches: what the 3 searched ops and the searched inputs actually are in the network, and what is
    fixed. ``genotype``: a :class:`Genotype`, its dict, or a name/path accepted by ``get_genotype``.
    Each connection of the network graph (fea->B1, B1->B2, every input of B3..Bn) is exactly one
    ``FancyArrowPatch`` whose gid starts with ``"net:"``; cell arrows start with ``"cell:"``, tail arrows
    with ``"tail:"``.
    """
    name = genotype if isinstance(genotype, str) and not genotype.lstrip().startswith("{") else None
    g = Genotype.from_dict(dict(genotype)) if isinstance(genotype, Mapping) else get_genotype(genotype)
    fig, ax = (plt.subplots(figsize=(13, 7.2), layout="constrained") if ax is None else (ax.figure, ax))
    ax.set_xlim(0, 14.6)
    ax.set_ylim(0.1, 7.75)
    ax.set_aspect("equal")
    ax.axis("off")
    _draw_cell(ax, g)
    ax.plot([0.1, 14.5], [3.85, 3.85], color="#bbbbbb", lw=0.8)
    _draw_network(ax, g)
    scale = f", searched at x{g.scale}" if g.scale else ""
    ax.set_title(title or f"{name or 'genotype'}: C = {g.channels}, {g.cells} cells{scale}", fontsize=12)
    return _finish(fig, save)


# -- results ------------------------------------------------------------------------------------
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
    return _finish(fig, save)


# Published x2 rows (PAPER.md): params, Multi-Adds (G) at a 720p output, PSNR-Y per benchmark set.
# DLSR: the released checkpoint as measured with tinysr's evaluation (PAPER.md), not the paper's table.
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
    return _finish(fig, save)


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
    import torch
    import torch.nn.functional as F

    from .resize import imresize

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
    return _finish(fig, save)
