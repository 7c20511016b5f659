"""What values a config field may take, declared once next to the field and checked when a config is made.

A field is declared with :func:`rule`, e.g. ``channels: int = rule(48, min=4, max=256, even=True)``; the
:class:`FieldSpec` stored in the field's metadata is the single statement of what is allowed. It is used

- by ``__post_init__`` of each config section (:func:`check_section`), so a bad value fails where the
  config is made -- ``--set``, a notebook slider, a loaded ``config.json`` -- before any data is read;
- by the notebook panels (``tinysr.widgets``), whose slider ends and dropdown options come from it.

Rules between fields of :class:`tinysr.config.Config` (``search.warmup_epochs < search.epochs``, ``hr_patch``
a multiple of ``data.scale``, at most one budget, ...) are the :class:`Cross` objects of :data:`CROSS_RULES`: each
checks a whole config and can *narrow* one field's spec given the values of the others, so a panel never offers a
value the cross rule would reject.
Errors are :class:`ConfigError` (a ``ValueError``): one line naming the dotted field, the value seen and
what is allowed, e.g. ``search.channels=0 must be an even int in 4..256``.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

__all__ = ["ConfigError", "FieldSpec", "rule", "spec_of", "check_value", "check_section", "get", "Cross",
           "at_most", "at_least", "ESA_MIN", "SCALES", "LOSSES", "HFEN_VARIANTS", "CROSS_RULES"]

# The vocabularies every layer shares, declared once here, at the bottom (layer 0):
#: the smallest LR side ESA accepts: its stride-2 3x3 conv then 7/3 max-pool need one pixel left (tinysr.cell
#: derives it from those layers, and a test checks that the derivation gives this number)
ESA_MIN = 15
SCALES = (2, 3, 4)                       #: the upscaling factors of every network (the released code's)
LOSSES = ("l1", "l1+hfen")               #: the reconstruction losses (tinysr.losses.get_loss)
HFEN_VARIANTS = ("released", "log")      #: the HFEN definitions (tinysr.losses)


class ConfigError(ValueError):
    """A config value outside what its field allows (the message names the field and the rule)."""


@dataclass(frozen=True)
class FieldSpec:
    """What a field allows. ``kind``: int, float, bool, str or tuple (then ``elem`` is the element type).
    ``min``/``max`` (with ``min_open``/``max_open`` for ``>``/``<``), ``finite``, ``even``, ``step`` (values
    are multiples of it), ``zero_ok`` (0 allowed besides ``min..max``: "0 = off"), ``choices`` (for a
    tuple: each element), ``length`` and ``increasing`` (tuples), ``note`` (appended to errors),
    ``log`` (spans decades: a log slider)."""

    kind: type
    min: float | None = None
    max: float | None = None
    min_open: bool = False
    max_open: bool = False
    finite: bool = False
    even: bool = False
    step: int = 1
    zero_ok: bool = False
    choices: tuple = ()
    elem: type | None = None
    length: int | None = None
    increasing: bool = False
    note: str = ""
    log: bool = False

    def allows(self, x: Any) -> bool:
        """Whether the scalar ``x`` (an element, for tuples) passes the bounds and choices."""
        if self.choices:
            return x in self.choices
        if self.zero_ok and x == 0:
            return True
        if self.finite and not math.isfinite(x):
            return False
        if self.min is not None and not (x > self.min if self.min_open else x >= self.min):
            return False
        if self.max is not None and not (x < self.max if self.max_open else x <= self.max):
            return False
        return not ((self.even and x % 2) or (self.step > 1 and x % self.step))

    def describe(self) -> str:
        """The rule in words, as it follows ``field=value`` in an error."""
        if self.kind is bool:
            return "must be true or false"
        if self.choices:
            any_of = "any of " if self.kind is tuple else ""
            return ": allowed values are " + any_of + ", ".join(repr(c) for c in self.choices)
        if self.kind is str:
            return "must be a non-empty string"
        noun = {int: "int", float: "number"}[self.elem or self.kind]
        if self.kind is tuple:
            count = f"{self.length} " if self.length else ("increasing " if self.increasing else "")
            noun = count + noun + "s"
        elif self.even:
            noun = "even " + noun
        lo, hi = f"{self.min:g}" if self.min is not None else "", f"{self.max:g}" if self.max is not None else ""
        if lo and hi:
            if (self.elem or self.kind) is int:
                where = f"in {lo}..{hi}"
            else:
                where = f"in {'(' if self.min_open else '['}{lo}, {hi}{')' if self.max_open else ']'}"
        else:
            where = f"{'>' if self.min_open else '>='} {lo}" if lo else ""
        if self.step > 1:
            where += f", a multiple of {self.step}"
        text = f"{'finite ' if self.finite else ''}{noun} {where}".strip()
        article = "" if self.kind is tuple else ("an " if text[0] in "aeiou" else "a ")
        if self.kind is float and not self.finite and self.min is not None and self.max is None:
            article, text = "", where            # "must be >= 0": a number is implied
        zero = "0 or " if self.zero_ok else ""
        return f"must be {zero}{article}{text}" + (f" {self.note}" if self.note else "")


def rule(default: Any, **spec: Any) -> Any:
    """A dataclass field with ``default`` whose allowed values are ``FieldSpec(**spec)``; the kind is the
    default's type (for an empty tuple pass ``elem=``)."""
    kind = type(default)
    if kind is tuple and "elem" not in spec:
        spec["elem"] = type(default[0])
    return field(default=default, metadata={"spec": FieldSpec(kind=kind, **spec)})


