"""Run settings as frozen dataclasses, checked when made, and the presets ``smoke``, ``laptop``, ``gpu``, ``paper``.

A :class:`Config` (``name``, ``seed``, sections :class:`DataConfig`, :class:`SearchConfig`, :class:`TrainConfig`,
:class:`EvalConfig`) fully describes a run (saved as ``config.json``). Each field's allowed values are declared next to
it (:func:`tinysr.config.rules.rule`) and checked when made, with the rules between fields (:data:`CROSS_RULES`): a bad
``--set`` fails in one line before any data is read. Defaults = ``paper``, the released code (``tinysr presets``).
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from . import rules as vocab
from .overrides import ADDED_FIELDS, REMOVED_FIELDS, apply_overrides, sections_from_json
from .rules import CROSS_RULES, ConfigError, FieldSpec, check_section, rule, spec_of

__all__ = ["PRESETS", "DataConfig", "SearchConfig", "TrainConfig", "EvalConfig", "Config", "ConfigError",
           "FieldSpec", "CROSS_RULES", "field_spec", "field_names", "preset", "override", "default_preset_name"]

PRESETS = ("smoke", "laptop", "gpu", "paper")
BENCHMARKS, SWITCH = ("Set5", "Set14", "B100", "Urban100", "Manga109"), ("auto", "on", "off")


class _Checked:
    """``__post_init__`` of a section: check every declared field (:func:`tinysr.config.rules.check_section`)."""

    def __post_init__(self) -> None:
        check_section(self, self._where)
_POS = dict(min=0.0, min_open=True, finite=True)          # a finite number > 0
_NONNEG = dict(min=0.0, finite=True)                       # a finite number >= 0
_BETAS = dict(min=0.0, max=1.0, max_open=True, length=2)   # Adam betas: two numbers in [0, 1)
_PATCH = dict(min=2 * vocab.ESA_MIN, note=f"(a multiple of data.scale, hr_patch / data.scale >= {vocab.ESA_MIN})")


@dataclass(frozen=True)
class DataConfig(_Checked):
    """Training data. ``source``: ``"builtin"`` (photos shipped with scikit-image/scikit-learn/matplotlib) or a folder
    of HR images (e.g. DF2K_HR). ``arch_fraction``: share of the sorted folder images that feed architecture steps;
    ``arch_split``: ``"tail"`` (the released EDSR range rule ``1-3000/3000-3450``: weights on the first ``N - round(N *
    arch_fraction)`` names, architecture steps on the rest plus the last weight image) or ``"random"`` (seeded)."""

    _where = "data"

    source: str = rule("builtin", note="('builtin'; 'auto': DIV2K from the data root if found, else builtin; a folder)")
    scale: int = rule(2, choices=vocab.SCALES)
    arch_fraction: float = rule(450 / 3450, min=0.0, max=1.0, min_open=True, max_open=True)
    arch_split: str = rule("tail", choices=("tail", "random"))
    max_images: int = rule(0, min=0, note="(0 = all)")


@dataclass(frozen=True)
class SearchConfig(_Checked):
    """The supernet and the bilevel search. Architecture steps happen at 0-based epochs >= ``warmup_epochs``
    (released ``epoch > 20``: 21), ``arch_steps`` per iteration, each on a fresh arch batch (``arch_batch_size``
    0 = ``batch_size``); ``step_order="weight_first"`` is the released order (weight step, then the architecture
    step on the same train batch with the updated weights). The budget penalty (``lambda_cost``, in L1 units)
    needs ``budget_params`` or ``budget_multi_adds`` (at most one); ``derive="budget"`` then derives the most probable
    genotype meeting it (:mod:`tinysr.space.derive`). ``network_cost`` weighs the network-level distance term.
    ``tau_start``/``tau_end``: alpha's softmax temperature, annealed geometrically after warm-up (1/1 = off)."""

    _where = "search"

    channels: int = rule(48, min=4, max=256, even=True)
    cells: int = rule(6, min=3, max=12)
    per_cell_alpha: bool = rule(False)         # released: one alpha (3 x 9) shared by all cells
    fast: bool = rule(True)                    # fused mixed op, exactly the reference MixedOp's math
    channels_last: str = rule("auto", choices=SWITCH)
    compile: bool = rule(False)
    epochs: int = rule(1000, min=1)
    steps_per_epoch: int = rule(985, min=1)
    warmup_epochs: int = rule(21, min=0)
    batch_size: int = rule(64, min=1)
    arch_batch_size: int = rule(0, min=0, note="(0 = same as batch_size)")
    hr_patch: int = rule(64, **_PATCH)
    w_lr: float = rule(5e-4, log=True, **_POS)
    w_betas: tuple[float, float] = rule((0.9, 0.999), **_BETAS)
    w_weight_decay: float = rule(1e-8, **_NONNEG)
    w_milestones: tuple[int, ...] = rule((200, 400, 600), elem=int, min=1, increasing=True)
    w_gamma: float = rule(0.5, min=0.0, max=1.0, min_open=True)
    alpha_lr: float = rule(3e-4, log=True, **_POS)
    alpha_optim: str = rule("adam", choices=("adam", "sgd"), note="(sgd: momentum alpha_betas[0])")
    alpha_betas: tuple[float, float] = rule((0.5, 0.999), **_BETAS)
    alpha_weight_decay: float = rule(1e-8, **_NONNEG)
    arch_steps: int = rule(1, min=1)
    order: str = rule("first", choices=("first", "second"))
    objective: str = rule("train+val", choices=("train+val", "val"))
    step_order: str = rule("weight_first", choices=("weight_first", "arch_first"))
    loss: str = rule("l1+hfen", choices=vocab.LOSSES)
    hfen: str = rule("released", choices=vocab.HFEN_VARIANTS)
    grad_clip: float = rule(0.0, min=0.0, note="(0 turns clipping off)")
    budget_params: int = rule(0, min=0, note="(0 = no budget)")
    budget_multi_adds: int = rule(0, min=0, note="(0 = no budget)")
    lambda_cost: float = rule(0.0, note="(> 0 needs a budget)", **_NONNEG)
    network_cost: float = rule(0.0, **_NONNEG)
    budget_estimate: str = rule("derived", choices=("derived", "expected"))
    budget_mode: str = rule("max", choices=("max", "target"))
    derive: str = rule("budget", choices=("budget", "argmax"), note="(budget: the most probable genotype meeting it)")
    hvp: str = rule("exact", choices=("exact", "finite"))
    hvp_eps: float = rule(0.01, log=True, **_POS)
    virtual_step: str = rule("sgd", choices=("sgd", "adam"))
    aux_skip: float = rule(0.0, min=0.0, max=1.0)
    gumbel: bool = rule(False)
    gumbel_tau: float = rule(1.0, **_POS)
    gumbel_hard: bool = rule(False)            # with gumbel: one-hot samples, straight-through (GDAS)
    single_path: bool = rule(False)            # with gumbel_hard: compute only the sampled op (GDAS' forward)
    tau_start: float = rule(1.0, **_POS)
    tau_end: float = rule(1.0, **_POS)
    tau_hold: float = rule(0.0, min=0.0, max=0.9, note="(share of the post-warm-up epochs held at tau_end)")
    log_every: int = rule(0, min=0, note="(0 = once per epoch)")


