"""The live figures of the panels: what a search and a retraining look like while they run.

Losses are in pixel units: the images are float in [0, 255], so an L1 loss of 5 is a mean error of 5 grey
levels (the HFEN part of ``l1+hfen`` is scale-free and small). Epoch and step axes get integer ticks.

:class:`LiveFigure` is the run callback that redraws one figure after every record. In a plain cell it
shows the figure once with a display handle (``display(fig, display_id=True)``) and then calls
``handle.update(fig)``; inside a button callback JupyterLab drops display updates (ipywidgets issue
#1844), so a panel passes an ``ipywidgets.Image`` and the figure is written to its ``.value`` as PNG
(the image stays hidden until the first record, so no broken-image placeholder shows before a run).
"""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import ipywidgets as W
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["LOSS_UNIT", "search_figure", "train_figure", "figure_png", "LiveFigure"]

LOSS_UNIT = "loss (pixel units, images in 0-255)"


def _integer_x(ax: Axes, label: str) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax.set_xlabel(label)


def search_figure(history: Sequence[dict], fig: Figure | None = None) -> Figure:
    """Left: softmax(alpha) of the last record (:func:`~tinysr.viz.plot_alpha_bars`); right: the weight and
    architecture losses per step, in pixel units."""
    from ..viz import plot_alpha_bars, plot_curves

    fig = fig or Figure(figsize=(12, 3.4), layout="constrained")
    fig.clear()
    left, right = fig.subplots(1, 2, width_ratios=[3, 2])
    last = history[-1]
    plot_alpha_bars(last["alpha"], ax=left, title=f"softmax(alpha) at step {last['step']} (epoch {last['epoch']})")
    plot_curves(history, ("loss", "arch_loss"), ax=right,
                title="search losses (weights: train photos; alpha: arch photos)")
    right.set_ylabel(LOSS_UNIT)
    _integer_x(right, "step")
    return fig


def train_figure(history: Sequence[dict], fig: Figure | None = None) -> Figure:
    """Retraining: the training loss (pixel units) and the validation PSNR-Y (dB) per epoch."""
    from ..viz import plot_curves

    fig = fig or Figure(figsize=(10, 3.2), layout="constrained")
    fig.clear()
    left, right = fig.subplots(1, 2)
    plot_curves(history, ("loss",), ax=left, x="epoch", title="training loss")
    left.set_ylabel(LOSS_UNIT)
    _integer_x(left, "epoch")
    if any(r.get("psnr") == r.get("psnr") for r in history):        # not all NaN: there is a validation set
        plot_curves(history, ("psnr",), ax=right, x="epoch", title="validation PSNR-Y")
        right.set_ylabel("PSNR-Y (dB)")
    else:
        right.set_title("no validation images: no PSNR-Y")
    _integer_x(right, "epoch")
    return fig


def figure_png(fig: Figure, dpi: int = 80) -> bytes:
    """``fig`` as PNG bytes (what an ``ipywidgets.Image`` shows)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


class LiveFigure:
    """A run callback ``(step, record)`` that redraws ``draw(history, fig)`` after every record: shown once
    with ``display(fig, display_id=True)``, then ``handle.update(fig)``; or, with ``image=``, written to
    that ``ipywidgets.Image`` (for button callbacks), which is made visible at the first record.
    ``history`` holds the records seen so far."""

    def __init__(self, draw: Callable[..., Figure], image: W.Image | None = None) -> None:
        self.draw, self.image = draw, image
        self.history: list[dict] = []
        self.fig: Figure | None = None
        self.handle = None

    def __call__(self, step: int, record: dict) -> None:
        from IPython.display import display

        self.history.append(record)
        self.fig = self.draw(self.history, self.fig)
        if self.image is not None:
            self.image.value = figure_png(self.fig)
            self.image.layout.display = None
        elif self.handle is None:
            self.handle = display(self.fig, display_id=True)
        else:
            self.handle.update(self.fig)
