"""What every figure function of :mod:`tinysr.viz` does at the end: optionally save, then return the figure."""
from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

__all__ = ["finish"]


def finish(fig: Figure, save: str | Path | None) -> Figure:
    """Write ``fig`` to ``save`` (PNG/PDF/SVG by extension, 120 dpi, tight box) when given; return ``fig``.
    Never shows it: notebooks end the cell with ``plt.show()``, scripts run headless."""
    if save is not None:
        fig.savefig(save, dpi=120, bbox_inches="tight")
    return fig
