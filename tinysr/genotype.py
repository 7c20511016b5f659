"""A searched architecture as data: :class:`Genotype`, its JSON form, and the published genotypes.

A DLSR architecture has two levels (the DLSR paper, arXiv 2105.03939):

- **cell level** — ``ops``: the op chosen at each of the 3 positions of the distillation cell; the same
  3 ops are used in every cell (one alpha of shape (3, 9) shared by all cells);
- **network level** — ``inputs``: ``inputs[k]`` lists the 1-based predecessors of cell ``B_{k+3}``, in
  concat order. Cells B1 and B2 are fixed (B1 <- fea, B2 <- B1). The input of ``B_j`` is
  ``act(conv1x1(cat[B_i for i in inputs[j-3]]))``, a fusion ``len(inputs[j-3]) * C -> C``.

Derivation keeps the top-2 predecessors per cell, so searched and published genotypes have 2 per cell.
tinysr accepts **any non-empty set** of distinct earlier cells (1 .. j-1 for cell j): the fusion conv simply
gets ``len(inputs[k]) * C`` input channels. That allows hand-made variants (a plain chain ``[[2], [3], ...]``,
dense fusions) with no special case. The feature map ``fea`` is not a selectable input (index 0 is invalid).

JSON (``genotype.json``)::

    {"ops": ["conv_1x1", "sep_conv_7x7", "sep_conv_5x5"],
     "inputs": [[1, 2], [2, 3], [2, 4], [4, 5]], "channels": 48, "cells": 6}

``"scale"`` is written only when set (the scale a genotype was searched at; informational).
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config.rules import SCALES
from .ops import PRIMITIVES

__all__ = ["Genotype", "GENOTYPES", "get_genotype", "random_genotype"]

N_OPS = 3          # searched positions per cell
MAX_CHANNELS = 1024   # far beyond lightweight SR; a typo like 48000 would try to allocate tens of GB


@dataclass(frozen=True)
class Genotype:
    """A discrete DLSR architecture. Lists are accepted and stored as tuples; invalid values raise
    ``ValueError`` naming the field, the value seen and what is allowed (see :meth:`validate`)."""

    ops: tuple[str, ...]
    inputs: tuple[tuple[int, ...], ...]
    channels: int = 48
    cells: int = 6
    scale: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.ops, (list, tuple)):
            object.__setattr__(self, "ops", tuple(self.ops))
        if isinstance(self.inputs, (list, tuple)):
            object.__setattr__(self, "inputs", tuple(
                tuple(row) if isinstance(row, (list, tuple)) else row for row in self.inputs))
        self.validate()

    def validate(self) -> None:
        """Check every field; raise ``ValueError`` on the first problem."""
        _check_int("channels", self.channels, "an even int >= 4")
        if self.channels < 4 or self.channels % 2 or self.channels > MAX_CHANNELS:
            raise ValueError(f"Genotype.channels={self.channels!r}: must be an even int in 4..{MAX_CHANNELS} "
                             "(C/2 distilled channels; ESA uses C//4)")
        _check_int("cells", self.cells, "an int >= 2")
        if self.cells < 2:
            raise ValueError(f"Genotype.cells={self.cells!r}: must be an int >= 2 (B1 <- fea, B2 <- B1 are fixed)")
        if self.scale is not None:
            _check_int("scale", self.scale, f"None or {SCALES}")
            if self.scale not in SCALES:
                raise ValueError(f"Genotype.scale={self.scale!r}: allowed values are None or {SCALES}")
        if not isinstance(self.ops, tuple) or len(self.ops) != N_OPS:
            raise ValueError(f"Genotype.ops={self.ops!r}: must list exactly {N_OPS} op names "
                             f"(one per cell position) from {', '.join(PRIMITIVES)}")
        for pos, name in enumerate(self.ops):
            if name not in PRIMITIVES:
                raise ValueError(f"Genotype.ops[{pos}]={name!r} is not an op; allowed values: {', '.join(PRIMITIVES)}")
        if not isinstance(self.inputs, tuple) or len(self.inputs) != self.cells - 2:
            raise ValueError(f"Genotype.inputs={self.inputs!r}: must have cells - 2 = {self.cells - 2} entries "
                             "(one list of predecessors per cell B3..Bn)")
        for k, row in enumerate(self.inputs):
            j = k + 3
            allowed = f"distinct ints in 1..{j - 1} (cells before B{j}), at least one"
            if not isinstance(row, tuple) or not row:
                shown = list(row) if isinstance(row, tuple) else row
                raise ValueError(f"Genotype.inputs[{k}]={shown!r} (inputs of B{j}): must be a non-empty list of "
                                 f"{allowed}")
            for i in row:
                _check_int(f"inputs[{k}]", i, allowed)
                if not 1 <= i <= j - 1:
                    why = "itself" if i == j else ("a later cell" if i > j else "not a cell (1-based)")
                    raise ValueError(f"Genotype.inputs[{k}]={list(row)} (inputs of B{j}): {i} is {why}; "
                                     f"allowed values: {allowed}")
            if len(set(row)) != len(row):
                raise ValueError(f"Genotype.inputs[{k}]={list(row)} (inputs of B{j}) has a duplicate; "
                                 f"allowed values: {allowed}")

    # -- (de)serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (lists, ints, strs); ``scale`` only when set."""
        d: dict[str, Any] = {"ops": list(self.ops), "inputs": [list(r) for r in self.inputs],
                             "channels": self.channels, "cells": self.cells}
        if self.scale is not None:
            d["scale"] = self.scale
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Genotype:
        if not isinstance(d, dict):
            raise ValueError("a genotype must be a JSON object with keys ops, inputs, channels, cells; got "
                             f"{type(d).__name__}")
        known = {"ops", "inputs", "channels", "cells", "scale"}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown genotype field(s) {sorted(unknown)}; allowed fields: {sorted(known)}")
        missing = {"ops", "inputs"} - set(d)
        if missing:
            raise ValueError(f"genotype is missing field(s) {sorted(missing)} (required: ops, inputs)")
        return cls(**d)

    def to_json(self, path: str | Path | None = None) -> str:
        """The JSON text (one line); also written to ``path`` when given."""
        text = json.dumps(self.to_dict())
        if path is not None:
            Path(path).write_text(text + "\n")
        return text

    @classmethod
    def from_json(cls, source: str | Path) -> Genotype:
        """From JSON text (a string starting with ``{``) or from a file path."""
        if isinstance(source, str) and source.lstrip().startswith("{"):
            text, where = source, "genotype JSON text"
        else:
            path = Path(source)
            if not path.is_file():
                raise FileNotFoundError(f"genotype file {path} does not exist; give a genotype.json path or one of "
                                        f"the names {', '.join(GENOTYPES)}")
            text, where = path.read_text(), str(path)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where} is not valid JSON: {exc}") from None
        return cls.from_dict(data)


