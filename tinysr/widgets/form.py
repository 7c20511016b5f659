"""A form of config controls plus a preset dropdown: the settings half of every panel.

Every control is derived from a field of :class:`tinysr.config.Config` (:mod:`tinysr.widgets.controls`), so a form
can only express settings the CLI and the library also accept, and ``form.config()`` returns a plain
:class:`Config`. Slider ends follow the chosen preset (reset with it, never only grown) and the rules
between fields, so no reachable value fails validation.

``paper`` (the released multi-day schedule) is offered in the dropdown only with the opt-in: when the
starting config already is ``paper`` (the notebook asked ``tinysr.course_preset(allow_paper=True)``) or
with ``allow_paper=True``.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import ipywidgets as W

from .. import config as C
from .controls import field_value, make_control, set_range, set_value

__all__ = ["SEARCH_FIELDS", "TRAIN_FIELDS", "ConfigPanel", "offered_presets"]

SEARCH_FIELDS = ("data.scale", "search.budget_params", "search.lambda_cost", "search.w_lr", "search.alpha_lr",
                 "search.channels", "search.cells", "search.epochs", "search.steps_per_epoch",
                 "search.warmup_epochs", "search.order", "search.objective", "search.aux_skip", "search.gumbel")
TRAIN_FIELDS = ("data.scale", "train.w_lr", "train.channels", "train.epochs", "train.steps_per_epoch",
                "train.batch_size", "train.bicubic_skip")


def offered_presets(cfg: C.Config, allow_paper: bool | None = None) -> list[str]:
    """The preset names a form offers for ``cfg``: the built-in presets (``paper`` only when ``allow_paper``,
    which defaults to ``cfg.name == "paper"``), plus ``cfg.name`` when it is a saved config of its own."""
    allow = cfg.name == "paper" if allow_paper is None else allow_paper
    names = [n for n in C.PRESETS if n != "paper" or allow]
    return names + ([cfg.name] if cfg.name not in names else [])


class ConfigPanel:
    """Controls for some fields of a :class:`Config` plus a preset dropdown that resets them all.

    ``cfg``: the starting settings (default: :func:`tinysr.preset`); ``fields``: dotted names
    (``"search.w_lr"``); ``allow_paper``: see :func:`offered_presets`. ``config()`` is ``cfg`` of the
    chosen preset with every control's value applied.
    """

    def __init__(self, cfg: C.Config | None = None, fields: Sequence[str] = SEARCH_FIELDS, *,
                 allow_paper: bool | None = None) -> None:
        self.base = cfg or C.preset()
        if not fields:
            raise ValueError("a panel needs at least one config field, e.g. fields=('search.w_lr',)")
        self.controls = {d: make_control(d, field_value(self.base, d), self.base) for d in fields}
        self.preset = W.Dropdown(options=offered_presets(self.base, allow_paper), value=self.base.name,
                                 description="preset", style={"description_width": "9em"},
                                 layout=W.Layout(width="26em"))
        self.preset.observe(self._on_preset, names="value")
        self._busy = False
        for w in self.controls.values():
            w.observe(self._follow_rules, names="value")

    def _on_preset(self, change: dict) -> None:
        if change["new"] in C.PRESETS:
            self.reset(C.preset(change["new"], seed=self.base.seed))

    def reset(self, cfg: C.Config) -> None:
        """Take every control's value and range from ``cfg`` (what the preset dropdown does)."""
        self.base, self._busy = cfg, True
        try:
            for dotted, w in self.controls.items():
                value = field_value(cfg, dotted)
                set_range(w, dotted, C.field_spec(dotted, cfg), value)
                set_value(w, value)
        finally:
            self._busy = False
        self._changed()

    def _follow_rules(self, _change: dict | None = None) -> None:
        """After a change, narrow the other controls by the rules between fields (``field_spec(d, cfg)``)."""
        if self._busy:
            return
        try:
            cfg = self.config()
        except ValueError:         # e.g. a half-typed Text field; Run reports it
            return
        self._busy = True
        try:
            for dotted, w in self.controls.items():
                set_range(w, dotted, C.field_spec(dotted, cfg), field_value(self.base, dotted))
        finally:
            self._busy = False
        self._changed()

    def _changed(self) -> None:
        """Hook: the settings changed (subclasses refresh what they show about them)."""

    def config(self) -> C.Config:
        """The chosen settings as a :class:`Config` (types as declared: ints stay ints, ...). Unticking
        ``search.gumbel`` also turns ``search.single_path`` off: with no samples there is no single op to run."""
        values = {d: w.value for d, w in self.controls.items()}
        if values.get("search.gumbel") is False and self.base.search.single_path:
            values["search.single_path"] = False
        return C.override(self.base, values)

    def _form(self) -> W.Widget:
        boxes = list(self.controls.values())
        half = (len(boxes) + 1) // 2
        return W.VBox([self.preset, W.HBox([W.VBox(boxes[:half]), W.VBox(boxes[half:])])])

    @cached_property
    def widget(self) -> W.Widget:
        """The panel as one widget (built once); a panel at the end of a cell displays it."""
        return self._form()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
