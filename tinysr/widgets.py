"""Notebook panels bound to the config dataclasses: sliders in, a Run button, a progress bar, a live figure.

Every control is derived from a field of :class:`tinysr.config.Config` (``dataclasses.fields``), so a panel
can only express settings the CLI and the library also accept, and ``panel.config()`` returns a plain
:class:`Config`. That is what makes the notebooks testable: the Run button calls the library with
``panel.config()``, and the next plain cell runs the same call headless (the path nbval executes)::

    panel = SearchPanel(cfg)                                  # shows sliders + Run + progress + figure
    result = run_search(panel.config(), callbacks=[LiveFigure(search_figure)])

Control per field: ``*_lr`` and ``lambda_cost`` -> FloatLogSlider; ints -> IntSlider
(``continuous_update=False``); bools -> Checkbox; ``preset``, ``data.scale`` and string fields with a fixed
set of values (``order``, ``objective``, ``cost_kind``, ``loss``) -> Dropdown; other floats -> FloatText;
tuples and free strings -> Text (parsed by :func:`tinysr.config.override`). A log slider cannot reach 0:
``lambda_cost`` at its minimum 1e-5 is the penalty practically off (``override`` sets an exact 0).

Live figures. In a plain cell, :class:`LiveFigure` shows the figure once with a display handle
(``display(fig, display_id=True)``) and then calls ``handle.update(fig)``. Inside a button callback
JupyterLab drops display updates (ipywidgets issue #1844), so a panel draws into an ``Image`` widget and
updates its ``.value``. Neither needs ``clear_output``.
"""
from __future__ import annotations

import dataclasses
import io
import math
from functools import cached_property
from typing import Any, Callable, Sequence

import ipywidgets as W
from matplotlib.figure import Figure

from . import config as C

CHOICES: dict[str, tuple] = {"scale": (2, 3, 4), "order": ("first", "second"), "objective": ("val", "train+val"),
                             "cost_kind": ("params", "multi_adds"), "loss": ("l1", "l1+hfen")}
LOG_FIELDS = ("lambda_cost",)                 # besides every ``*_lr``
UNIT_FIELDS = ("aux_skip", "arch_fraction", "ema")   # floats in [0, 1] -> FloatSlider
ZERO_OK = ("warmup_epochs", "log_every", "max_images", "num_workers", "channels", "val_images", "seed", "tile")
INT_CAPS = {"cells": 8, "channels": 64, "hr_patch": 192, "batch_size": 64}

SEARCH_FIELDS = ("data.scale", "search.lambda_cost", "search.w_lr", "search.alpha_lr", "search.channels",
                 "search.cells", "search.epochs", "search.steps_per_epoch", "search.warmup_epochs",
                 "search.order", "search.objective", "search.cost_kind", "search.aux_skip", "search.gumbel")
TRAIN_FIELDS = ("data.scale", "train.w_lr", "train.channels", "train.epochs", "train.steps_per_epoch",
                "train.batch_size", "train.bicubic_skip")


def field_value(cfg: C.Config, dotted: str) -> Any:
    """The value of a dotted field such as ``search.w_lr`` (or a top-level one: ``seed``)."""
    if "." not in dotted:
        owner, name = cfg, dotted
    else:
        section, name = dotted.split(".")
        owner = getattr(cfg, section)
    if name not in {f.name for f in dataclasses.fields(owner)}:
        raise ValueError(f"{dotted!r} is not a config field; valid names: {', '.join(C.field_names(cfg))}")
    return getattr(owner, name)


def _int_bounds(name: str, value: int) -> tuple[int, int]:
    lo = 0 if name in ZERO_OK else 1
    return lo, max(INT_CAPS.get(name, 8), 4 * value, lo + 1)


