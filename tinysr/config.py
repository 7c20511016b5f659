"""Run settings as frozen dataclasses, and the three presets ``smoke``, ``laptop``, ``paper``.

Every entry point (library function, CLI subcommand, notebook widget) takes a :class:`Config` and a seed,
so a run is fully described by ``config.json`` in its output folder. Settings are grouped by stage:

- :class:`DataConfig`   where the photos come from, the scale, how the bilevel split is made;
- :class:`SearchConfig` the supernet and the bilevel (DARTS-style) search;
- :class:`TrainConfig`  retraining the derived network from scratch;
- :class:`EvalConfig`   benchmark sets and inference settings.

Presets (see ``../shared/docs/DESIGN.md``):

- ``smoke``  seconds; tests and nbval: tiny widths, a few steps, small patches;
- ``laptop`` the whole pipeline in <= 15 min on 2 CPU cores on the built-in photos;
- ``paper``  the released DLSR code's hyperparameters on DIV2K/DF2K, for a GPU.

``default_preset_name()`` reads ``TINYSR_PRESET``; unset, it is ``paper`` with a GPU and ``laptop`` without.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PRESETS = ("smoke", "laptop", "paper")


@dataclass(frozen=True)
class DataConfig:
    """Training data. ``source`` is ``"builtin"`` (photos shipped with scikit-image/scikit-learn/matplotlib)
    or a folder of HR images (e.g. DIV2K_train_HR)."""

    source: str = "builtin"
    scale: int = 2
    arch_fraction: float = 0.5   # share of the training photos that feed architecture steps
    max_images: int = 0          # 0 = all; caps the photos read from a folder (quick experiments)
    num_workers: int = 0


@dataclass(frozen=True)
class SearchConfig:
    """The supernet and the bilevel search (released code: width 48, 6 cells, first order)."""

    channels: int = 48
    cells: int = 6
    per_cell_alpha: bool = False         # paper: one alpha (3 x 9) shared by all cells
    fast: bool = True                    # exact fast mixed op (same math as the reference MixedOp)
    epochs: int = 1000
    steps_per_epoch: int = 985
    warmup_epochs: int = 20
    batch_size: int = 64
    hr_patch: int = 64
    w_lr: float = 5e-4
    w_betas: tuple[float, float] = (0.9, 0.999)
    w_weight_decay: float = 1e-8
    w_milestones: tuple[int, ...] = (200, 400, 600)
    w_gamma: float = 0.5
    alpha_lr: float = 3e-4
    alpha_betas: tuple[float, float] = (0.5, 0.999)
    alpha_weight_decay: float = 1e-8
    order: str = "first"                 # "first" (released) or "second" (DARTS unrolled)
    objective: str = "train+val"         # "train+val" (released) or "val" (classic DARTS)
    lambda_cost: float = 1.0
    cost_kind: str = "params"            # "params" or "multi_adds"
    grad_clip: float = 5.0
    loss: str = "l1"                     # "l1" or "l1+hfen" (released: L1 + 0.2 HFEN)
    aux_skip: float = 0.0                # DARTS- auxiliary skip weight at start (0 = off), decays to 0
    gumbel: bool = False                 # Gumbel-softmax sampling of the mixed-op weights
    gumbel_tau: float = 1.0
    log_every: int = 0                   # record history every N steps too (0 = once per epoch)


@dataclass(frozen=True)
class TrainConfig:
    """Retraining the derived network (released: Adam 3e-4, batch 32, HR patch 128, clip 50)."""

    epochs: int = 1000
    steps_per_epoch: int = 1941
    batch_size: int = 32
    hr_patch: int = 128
    w_lr: float = 3e-4
    w_betas: tuple[float, float] = (0.9, 0.999)
    milestones: tuple[int, ...] = (200, 400, 600, 800)
    gamma: float = 0.5
    grad_clip: float = 50.0
    loss: str = "l1"
    ema: float = 0.0                     # EMA decay of the weights (0 = off), e.g. 0.999
    bicubic_skip: bool = False           # predict a residual over bicubic(LR); off for released genotypes
    channels: int = 0                    # 0 = the genotype's own width
    val_images: int = 0                  # 0 = all eval photos for per-epoch validation


@dataclass(frozen=True)
class EvalConfig:
    """Benchmarks and inference."""

    sets: tuple[str, ...] = ("Set5", "Set14", "B100")
    scales: tuple[int, ...] = (2,)
    tile: int = 0                        # 0 = whole image when memory allows; else LR tile size


@dataclass(frozen=True)
class Config:
    """A whole run: one preset, possibly overridden field by field."""

    name: str = "paper"
    seed: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

    # -- (de)serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps(self.to_dict(), indent=2)
        if path is not None:
            Path(path).write_text(text + "\n")
        return text

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Config":
        sections = {f.name: f.type for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in d.items():
            if key not in sections:
                raise ValueError(f"unknown config key {key!r}; valid keys: {sorted(sections)}")
            if key in _SECTIONS:
                kwargs[key] = _build_section(_SECTIONS[key], value, key)
            else:
                kwargs[key] = value
        return cls(**kwargs)

    @classmethod
    def from_json(cls, path: str | Path) -> "Config":
        return cls.from_dict(json.loads(Path(path).read_text()))


_SECTIONS = {"data": DataConfig, "search": SearchConfig, "train": TrainConfig, "eval": EvalConfig}


def _build_section(klass: type, values: dict[str, Any], where: str) -> Any:
    names = {f.name: f for f in fields(klass)}
    kwargs = {}
    for key, value in values.items():
        if key not in names:
            raise ValueError(f"unknown field {where}.{key}; valid fields: {sorted(names)}")
        default = getattr(klass(), key)
        kwargs[key] = tuple(value) if isinstance(default, tuple) else value
    return klass(**kwargs)


# -- presets -----------------------------------------------------------------------------------
def _smoke() -> Config:
    return Config(
        name="smoke",
        data=DataConfig(source="builtin", scale=2),
        search=SearchConfig(channels=8, cells=4, epochs=2, steps_per_epoch=3, warmup_epochs=1,
                            batch_size=2, hr_patch=48, w_milestones=(), log_every=1),
        train=TrainConfig(epochs=2, steps_per_epoch=4, batch_size=2, hr_patch=48, w_lr=1e-3,
                          milestones=(), bicubic_skip=True, channels=8, val_images=2),
        eval=EvalConfig(sets=("Set5",), scales=(2,)),
    )


def _laptop() -> Config:
    return Config(
        name="laptop",
        data=DataConfig(source="builtin", scale=2),
        search=SearchConfig(channels=16, cells=4, epochs=6, steps_per_epoch=25, warmup_epochs=2,
                            batch_size=8, hr_patch=64, w_lr=1e-3, alpha_lr=3e-3,
                            w_milestones=(), log_every=5),
        train=TrainConfig(epochs=20, steps_per_epoch=55, batch_size=16, hr_patch=96, w_lr=1e-3,
                          milestones=(14, 18), bicubic_skip=True, channels=24, val_images=3),
        eval=EvalConfig(sets=("Set5", "Set14", "B100"), scales=(2,)),
    )


def _paper() -> Config:
    return Config(name="paper")


_PRESET_FACTORIES = {"smoke": _smoke, "laptop": _laptop, "paper": _paper}


def default_preset_name() -> str:
    """``TINYSR_PRESET`` if set, else ``paper`` when a CUDA GPU is present, else ``laptop``."""
    name = os.environ.get("TINYSR_PRESET")
    if name:
        if name not in PRESETS:
            raise ValueError(f"TINYSR_PRESET={name!r} is not a preset; choose one of {PRESETS}")
        return name
    import torch

    return "paper" if torch.cuda.is_available() else "laptop"


def preset(name: str | None = None, *, seed: int = 0) -> Config:
    """Return the settings of preset ``name`` (``None``: :func:`default_preset_name`)."""
    name = name or default_preset_name()
    if name not in _PRESET_FACTORIES:
        raise ValueError(f"unknown preset {name!r}; choose one of {PRESETS}")
    return replace(_PRESET_FACTORIES[name](), seed=seed)


# -- overrides (`--set key=value`) -------------------------------------------------------------
def _parse_value(text: str, default: Any, key: str) -> Any:
    kind = type(default)
    try:
        if isinstance(default, bool):
            low = text.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError("expected true/false")
        if isinstance(default, tuple):
            parts = [p for p in text.replace("(", "").replace(")", "").split(",") if p.strip()]
            elem = type(default[0]) if default else _guess_type(parts)
            return tuple(elem(p.strip()) for p in parts)
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        return kind(text)
    except ValueError as exc:
        raise ValueError(f"bad value {text!r} for {key} (a {kind.__name__}, now {default!r}): {exc}") from None


def _guess_type(parts: list[str]) -> type:
    return int if all(p.strip().lstrip("-").isdigit() for p in parts) else float


def field_names(cfg: Config) -> list[str]:
    """All overridable names, dotted (``search.w_lr``), plus top-level ``seed`` and ``name``."""
    out = ["name", "seed"]
    for section in _SECTIONS:
        out += [f"{section}.{f.name}" for f in fields(getattr(cfg, section))]
    return out


def override(cfg: Config, assignments: list[str] | dict[str, Any]) -> Config:
    """Apply ``key=value`` overrides. ``key`` is dotted (``train.w_lr``) or a bare field name that is
    unique across sections (``alpha_lr``). Values are parsed to the field's type; unknown names and
    unparsable values raise ``ValueError`` listing the valid names."""
    items = assignments.items() if isinstance(assignments, dict) else [_split(a) for a in assignments]
    valid = field_names(cfg)
    for key, value in items:
        matches = [n for n in valid if n == key or n.split(".")[-1] == key]
        if len(matches) > 1:
            raise ValueError(f"--set {key}: {key!r} is ambiguous, it matches {' and '.join(matches)}; "
                             "use the dotted name")
        if not matches:
            raise ValueError(f"--set {key}: {key!r} is not a config field; valid names: {', '.join(valid)}")
        full = matches[0]
        if "." in full:
            section, name = full.split(".")
            sub = getattr(cfg, section)
            default = getattr(sub, name)
            new = _parse_value(value, default, full) if isinstance(value, str) else value
            cfg = replace(cfg, **{section: replace(sub, **{name: new})})
        else:
            default = getattr(cfg, full)
            new = _parse_value(value, default, full) if isinstance(value, str) else value
            cfg = replace(cfg, **{full: new})
    return cfg


def _split(assignment: str) -> tuple[str, str]:
    if "=" not in assignment:
        raise ValueError(f"--set expects key=value, got {assignment!r} (e.g. --set search.w_lr=1e-3)")
    key, value = assignment.split("=", 1)
    return key.strip(), value
