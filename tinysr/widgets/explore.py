"""Three small explorables for the course notebooks, each a pure function (the numbers, headless and testable)
plus a thin widget around it that redraws in well under a second:

- :func:`softmax_temperature_explorer` -- a temperature slider over one row of alpha: ``softmax(alpha / T)``
  over :data:`tinysr.PRIMITIVES`, its entropy and top probability (:func:`temperature_probs`);
- :func:`genotype_builder` -- 3 op dropdowns, width, cells and scale: parameters, Multi-Adds at a 720p output
  and the receptive field of the derived network (:func:`genotype_numbers`);
- :func:`bicubic_widening_explorer` -- MATLAB's bicubic kernel when shrinking by ``s`` (widened to ``4 s`` input
  pixels, amplitude ``/ s``) next to the upsampling kernel, with the tap weights of one output pixel as
  :func:`tinysr.resize.contributions` computes them (:func:`bicubic_kernels`).

Each wrapper returns an ``ipywidgets.VBox`` with three extra attributes: ``controls`` (name -> widget),
``update()`` (redraw now; it is also what every control's observer calls) and ``result`` (the pure
function's answer for the current controls). Figures are drawn on a
``matplotlib.figure.Figure`` (no pyplot state) and shown as PNG in an ``ipywidgets.Image``.

**Receptive field** (:func:`conv_receptive_field`): the side of the LR window one output pixel depends on
through the *convolutions* -- ``fea`` 3x3, per cell the 3 searched ops in series (the residuals only add
shorter paths) plus the 3x3 ``refine``, along the longest chain of cells, then the tail 3x3 and the
upsampler's 3x3::

    RF = 1 + 2 + D * (sum_i (rf(op_i) - 1) + 2) + 2 + 2       (D: cells on the longest path, = n for a chain)

It leaves out ESA's attention mask, whose strided, max-pooled branch sees about 57 more LR pixels per cell and
depends on the position in the image (so the whole network sees most of a small image).
:func:`measured_receptive_field` measures it by back-propagating one output pixel with ESA's mask frozen to
a constant (``esa.conv4.weight = 0``: then ESA is a per-channel scale), or with the mask live.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import ipywidgets as W
import numpy as np
import torch
from matplotlib.figure import Figure

from ..complexity import count_params, multi_adds
from ..config.rules import SCALES
from ..genotype import GENOTYPES, Genotype
from ..model import DLSRNet
from ..ops import PRIMITIVES, receptive_field
from ..resize import contributions, cubic
from ..space.cost import genotype_size
from ..viz import plot_alpha_bars
from .figures import figure_png

__all__ = ["default_alpha_row", "temperature_probs", "softmax_temperature_explorer", "chain_inputs",
           "conv_receptive_field", "measured_receptive_field", "genotype_numbers", "genotype_builder",
           "bicubic_kernels", "bicubic_widening_explorer"]


def _panel(controls: dict[str, W.Widget], outputs: Sequence[W.Widget], redraw) -> W.VBox:
    """Controls on top, outputs below; every control redraws on change; ``box.update()`` redraws now and
    returns what ``redraw`` computed (also kept as ``box.result``)."""
    box = W.VBox([W.HBox(list(controls.values()), layout=W.Layout(flex_flow="row wrap")), *outputs])

    def update() -> dict:
        box.result = redraw()
        return box.result

    box.controls, box.update = controls, update
    for c in controls.values():
        c.observe(lambda _change: update(), names="value")
    update()
    return box


def _image(fig: Figure) -> bytes:
    return figure_png(fig, dpi=72)


# -- 1. softmax temperature -----------------------------------------------------------------------------------
def default_alpha_row(seed: int = 0) -> np.ndarray:
    """A seeded row of 9 logits, ``N(0, 1)``, float64 (9,): something to sharpen and flatten."""
    return np.random.default_rng(seed).normal(size=len(PRIMITIVES))


def temperature_probs(alpha_row: Sequence[float] | None, T: float) -> dict:
    """``softmax(alpha_row / T)`` (9,) float64 summing to 1, its entropy in nats (``log 9`` = uniform, 0 =
    one-hot), the top probability and op. ``T > 0``; ``alpha_row`` (9,) logits, None: :func:`default_alpha_row`."""
    if not T > 0:
        raise ValueError(f"temperature T must be > 0, got {T!r}")
    alpha = default_alpha_row() if alpha_row is None else np.asarray(alpha_row, dtype=np.float64)
    if alpha.shape != (len(PRIMITIVES),):
        raise ValueError(f"alpha_row must hold {len(PRIMITIVES)} logits (one per op), got shape {alpha.shape}")
    p = torch.softmax(torch.from_numpy(alpha) / T, dim=0).numpy()
    entropy = float(-(p * np.log(np.clip(p, 1e-300, None))).sum())
    top = int(p.argmax())
    return {"probs": p, "entropy": entropy, "max_entropy": math.log(len(p)), "top_prob": float(p[top]),
            "top_op": PRIMITIVES[top], "T": float(T)}


def softmax_temperature_explorer(alpha_row: Sequence[float] | None = None) -> W.VBox:
    """A log slider for ``T`` in 0.05..5 over a fixed alpha row; bars of ``softmax(alpha / T)``, entropy and
    top probability. ``box.controls["T"]``."""
    T = W.FloatLogSlider(value=1.0, base=10, min=math.log10(0.05), max=math.log10(5), step=0.01,
                         description="T", readout_format=".3f", continuous_update=True)
    image, text = W.Image(format="png"), W.HTML()
    fig = Figure(figsize=(7, 2.8), layout="constrained")

    def redraw() -> None:
        r = temperature_probs(alpha_row, T.value)
        fig.clear()
        ax = fig.subplots()
        plot_alpha_bars(r["probs"][None], ax=ax, title=f"softmax(alpha / T) at T = {r['T']:.3f} (dashed: uniform 1/9)")
        ax.set_ylim(0, 1.05)                                  # one scale for every T
        ax.get_legend().remove()
        image.value = _image(fig)
        text.value = (f"entropy {r['entropy']:.3f} nats (uniform: {r['max_entropy']:.3f}) &nbsp; "
                      f"top probability {r['top_prob']:.3f} ({r['top_op']})")
        return r

    return _panel({"T": T}, [text, image], redraw)


# -- 2. genotype builder --------------------------------------------------------------------------------------
def chain_inputs(cells: int) -> tuple[tuple[int, ...], ...]:
    """Cell ``B_j`` reads ``B_{j-2}, B_{j-1}`` (j = 3..cells): two predecessors, like every derived cell,
    so the size is that of any searched wiring; the longest path runs through all ``cells`` cells."""
    return tuple((j - 2, j - 1) for j in range(3, cells + 1))


def conv_receptive_field(genotype: Genotype) -> int:
    """LR receptive field (pixels per side) of one output pixel through the convolutions, ESA's mask left out
    (module docstring). Exact: :func:`measured_receptive_field` with ``freeze_esa=True`` gives the same."""
    per_cell = sum(receptive_field(name) - 1 for name in genotype.ops) + 2        # 3 ops in series + refine 3x3
    depth = [1, 2]                                                              # B1 <- fea, B2 <- B1
    for row in genotype.inputs:
        depth.append(1 + max(depth[i - 1] for i in row))
    return 1 + 2 + max(depth) * per_cell + 2 + 2                              # fea, cells, tail 3x3, upsampler 3x3


def measured_receptive_field(net: DLSRNet, size: int, *, freeze_esa: bool = True) -> int:
    """Side of the LR window the centre output pixel of ``net`` depends on, measured: the bounding box of the
    nonzero gradient of that pixel with respect to a random ``size x size`` LR input (float64, a copy of
    ``net`` on the CPU, wherever ``net`` lives: a measurement, and MPS has no float64). ``freeze_esa``: set every
    ``esa.conv4.weight`` to 0 first, so ESA's mask is a constant. Needs ``size`` > the field (else the image edge
    cuts it; the result is then ``size``)."""
    probe = copy.deepcopy(net).cpu().double().eval()
    if freeze_esa:
        with torch.no_grad():
            for cell in probe.cells:
                cell.esa.conv4.weight.zero_()
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(1, 3, size, size, generator=g, dtype=torch.float64) * 255).requires_grad_(True)
    y = probe(x)
    r = probe.scale
    y[0, :, r * (size // 2), r * (size // 2)].sum().backward()
    hit = x.grad[0].abs().sum(0) > 0
    rows, cols = torch.nonzero(hit.any(1)).flatten(), torch.nonzero(hit.any(0)).flatten()
    return int(max(rows.max() - rows.min(), cols.max() - cols.min())) + 1


def genotype_numbers(ops: Sequence[str], channels: int, cells: int, scale: int,
                     inputs: Sequence[Sequence[int]] | None = None) -> dict:
    """Parameters, Multi-Adds at a 1280x720 output and the conv receptive field of ``DLSRNet(Genotype(ops,
    inputs or chain_inputs(cells), channels, cells), scale)``, without building it when every cell fuses 2
    predecessors (``F + n * sum_i c_{op_i}``, :func:`tinysr.space.cost.genotype_size`, cached); else by
    :func:`tinysr.count_params` on the built network. Values are ints (counts)."""
    g = Genotype(tuple(ops), tuple(map(tuple, inputs)) if inputs is not None else chain_inputs(cells),
                 channels=channels, cells=cells)
    if all(len(row) == 2 for row in g.inputs):
        sizes = {kind: genotype_size(g.ops, channels, cells, scale, kind) for kind in ("params", "multi_adds")}
    else:
        net = DLSRNet(g, scale)
        sizes = {"params": count_params(net), "multi_adds": multi_adds(net, scale)}
    return {"genotype": g, "scale": scale, **sizes, "receptive_field": conv_receptive_field(g)}


def genotype_builder() -> W.VBox:
    """Dropdowns for the 3 ops (DLSR's by default), sliders for channels (4..64) and cells (2..8), a scale
    dropdown; shows params, Multi-Adds at 720p and the receptive field, live (chain wiring, :func:`chain_inputs`)."""
    dlsr = GENOTYPES["dlsr"]
    controls: dict[str, W.Widget] = {f"op{i + 1}": W.Dropdown(options=PRIMITIVES, value=name, description=f"op {i + 1}")
                                     for i, name in enumerate(dlsr.ops)}
    controls["channels"] = W.IntSlider(value=dlsr.channels, min=4, max=64, step=2, description="channels")
    controls["cells"] = W.IntSlider(value=dlsr.cells, min=2, max=8, description="cells")
    controls["scale"] = W.Dropdown(options=SCALES, value=2, description="scale")
    text = W.HTML()

    def redraw() -> None:
        r = genotype_numbers([controls[f"op{i}"].value for i in (1, 2, 3)], controls["channels"].value,
                             controls["cells"].value, controls["scale"].value)
        text.value = (f"<b>{r['params']:,}</b> parameters &nbsp; <b>{r['multi_adds'] / 1e9:.2f} G</b> Multi-Adds "
                      f"(1280x720 output, x{r['scale']}) &nbsp; receptive field <b>{r['receptive_field']}</b> LR px "
                      f"through the convolutions (ESA's mask adds more)<br><code>{r['genotype'].to_json()}</code>")
        return r

    return _panel(controls, [text], redraw)


# -- 3. bicubic widening --------------------------------------------------------------------------------------
def bicubic_kernels(s: float, n_out: int = 16) -> dict:
    """MATLAB's bicubic weights when shrinking by ``s >= 1`` (``imresize(img, 1/s)``) and enlarging by ``s``,
    from :func:`tinysr.resize.contributions` on a 1-D signal with ``n_out`` output pixels.

    Returns ``down_weights``/``down_indices`` (n_out, P) with ``P = ceil(4 s) + 2`` taps, ``down_offsets`` the
    taps' distances (input pixels) from the centre of output pixel ``n_out // 2``, ``down_support`` the span of
    its nonzero taps (<= 4 s), and the same ``up_*`` for enlarging (4 + 2 taps, support <= 4)."""
    if not 1 <= s <= 8:
        raise ValueError(f"downscale factor s must be in 1..8, got {s!r}")
    out: dict = {"s": float(s)}
    for name, scale, n_in in (("down", 1 / s, math.ceil(n_out * s)), ("up", s, n_out)):
        n_o = math.ceil(n_in * scale)
        weights, indices = contributions(n_in, n_o, scale)
        i = n_o // 2
        u = (i + 1) / scale + 0.5 * (1 - 1 / scale) - 1                   # centre of output pixel i, 0-based input px
        nz = indices[i][weights[i] != 0]
        out.update({f"{name}_weights": weights, f"{name}_indices": indices, f"{name}_offsets": indices[i] - u,
                    f"{name}_row": weights[i], f"{name}_support": int(nz.max() - nz.min())})
    return out


def bicubic_widening_explorer() -> W.VBox:
    """A slider for the downscale factor ``s`` (1..4, steps of 0.25): the widened kernel ``k(t / s) / s`` and the
    upsampling kernel ``k(t)`` over the input-pixel distance ``t``, with the taps of one output pixel."""
    s = W.FloatSlider(value=2.0, min=1.0, max=4.0, step=0.25, description="s", continuous_update=True)
    image, text = W.Image(format="png"), W.HTML()
    fig = Figure(figsize=(7, 3), layout="constrained")

    def redraw() -> None:
        r = bicubic_kernels(s.value)
        fig.clear()
        ax = fig.subplots()
        t = np.linspace(-2 * r["s"] - 0.5, 2 * r["s"] + 0.5, 400)
        ax.plot(t, cubic(t), color="C0", label="enlarging: k(t), 4 taps")
        ax.plot(t, cubic(t / r["s"]) / r["s"], color="C3",
                label=f"shrinking by {r['s']:g}: k(t/s)/s, width 4s = {4 * r['s']:g}")
        ax.stem(r["down_offsets"], r["down_row"], linefmt="C3:", markerfmt="C3o", basefmt=" ",
                label="taps of one LR pixel (normalised)")
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xlabel("distance t from the output pixel's centre (input pixels)")
        ax.set_ylabel("weight")
        ax.legend(fontsize=8, loc="upper right")
        image.value = _image(fig)
        text.value = (f"shrinking by {r['s']:g}: {r['down_weights'].shape[1]} taps computed, nonzero over "
                      f"{r['down_support'] + 1} input pixels; largest tap {r['down_row'].max():.3f} "
                      f"(kernel peak 1/s = {1 / r['s']:.3f})")
        return r

    return _panel({"s": s}, [text, image], redraw)