def make_control(dotted: str, value: Any) -> W.Widget:
    """The widget for one config field, starting at ``value`` (its type picks the widget)."""
    name = dotted.split(".")[-1]
    style, layout = {"description_width": "9em"}, W.Layout(width="26em")
    kw = dict(description=name, style=style, layout=layout)
    if name in CHOICES:
        return W.Dropdown(options=list(CHOICES[name]), value=value, **kw)
    if isinstance(value, bool):
        return W.Checkbox(value=value, indent=False, description=name, layout=layout)
    if isinstance(value, int):
        lo, hi = _int_bounds(name, value)
        return W.IntSlider(value=value, min=lo, max=hi, continuous_update=False, **kw)
    if isinstance(value, float) and (name.endswith("_lr") or name in LOG_FIELDS):
        return W.FloatLogSlider(value=value, base=10, min=-5, max=2 if name in LOG_FIELDS else -1, step=0.1,
                                readout_format=".1e", continuous_update=False, **kw)
    if isinstance(value, float) and name in UNIT_FIELDS:
        return W.FloatSlider(value=value, min=0.0, max=1.0, step=0.001 if name == "ema" else 0.05,
                             readout_format=".3g", continuous_update=False, **kw)
    if isinstance(value, float):
        return W.FloatText(value=value, **kw)
    text = ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)
    return W.Text(value=text, **kw)


def _set_control(w: W.Widget, dotted: str, value: Any) -> None:
    """Put ``value`` into ``w``, widening a slider's range when needed (presets differ by 100x)."""
    name = dotted.split(".")[-1]
    if isinstance(w, W.IntSlider):
        lo, hi = _int_bounds(name, value)
        w.max = max(hi, w.max)
        w.min = min(lo, w.min)
    elif isinstance(w, W.FloatLogSlider) and value > 0:    # widen the exponent range if needed
        w.max, w.min = max(w.max, math.ceil(math.log10(value))), min(w.min, math.floor(math.log10(value)))
    elif isinstance(w, W.Text):
        value = ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)
    w.value = value


def search_figure(history: Sequence[dict], fig: Figure | None = None) -> Figure:
    """Left: softmax(alpha) of the last record (:func:`~tinysr.viz.plot_alpha_bars`); right: the losses."""
    from .viz import plot_alpha_bars, plot_curves

    fig = fig or Figure(figsize=(12, 3.4), layout="constrained")
    fig.clear()
    left, right = fig.subplots(1, 2, width_ratios=[3, 2])
    plot_alpha_bars(history[-1]["alpha"], ax=left, title=f"softmax(alpha) at step {history[-1]['step']}")
    plot_curves(history, ("w_loss", "arch_loss"), ax=right, title="losses")
    return fig


def train_figure(history: Sequence[dict], fig: Figure | None = None) -> Figure:
    """Retraining: the training loss and the validation PSNR per epoch, side by side."""
    from .viz import plot_curves

    fig = fig or Figure(figsize=(10, 3.2), layout="constrained")
    fig.clear()
    left, right = fig.subplots(1, 2)
    plot_curves(history, ("loss",), ax=left, x="epoch", title="training loss (L1)")
    plot_curves(history, ("val_psnr",), ax=right, x="epoch", title="validation PSNR-Y")
    return fig


class LiveFigure:
    """A run callback ``(step, record)`` that redraws ``draw(history, fig)`` after every record: shown once
    with ``display(fig, display_id=True)``, then ``handle.update(fig)``; or, with ``image=``, written to
    that ``ipywidgets.Image`` (for button callbacks). ``history`` holds the records seen so far."""

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
            buf = io.BytesIO()
            self.fig.savefig(buf, format="png", dpi=80)
            self.image.value = buf.getvalue()
        elif self.handle is None:
            self.handle = display(self.fig, display_id=True)
        else:
            self.handle.update(self.fig)


class ConfigPanel:
    """Controls for some fields of a :class:`Config` plus a preset dropdown that resets them all.

    ``cfg``: the starting settings (default: :func:`tinysr.preset`); ``fields``: dotted names
    (``"search.w_lr"``). ``config()`` is ``cfg`` of the chosen preset with every control's value applied.
    """

    def __init__(self, cfg: C.Config | None = None, fields: Sequence[str] = SEARCH_FIELDS) -> None:
        self.base = cfg or C.preset()
        self.controls = {d: make_control(d, field_value(self.base, d)) for d in fields}
        names = list(C.PRESETS) + ([self.base.name] if self.base.name not in C.PRESETS else [])
        self.preset = W.Dropdown(options=names, value=self.base.name, description="preset",
                                 style={"description_width": "9em"}, layout=W.Layout(width="26em"))
        self.preset.observe(self._on_preset, names="value")

    def _on_preset(self, change: dict) -> None:
        if change["new"] in C.PRESETS:
            self.reset(C.preset(change["new"], seed=self.base.seed))

    def reset(self, cfg: C.Config) -> None:
        """Take every control's value from ``cfg`` (what the preset dropdown does)."""
        self.base = cfg
        for dotted, w in self.controls.items():
            _set_control(w, dotted, field_value(cfg, dotted))

    def config(self) -> C.Config:
        """The chosen settings as a :class:`Config` (types as declared: ints stay ints, ...)."""
        return C.override(self.base, {d: w.value for d, w in self.controls.items()})

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