def _check_int(field: str, value: Any, allowed: str = "an int") -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"Genotype.{field}: {value!r} is a {type(value).__name__}, not an int; allowed values: "
                         f"{allowed}")


_DLSR_OPS = ("conv_1x1", "sep_conv_7x7", "sep_conv_5x5")
_DLSR_INPUTS = ((1, 2), (2, 3), (2, 4), (4, 5))

#: The published models (released x2 checkpoints), exactly as in docs/paper.md's table.
GENOTYPES: dict[str, Genotype] = {
    "dlsr": Genotype(_DLSR_OPS, _DLSR_INPUTS, channels=48, cells=6),
    "dlsr_para": Genotype(("sep_conv_3x3", "sep_conv_5x5", "sep_conv_5x5"),
                          ((2, 1), (3, 2), (4, 3), (1, 3)), channels=48, cells=6),
    "dlsr_tiny": Genotype(_DLSR_OPS, _DLSR_INPUTS, channels=18, cells=6),
}


def random_genotype(rng: random.Random | int, channels: int = 48, cells: int = 6,
                    scale: int | None = None) -> Genotype:
    """A genotype drawn uniformly from the searched space: each of the 3 ops uniformly from the 9
    candidates, and for each cell ``B_j`` (j = 3..cells) a uniformly random pair of distinct predecessors
    from ``1..j-1``, in ascending concat order (as :meth:`SuperNet.derive` writes them). ``rng`` is a
    ``random.Random`` or a seed; the same seed gives the same genotype."""
    rng = rng if isinstance(rng, random.Random) else random.Random(rng)
    ops = tuple(rng.choice(PRIMITIVES) for _ in range(N_OPS))
    inputs = tuple(tuple(sorted(rng.sample(range(1, j), 2))) for j in range(3, cells + 1))
    return Genotype(ops, inputs, channels=channels, cells=cells, scale=scale)


def get_genotype(name_or_path: str | Path | Genotype) -> Genotype:
    """A :class:`Genotype` from a published name (``"dlsr"``, ``"dlsr_para"``, ``"dlsr_tiny"``), a
    ``genotype.json`` path, JSON text, or a Genotype (returned as is)."""
    if isinstance(name_or_path, Genotype):
        return name_or_path
    if isinstance(name_or_path, str) and name_or_path in GENOTYPES:
        return GENOTYPES[name_or_path]
    text = str(name_or_path)
    if text.lstrip().startswith("{") or Path(text).is_file():
        return Genotype.from_json(text if text.lstrip().startswith("{") else Path(text))
    raise ValueError(f"unknown genotype {text!r}: not a published name ({', '.join(GENOTYPES)}) and no such file; "
                     "a path to a genotype.json (as written by `tinysr search`) also works")