def spec_of(klass_or_obj: Any, name: str) -> FieldSpec:
    """The :class:`FieldSpec` declared for field ``name`` of a config dataclass."""
    for f in fields(klass_or_obj):
        if f.name == name:
            return f.metadata["spec"]
    raise KeyError(name)


def _coerce(value: Any, kind: type) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _is(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def check_value(where: str, value: Any, spec: FieldSpec) -> Any:
    """``value`` as declared (ints to float for float fields, lists to tuples) or :class:`ConfigError`."""
    bad = ConfigError(f"{where}={value!r}" + ("" if spec.describe()[0] == ":" else " ") + spec.describe())
    if spec.kind is tuple:
        if not isinstance(value, (tuple, list)):
            raise bad
        value = tuple(_coerce(v, spec.elem) for v in value)
        if (not all(_is(v, spec.elem) and spec.allows(v) for v in value)
                or (spec.length is not None and len(value) != spec.length)
                or (spec.increasing and any(a >= b for a, b in zip(value, value[1:])))
                or (spec.choices and (not value or len(set(value)) != len(value)))):
            raise bad
        return value
    value = _coerce(value, spec.kind)
    if not _is(value, spec.kind) or (spec.kind is str and not value.strip()):
        raise bad
    if spec.kind is not bool and (spec.kind is not str or spec.choices) and not spec.allows(value):
        raise bad
    return value


def check_section(obj: Any, prefix: str) -> None:
    """``__post_init__`` of a frozen section: check every field, storing coerced values."""
    for f in fields(obj):
        if "spec" in f.metadata:
            where = f"{prefix}.{f.name}" if prefix else f.name
            object.__setattr__(obj, f.name, check_value(where, getattr(obj, f.name), f.metadata["spec"]))


def get(cfg: Any, dotted: str) -> Any:
    """The value of ``"search.epochs"`` (or a top-level ``"seed"``) in ``cfg``."""
    for part in dotted.split("."):
        cfg = getattr(cfg, part)
    return cfg


@dataclass(frozen=True)
class Cross:
    """A rule between fields. ``ok(cfg)`` says whether it holds; ``message(cfg)`` the one-line error;
    ``narrow``: ``{dotted: fn(cfg, spec) -> spec}``, the spec of one field given the other values."""

    ok: Callable[[Any], bool]
    message: Callable[[Any], str]
    narrow: dict[str, Callable[[Any, FieldSpec], FieldSpec]] = dataclasses.field(default_factory=dict)

    def check(self, cfg: Any) -> None:
        if not self.ok(cfg):
            raise ConfigError(self.message(cfg))


def at_most(spec: FieldSpec, hi: float) -> FieldSpec:
    """``spec`` with its upper end lowered to ``hi`` (closed)."""
    if spec.max is not None and (spec.max < hi or (spec.max == hi and spec.max_open)):
        return spec
    return replace(spec, max=hi, max_open=False, zero_ok=spec.zero_ok and hi >= 0)


def at_least(spec: FieldSpec, lo: float) -> FieldSpec:
    """``spec`` with its lower end raised to ``lo`` (closed)."""
    if spec.min is not None and (spec.min > lo or (spec.min == lo and spec.min_open)):
        return spec
    return replace(spec, min=lo, min_open=False, zero_ok=spec.zero_ok and lo <= 0)


# -- the rules between fields of tinysr.config.Config ------------------------------------------
def _patch_rule(stage: str) -> Cross:
    def ok(c: Any) -> bool:
        p, s = get(c, f"{stage}.hr_patch"), c.data.scale
        return p % s == 0 and p // s >= ESA_MIN

    def message(c: Any) -> str:
        p, s = get(c, f"{stage}.hr_patch"), c.data.scale
        if p % s:
            return (f"{stage}.hr_patch={p} must be a multiple of data.scale={s} "
                    f"(e.g. --set {stage}.hr_patch={max(p // s, ESA_MIN) * s})")
        return (f"{stage}.hr_patch={p} at data.scale={s} gives {p // s}-pixel LR patches, below the ESA block's "
                f"minimum {ESA_MIN}: use {stage}.hr_patch >= {ESA_MIN * s}")

    def scales(c: Any, sp: FieldSpec) -> FieldSpec:
        p = get(c, f"{stage}.hr_patch")
        return replace(sp, choices=tuple(s for s in sp.choices if p % s == 0 and p // s >= ESA_MIN))

    return Cross(ok, message, {
        f"{stage}.hr_patch": lambda c, sp: replace(at_least(sp, ESA_MIN * c.data.scale), step=c.data.scale),
        "data.scale": scales})


def _budget(c: Any) -> int:
    return c.search.budget_params or c.search.budget_multi_adds


CROSS_RULES: tuple[Cross, ...] = (
    Cross(lambda c: c.search.warmup_epochs < c.search.epochs,
          lambda c: (f"search.warmup_epochs={c.search.warmup_epochs} must be < search.epochs={c.search.epochs}: "
                     "the search would take no architecture step"),
          {"search.warmup_epochs": lambda c, sp: at_most(sp, c.search.epochs - 1),
           "search.epochs": lambda c, sp: at_least(sp, c.search.warmup_epochs + 1)}),
    _patch_rule("search"),
    _patch_rule("train"),
    Cross(lambda c: not (c.search.budget_params and c.search.budget_multi_adds),
          lambda c: (f"search.budget_params={c.search.budget_params} and search.budget_multi_adds="
                     f"{c.search.budget_multi_adds} are both set: choose one budget (0 = none)"),
          {"search.budget_params": lambda c, sp: at_most(sp, 0) if c.search.budget_multi_adds else sp,
           "search.budget_multi_adds": lambda c, sp: at_most(sp, 0) if c.search.budget_params else sp}),
    Cross(lambda c: c.search.lambda_cost == 0 or bool(_budget(c)),
          lambda c: (f"search.lambda_cost={c.search.lambda_cost} needs a budget: set search.budget_params or "
                     "search.budget_multi_adds, or lambda_cost=0"),
          {"search.lambda_cost": lambda c, sp: sp if _budget(c) else at_most(sp, 0.0),
           "search.budget_params": lambda c, sp: (at_least(sp, 1) if c.search.lambda_cost
                                                  and not c.search.budget_multi_adds else sp),
           "search.budget_multi_adds": lambda c, sp: (at_least(sp, 1) if c.search.lambda_cost
                                                      and not c.search.budget_params else sp)}),
    Cross(lambda c: not c.search.single_path or (c.search.gumbel and c.search.gumbel_hard),
          lambda c: ("search.single_path=True computes only the sampled op, so it needs hard samples: set "
                     "search.gumbel=true and search.gumbel_hard=true, or single_path=false")),
)
