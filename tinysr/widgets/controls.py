"""ipywidgets controls for config fields, shaped by the fields' declared rules (:func:`tinysr.config.field_spec`).

:func:`make_control` picks the widget from the rule: a fixed set of values -> Dropdown; bools -> Checkbox;
ints -> IntSlider stepping through allowed values only (even widths, multiples of the scale, ``0`` or
``4..256``); fields declared ``log`` (learning rates) -> FloatLogSlider; bounded floats and the fields of
:data:`SLIDER_ENDS` -> FloatSlider; other floats -> FloatText; tuples and free strings -> Text. An
unbounded slider ends at ``max(SLIDER_ENDS[name], 4 * preset value, 8)``, so it follows the preset.
:func:`set_range` applies a rule narrowed by the rules between fields (``field_spec(dotted, cfg)``).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import ipywidgets as W

from .. import config as C

__all__ = ["SLIDER_ENDS", "field_value", "make_control", "set_range", "set_value"]

# Slider ends for fields without a declared maximum (at least 4x the preset's value).
SLIDER_ENDS: dict[str, float] = {"budget_params": 2_000_000, "budget_multi_adds": 200_000_000_000,
                                 "lambda_cost": 10.0, "hr_patch": 192, "batch_size": 64}


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


def _end(name: str, value: Any) -> float:
    return max(SLIDER_ENDS.get(name, 0), 4 * value, 8)


def _bounds(name: str, spec: C.FieldSpec, value: Any) -> tuple[Any, Any, Any]:
    """``(min, max, step)`` of the slider for a field with rule ``spec`` (``value``: the preset's, for the end
    of an unbounded range). Every ``min + k * step <= max`` is allowed; for log sliders: exponents."""
    if spec.log:
        centre = math.floor(math.log10(value)) if value > 0 else -3
        return centre - 2, centre + 2, 0.1
    if spec.kind is int:
        step = max(spec.step, 2 if spec.even else 1)
        lo = -(-int(spec.min or 0) // step) * step       # the first allowed value
        if spec.zero_ok:               # 0 or min..max: step so that 0 + step is allowed (0, 4, 8, ...)
            lo, step = 0, max(step, lo)
        hi = int(spec.max if spec.max is not None else _end(name, value))
        return lo, lo + max(hi - lo, 0) // step * step, step
    step = 0.001 if spec.min_open or spec.max_open else 0.01
    lo = (spec.min or 0.0) + (step if spec.min_open else 0.0)
    hi = spec.max - (step if spec.max_open else 0.0) if spec.max is not None else _end(name, value)
    return lo, max(hi, lo), step


def make_control(dotted: str, value: Any, cfg: C.Config | None = None) -> W.Widget:
    """The widget for one config field, starting at ``value``; its kind and range come from the field's rule
    (narrowed by the rules between fields when ``cfg``, the config the value belongs to, is given)."""
    name, spec = dotted.split(".")[-1], C.field_spec(dotted, cfg)
    style, layout = {"description_width": "9em"}, W.Layout(width="26em")
    kw = dict(description=name, style=style, layout=layout)
    if spec.choices and spec.kind is not tuple:
        return W.Dropdown(options=list(spec.choices), value=value, **kw)
    if spec.kind is bool:
        return W.Checkbox(value=value, indent=False, description=name, layout=layout)
    slider = {int: W.IntSlider, float: W.FloatSlider}.get(spec.kind)
    if spec.log:
        slider, kw = W.FloatLogSlider, dict(kw, base=10, readout_format=".1e")
    elif spec.kind is float and spec.max is None and name not in SLIDER_ENDS:
        slider = None
    if slider is not None:
        lo, hi, step = _bounds(name, spec, value)
        if slider is W.FloatSlider:
            kw["readout_format"] = ".3g"
        return slider(value=value, min=lo, max=hi, step=step, continuous_update=False, disabled=lo == hi, **kw)
    if spec.kind is float:
        return W.FloatText(value=value, **kw)
    w = W.Text(**kw)
    set_value(w, value)
    return w


def _set_bounds(w: W.Widget, lo: Any, hi: Any, step: Any) -> None:
    """Move a slider's ends without ever passing through min > max."""
    if lo > w.max:
        w.max, w.min = hi, lo
    else:
        w.min, w.max = lo, hi
    w.step, w.disabled = step, lo == hi


def set_range(w: W.Widget, dotted: str, spec: C.FieldSpec, preset_value: Any) -> None:
    """Give control ``w`` the range (or dropdown options) of ``spec``, keeping its value when still allowed."""
    if isinstance(w, W.Dropdown):
        options = list(spec.choices)
        if list(w.options) != options:
            value = w.value
            w.options = options
            if value in options:
                w.value = value
    elif isinstance(w, (W.IntSlider, W.FloatSlider, W.FloatLogSlider)):
        _set_bounds(w, *_bounds(dotted.split(".")[-1], spec, preset_value))


def set_value(w: W.Widget, value: Any) -> None:
    """Put a config value into its control (tuples and other values as text into a Text field)."""
    if isinstance(w, W.Text):
        value = ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)
    w.value = value
