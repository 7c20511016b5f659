"""Drawing a genotype: the searched cell (3 ops, distillation branches, ESA) above the network wiring
(which earlier cells each cell B3..Bn reads, and the fixed tail)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path as MPath

from ..genotype import Genotype, get_genotype
from .common import finish

__all__ = ["draw_genotype"]


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
    return finish(fig, save)