@dataclass(frozen=True)
class TrainConfig(_Checked):
    """Retraining the derived network. ``channels``: 0 = the genotype's width. ``val``: ``"set5"`` (model picked on Set5
    if found, as released), ``"builtin"`` (the eval photos) or an HR folder. ``ema``: weights' EMA decay (0 = off)."""

    _where = "train"

    epochs: int = rule(1000, min=1)
    steps_per_epoch: int = rule(1941, min=1)
    batch_size: int = rule(32, min=1)
    hr_patch: int = rule(128, **_PATCH)
    w_lr: float = rule(3e-4, log=True, **_POS)
    w_betas: tuple[float, float] = rule((0.9, 0.999), **_BETAS)
    weight_decay: float = rule(1e-8, **_NONNEG)
    milestones: tuple[int, ...] = rule((200, 400, 600, 800), elem=int, min=1, increasing=True)
    gamma: float = rule(0.5, min=0.0, max=1.0, min_open=True)
    grad_clip: float = rule(50.0, min=0.0, note="(0 turns clipping off)")
    loss: str = rule("l1+hfen", choices=vocab.LOSSES)
    hfen: str = rule("released", choices=vocab.HFEN_VARIANTS)
    ema: float = rule(0.0, min=0.0, max=1.0, max_open=True)
    bicubic_skip: bool = rule(False)           # predict a residual over bicubic(LR); off for released genotypes
    hr_scales: tuple[float, ...] = rule((1.0,), min=0.1, max=1.0, note="(each photo also at these sizes; 1.0: itself)")
    channels: int = rule(0, min=4, max=256, even=True, zero_ok=True, note="(0 = the genotype's width)")
    val: str = rule("set5")
    val_images: int = rule(0, min=0, note="(0 = all)")
    channels_last: str = rule("auto", choices=SWITCH)
    compile: bool = rule(False)


