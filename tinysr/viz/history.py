"""Figures of a search or a retraining over time: the op probabilities softmax(alpha), the network-level
input probabilities softmax(beta), and loss / PSNR / cost / learning-rate curves.

History records are the dicts written by :mod:`tinysr.search` (``step``, ``epoch``, ``loss``,
``arch_loss``, ``cost``, ``psnr``, ``alpha`` (3, 9) or (cells, 3, 9) softmax probabilities, ``betas``
lists of lengths 2..n-1, ``top_prob``, ``genotype``) and by retraining (``step``, ``epoch``, ``loss``, ``psnr``,
``w_lr``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..ops import PRIMITIVES
from .common import finish

__all__ = ["plot_alpha_history", "plot_alpha_bars", "plot_alphas", "plot_beta_history", "plot_curves"]

CMAP = "viridis"


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
    return finish(fig, save)


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
    return finish(fig, save)


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
    return finish(fig, save)


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


def plot_curves(history: Sequence[Mapping[str, Any]], keys: Sequence[str] = ("loss", "arch_loss"),
                ax: Axes | None = None, *, x: str = "step", logy: bool = False, title: str | None = None,
                save: str | Path | None = None) -> Figure:
    """Curves of history values vs ``x`` (``"step"`` or ``"epoch"``), one panel per kind of quantity.

    Keys are grouped by unit (losses together, PSNRs together, learning rates on a log axis, anything
    else such as ``cost`` alone), so ``keys=("loss", "arch_loss", "psnr", "cost")`` gives three
    panels; with ``ax`` everything goes on that axes. Works for search records (``loss``, ``arch_loss``,
    ``psnr``, ``cost``, ``w_lr``) and retraining records (``loss``, ``psnr``). Keys recorded only
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
    return finish(fig, save)