class RunPanel(ConfigPanel):
    """A :class:`ConfigPanel` with a Run button, a progress bar, a status line and a live figure.
    Subclasses say what to run (``_call``), how long it is (``_total``) and what to draw (``draw``)."""

    label = "Run"
    draw: Callable[..., Figure] = staticmethod(search_figure)

    def __init__(self, cfg: C.Config | None = None, fields: Sequence[str] = SEARCH_FIELDS) -> None:
        super().__init__(cfg, fields)
        self.button = W.Button(description=self.label, button_style="primary", icon="play")
        self.progress = W.IntProgress(value=0, min=0, max=1, description="progress")
        self.status = W.HTML(value="")
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.button.on_click(self._on_click)
        self.result: Any = None
        self.results: list[Any] = []      # every finished run of this panel, in order
        self._done: list[Callable[[Any], None]] = []

    def on_done(self, fn: Callable[[Any], None]) -> None:
        """Call ``fn(result)`` after each successful run (e.g. hand a searched genotype to a TrainPanel)."""
        self._done.append(fn)

    def _form(self) -> W.Widget:
        return W.VBox([super()._form(), W.HBox([self.button, self.progress, self.status]), self.image])

    def _on_click(self, _button: W.Button | None = None) -> None:
        try:
            self.run()
        except Exception as exc:  # shown in the panel: a button callback has nowhere else to report
            self.status.value = f"<b style='color:#c00'>{type(exc).__name__}: {exc}</b>"

    def run(self, callbacks: Sequence[Callable] = (), **kwargs: Any) -> Any:
        """Run with ``self.config()``: progress bar, status and live figure follow each record."""
        cfg = self.config()
        self.progress.max, self.progress.value = max(self._total(cfg), 1), 0
        self.status.value = f"running ({cfg.name} preset) ..."
        live = LiveFigure(self.draw, image=self.image)

        def follow(step: int, record: dict) -> None:
            self.progress.value = min(int(record.get("step", step)), self.progress.max)
            live(step, record)

        self.button.disabled = True
        try:
            self.result = self._call(cfg, callbacks=[follow, *callbacks], progress=False, **kwargs)
        finally:
            self.button.disabled = False
        self.results.append(self.result)
        self.progress.value = self.progress.max
        self.status.value = "done: " + self._summary(self.result)
        for fn in self._done:
            fn(self.result)
        return self.result


class SearchPanel(RunPanel):
    """Search settings; Run calls :func:`tinysr.search.run_search` (live: alpha bars + losses)."""

    label = "Run search"

    def _total(self, cfg: C.Config) -> int:
        return cfg.search.epochs * cfg.search.steps_per_epoch

    def _call(self, cfg: C.Config, **kwargs: Any) -> Any:
        from .search import run_search
        return run_search(cfg, **kwargs)

    def _summary(self, result: Any) -> str:
        g = result.genotype
        return f"genotype ops {', '.join(g.ops)}, inputs {[list(i) for i in g.inputs]}"


class TrainPanel(RunPanel):
    """Retraining settings for ``genotype`` (settable later); Run calls :func:`tinysr.train.run_train`."""

    label = "Run training"
    draw = staticmethod(train_figure)

    def __init__(self, genotype: Any, cfg: C.Config | None = None, fields: Sequence[str] = TRAIN_FIELDS) -> None:
        super().__init__(cfg, fields)
        self.genotype = genotype

    def _total(self, cfg: C.Config) -> int:
        return cfg.train.epochs * cfg.train.steps_per_epoch

    def _call(self, cfg: C.Config, **kwargs: Any) -> Any:
        from .train import run_train
        return run_train(self.genotype, cfg, **kwargs)

    def _summary(self, result: Any) -> str:
        return f"best validation PSNR-Y {result.best_psnr:.2f} dB"