@dataclass(frozen=True)
class EvalConfig(_Checked):
    """Benchmarks (``sets``) and inference (``tile``: LR tile size, 0 = whole image)."""

    _where = "eval"

    sets: tuple[str, ...] = rule(("Set5", "Set14", "B100"), choices=BENCHMARKS)
    tile: int = rule(0, min=0)


_SECTIONS = {"data": DataConfig, "search": SearchConfig, "train": TrainConfig, "eval": EvalConfig}


@dataclass(frozen=True)
class Config:
    """A whole run: one preset, possibly overridden field by field (checked again on every change)."""

    name: str = rule("paper")
    seed: int = rule(0, min=0)
    data: DataConfig = field(default_factory=DataConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

    def __post_init__(self) -> None:
        check_section(self, "")
        for key, klass in _SECTIONS.items():
            if not isinstance(getattr(self, key), klass):
                raise ConfigError(f"{key} must be a {klass.__name__}, got {type(getattr(self, key)).__name__}")
        for cross in CROSS_RULES:
            cross.check(self)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps(self.to_dict(), indent=2)
        if path is not None:
            Path(path).write_text(text + "\n")
        return text

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Config:
        kwargs, note = sections_from_json(d, _SECTIONS, _PRESET_FACTORIES, REMOVED_FIELDS, ADDED_FIELDS)
        if note:
            print(note, file=sys.stderr)
        return cls(**kwargs)

    @classmethod
    def from_json(cls, path: str | Path) -> Config:
        return cls.from_dict(json.loads(Path(path).read_text()))


def field_spec(dotted: str, cfg: Config | None = None) -> FieldSpec:
    """What field ``dotted`` (``"search.epochs"``, ``"seed"``) allows; with ``cfg``, narrowed by the
    :data:`CROSS_RULES` given cfg's other values (e.g. ``search.warmup_epochs`` at most ``epochs - 1``)."""
    section, _, name = dotted.rpartition(".")
    try:
        spec = spec_of(_SECTIONS[section] if section else Config, name)
    except KeyError:
        raise ConfigError(f"{dotted!r} is not a config field; valid names: {', '.join(field_names())}") from None
    for cross in CROSS_RULES if cfg is not None else ():
        if dotted in cross.narrow:
            spec = cross.narrow[dotted](cfg, spec)
    return spec


# -- presets -----------------------------------------------------------------------------------
def _small(name: str, search: dict[str, Any], train: dict[str, Any], sets: tuple[str, ...]) -> Config:
    """The CPU presets: the released recipe except L1 losses, the tinysr weight-step clip 5, no weight decay
    in retraining, a seeded 50/50 split, and model selection on the built-in eval photos."""
    return Config(name=name, data=DataConfig(arch_fraction=0.5, arch_split="random"),
                  search=SearchConfig(grad_clip=5.0, loss="l1", **search),
                  train=TrainConfig(loss="l1", weight_decay=0.0, val="builtin", **train), eval=EvalConfig(sets=sets))


def _smoke() -> Config:
    return _small("smoke", dict(channels=8, cells=4, epochs=2, steps_per_epoch=3, warmup_epochs=1, batch_size=2,
                                hr_patch=48, alpha_lr=0.05, w_milestones=(), log_every=1),
                  dict(epochs=2, steps_per_epoch=4, batch_size=2, hr_patch=48, w_lr=1e-3, milestones=(),
                       bicubic_skip=True, channels=8, val_images=2), ("Set5",))


# Laptop: 325 arch steps at alpha_lr 0.1, hard Gumbel single path, tau 1 -> 0.2 then held (30%), 100k at width 24.
_LAPTOP_SEARCH = dict(epochs=14, steps_per_epoch=25, warmup_epochs=1, batch_size=8, arch_batch_size=16, hr_patch=64,
                      w_lr=1e-3, alpha_lr=0.1, tau_end=0.2, tau_hold=0.3, budget_params=100_000, gumbel=True,
                      gumbel_hard=True, single_path=True, budget_estimate="expected", lambda_cost=5.0,
                      w_milestones=(), log_every=5)
_LAPTOP_TRAIN = dict(epochs=20, steps_per_epoch=85, batch_size=16, hr_patch=96, w_lr=3e-3, milestones=(14, 18),
                     bicubic_skip=True, channels=24, val_images=3, hr_scales=(1.0, 0.75, 0.5))


def _gpu() -> Config:
    """The laptop's method at the released size (single path, anneal + hold, bicubic skip), a 330k ceiling (DLSR:
    322,620); alpha_lr 0.1 * 325 / 900 ~ 0.04 (the laptop's logit travel over 900 architecture steps). ~4 + ~5
    min at the H200 step times (:mod:`tinysr.config.course_cost`); DIV2K when the data root has it, else built-in."""
    search = dict(_LAPTOP_SEARCH, channels=48, cells=6, epochs=10, steps_per_epoch=100, warmup_epochs=1,
                  batch_size=64, arch_batch_size=64, w_lr=5e-4, alpha_lr=0.04, budget_params=330_000, log_every=20)
    train = dict(_LAPTOP_TRAIN, steps_per_epoch=425, batch_size=32, hr_patch=128, w_lr=5e-4, channels=0, val_images=0,
                 hr_scales=(1.0,))
    cfg = _small("gpu", search, train, ("Set5", "Set14", "B100"))
    return replace(cfg, data=replace(cfg.data, source="auto"))


_PRESET_FACTORIES = {"smoke": _smoke, "gpu": _gpu, "paper": Config, "laptop": lambda: _small(
    "laptop", dict(_LAPTOP_SEARCH, channels=16, cells=4), _LAPTOP_TRAIN, ("Set5", "Set14", "B100"))}


def default_preset_name() -> str:
    """``TINYSR_PRESET`` if set, else ``gpu`` when CUDA or MPS is available, else ``laptop``."""
    name = os.environ.get("TINYSR_PRESET")
    if name:
        if name not in PRESETS:
            raise ConfigError(f"TINYSR_PRESET={name!r} is not a preset; choose one of {', '.join(PRESETS)}")
        return name
    import torch  # heavy; only needed to look for an accelerator

    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    return "gpu" if torch.cuda.is_available() or mps else "laptop"


def preset(name: str | Path | None = None, *, seed: int | None = None) -> Config:
    """The settings of preset ``name`` (``None``: :func:`default_preset_name`), or of a saved ``config.json``
    when ``name`` is a path. ``seed`` replaces the seed (named presets: 0)."""
    name = name or default_preset_name()
    if name in _PRESET_FACTORIES:
        cfg = _PRESET_FACTORIES[name]()
        cfg = replace(cfg, name=name) if cfg.name != name else cfg
    elif str(name).endswith(".json") or Path(name).exists():
        path = Path(name)
        if not path.is_file():
            raise FileNotFoundError(f"--preset {str(name)!r}: no such file (a preset is one of "
                                    f"{', '.join(PRESETS)} or a saved config.json)")
        try:
            cfg = Config.from_json(path)
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError, ValueError) as exc:
            raise ConfigError(f"{path} is not a tinysr config.json: {str(exc).splitlines()[0]}") from None
    else:
        raise ConfigError(f"unknown preset {str(name)!r}; choose one of {', '.join(PRESETS)} "
                          "or the path of a saved config.json")
    return cfg if seed is None else replace(cfg, seed=seed)


# -- overrides (`--set key=value`) -------------------------------------------------------------
def field_names(cfg: Config | None = None) -> list[str]:
    """All overridable names, dotted (``search.w_lr``), after the top-level ``name`` and ``seed``."""
    return ["name", "seed"] + [f"{s}.{f.name}" for s, klass in _SECTIONS.items() for f in fields(klass)]


def override(cfg: Config, assignments: list[str] | dict[str, Any]) -> Config:
    """``cfg`` with ``key=value`` overrides applied together (see :mod:`tinysr.config.overrides`). ``key`` is dotted
    (``train.w_lr``) or a bare field name unique across sections (``alpha_lr``); string values are parsed
    to the field's type. Unknown or ambiguous names, unparsable values and values a rule rejects raise
    :class:`ConfigError` (a ``ValueError``) naming the field."""
    return apply_overrides(cfg, assignments, field_names(), field_spec)
