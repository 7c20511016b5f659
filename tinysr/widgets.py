"""Notebook panels bound to the config dataclasses: sliders in, a Run button, a progress bar, a live figure.

Every control is derived from a field of :class:`tinysr.config.Config` (``dataclasses.fields``), so a panel
can only express settings the CLI and the library also accept, and ``panel.config()`` returns a plain
:class:`Config`. That is what makes the notebooks testable: the Run button calls the library with
``panel.config()``, and the next plain cell runs the same call headless (the path nbval executes)::

    panel = SearchPanel(cfg)                                  # shows sliders + Run + progress + figure
    result = run_search(panel.config(), callbacks=[LiveFigure(search_figure)])

Control per field, from its declared rule (:func:`tinysr.config.field_spec`): a fixed set of values ->
Dropdown; bools -> Checkbox; ints -> IntSlider (``continuous_update=False``) stepping through allowed values
only; ``*_lr``-like fields (declared ``log``) -> FloatLogSlider; bounded floats and ``lambda_cost`` ->
FloatSlider; other floats -> FloatText; tuples and free strings -> Text (parsed by
:func:`tinysr.config.override`). Slider ends follow the preset (reset with it) and the rules between fields:
``search.warmup_epochs`` stops below ``search.epochs``, ``lambda_cost`` stays 0 until a budget is set,
``data.scale`` offers the scales the patch sizes allow. So no reachable value fails validation.

Live figures. In a plain cell, :class:`LiveFigure` shows the figure once with a display handle
(``display(fig, display_id=True)``) and then calls ``handle.update(fig)``. Inside a button callback
JupyterLab drops display updates (ipywidgets issue #1844), so a panel draws into an ``Image`` widget and
updates its ``.value``. Neither needs ``clear_output``.
"""
from __future__ import annotations

import io
from functools import cached_property
from typing import Any, Callable, Sequence

import ipywidgets as W
from matplotlib.figure import Figure

from . import config as C
from .controls import field_value, make_control, set_range, set_value

__all__ = ["SEARCH_FIELDS", "TRAIN_FIELDS", "search_figure", "train_figure", "LiveFigure", "ConfigPanel", "RunPanel", "SearchPanel", "TrainPanel"]


SEARCH_FIELDS = ("data.scale", "search.budget_params", "search.lambda_cost", "search.w_lr", "search.alpha_lr",
                 "search.channels", "search.cells", "search.epochs", "search.steps_per_epoch",
                 "search.warmup_epochs", "search.order", "search.objective", "search.aux_skip", "search.gumbel")
TRAIN_FIELDS = ("data.scale", "train.w_lr", "train.channels", "train.epochs", "train.steps_per_epoch",
                "train.batch_size", "train.bicubic_skip")


def search_figure(history: Sequence[dict], fig: Figure | None = None) -> Figure:
    """Left: softmax(alpha) of the last record (:func:`~tinysr.viz.plot_alpha_bars`); right: the losses."""
    from .viz import plot_alpha_bars, plot_curves

    fig = fig or Figure(figsize=(12, 3.4), layout="constrained")
    fig.clear()
    left, right = fig.subplots(1, 2, width_ratios=[3, 2])
    plot_alpha_bars(history[-1]["alpha"], ax=left, title=f"softmax(alpha) at step {history[-1]['step']}")
    plot_curves(history, ("loss", "arch_loss"), ax=right, title="losses")
    return fig


def train_figure(history: Sequence[dict], fig: Figure | None = None) -> Figure:
    """Retraining: the training loss and the validation PSNR per epoch, side by side."""
    from .viz import plot_curves

    fig = fig or Figure(figsize=(10, 3.2), layout="constrained")
    fig.clear()
    left, right = fig.subplots(1, 2)
    plot_curves(history, ("loss",), ax=left, x="epoch", title="training loss (L1)")
    plot_curves(history, ("psnr",), ax=right, x="epoch", title="validation PSNR-Y")
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
        self.controls = {d: make_control(d, field_value(self.base, d), self.base) for d in fields}
        names = list(C.PRESETS) + ([self.base.name] if self.base.name not in C.PRESETS else [])
        self.preset = W.Dropdown(options=names, value=self.base.name, description="preset",
                                 style={"description_width": "9em"}, layout=W.Layout(width="26em"))
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
