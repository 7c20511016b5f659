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

History records are the dicts written by :mod:`tinysr.search` (``step``, ``epoch``, ``loss``,
``arch_loss``, ``cost``, ``psnr``, ``alpha`` (3, 9) or (cells, 3, 9) softmax probabilities, ``betas``
lists of lengths 2..n-1, ``top_prob``, ``genotype``) and by retraining (``step``, ``epoch``, ``loss``, ``psnr``,
``w_lr``).
"""
from .diagram import draw_genotype
from .history import plot_alpha_bars, plot_alpha_history, plot_alphas, plot_beta_history, plot_curves
from .results import pareto_front, plot_pareto, plot_resize_comparison, plot_sr_crops

__all__ = ["plot_alpha_history", "plot_alphas", "plot_beta_history", "plot_alpha_bars", "plot_curves",
           "draw_genotype", "plot_sr_crops", "pareto_front", "plot_pareto", "plot_resize_comparison"]
