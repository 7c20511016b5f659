"""Notebook panels bound to the config dataclasses: sliders in, Run and Stop, a progress bar, a live figure.

Every control is derived from a field of :class:`tinysr.config.Config`, so a panel can only express
settings the CLI and the library also accept, and ``panel.config()`` returns a plain :class:`Config`. That
is what makes the notebooks testable: the Run button calls the library with ``panel.config()``, and the next
plain cell runs the same call headless (the path nbval executes)::

    panel = SearchPanel(cfg)                                  # heading, sliders, Run/Stop, progress, figure
    result = run_search(panel.config(), callbacks=[LiveFigure(search_figure)])

- :mod:`.form` the controls and the preset dropdown (:class:`ConfigPanel`; ranges from the declared rules,
  reset per preset; ``paper`` only with the opt-in);
- :mod:`.runner` Run in a worker thread, Stop through a flag, one run at a time per kernel, results in an
  Output widget (:class:`RunPanel`);
- :mod:`.panels` :class:`SearchPanel` and :class:`TrainPanel`;
- :mod:`.figures` what they draw (:func:`search_figure`, :func:`train_figure`, :class:`LiveFigure`).
- :mod:`.explore` three small explorables (softmax temperature, a genotype builder, bicubic widening).
"""
from __future__ import annotations

from .controls import field_value, make_control, set_range, set_value
from .explore import (
                      bicubic_kernels,
                      bicubic_widening_explorer,
                      chain_inputs,
                      conv_receptive_field,
                      default_alpha_row,
                      genotype_builder,
                      genotype_numbers,
                      measured_receptive_field,
                      softmax_temperature_explorer,
                      temperature_probs,
)
from .figures import LiveFigure, figure_png, search_figure, train_figure
from .form import SEARCH_FIELDS, TRAIN_FIELDS, ConfigPanel, offered_presets
from .panels import SearchPanel, TrainPanel, describe_genotype, link_panels
from .runner import RUN_LOCK, RunPanel, running_panel

__all__ = ["SEARCH_FIELDS", "TRAIN_FIELDS", "search_figure", "train_figure", "figure_png", "LiveFigure",
           "ConfigPanel", "offered_presets", "RunPanel", "RUN_LOCK", "running_panel", "SearchPanel", "TrainPanel",
           "describe_genotype", "link_panels", "field_value", "make_control", "set_range", "set_value",
           "default_alpha_row", "temperature_probs", "softmax_temperature_explorer", "chain_inputs",
           "conv_receptive_field", "measured_receptive_field", "genotype_numbers", "genotype_builder",
           "bicubic_kernels", "bicubic_widening_explorer"]
