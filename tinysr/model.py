"""The discrete DLSR network (:class:`DLSRNet`), the authors' checkpoints (:func:`load_official`) and
tinysr's own ``model.pt`` (:func:`save_model` / :func:`load_model`).

Network (docs/paper.md), ``n = genotype.cells``, width ``C = genotype.channels``, act = LeakyReLU(0.05)::

    fea  = fea_conv(x)                                        # 3x3, 3 -> C, on raw RGB in [0, 255]
    B1   = cell_1(fea);  B2 = cell_2(B1)                      # fixed
    B_j  = cell_j(act(conv1x1(cat[B_i for i in inputs[j-3]])))   # j = 3..n, concat order = genotype's
    body = tail_conv(act(conv1x1(cat[B1..Bn]))) + fea         # nC -> C, then 3x3 C -> C, global residual
    out  = PixelShuffle_r(conv3x3(body))                      # C -> 3 r^2 -> (N, 3, rH, rW)
    (+ bicubic(x) if bicubic_skip)                            # tinysr option for short CPU runs

Official key mapping (authors' name -> tinysr name; ``i`` = cell number, ``k`` = position 1..3):

==========================  ==============================
``fea_conv.*``              ``fea_conv.*``
``B{i}.c{k}_d.*``           ``cells.{i-1}.distill.{k-1}.*``
``B{i}.c{k}_r.op.{idx}.*``  ``cells.{i-1}.ops.{k-1}.op.{idx}.*``
``B{i}.c4.*``               ``cells.{i-1}.refine.*``
``B{i}.c5.*``               ``cells.{i-1}.fuse.*``
``B{i}.esa.*``              ``cells.{i-1}.esa.*``
``c{j}.0.*`` (j = 3..n)     ``fusions.{j-3}.conv.*``
``cout.0.*``                ``tail_fusion.conv.*``
``LR_conv.*``               ``tail_conv.*``
``upsampler.0.*``           ``upsampler.0.*``
==========================  ==============================

The weights fix the channels, the ops and *how many* predecessors each cell fuses, but not *which*: a
checkpoint loaded with a genotype that differs only in ``inputs`` loads without error (and gives poor SR).
"""
from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from .cell import AUTHOR_KEYS, DistillationCell, Fusion, author_key, check_esa_size, make_upsampler
from .config.rules import SCALES
from .data.paths import OFFICIAL_FILES, find_official_file
from .genotype import GENOTYPES, Genotype, get_genotype
from .ops import OPS
from .utils import atomic_save, safe_load

__all__ = ["DLSRNet", "OFFICIAL_FILES", "find_official", "official_name", "describe_official", "load_official",
           "save_model", "load_model"]


class DLSRNet(nn.Module):
    """A derived DLSR network. ``genotype``: a :class:`Genotype`, a published name or a genotype.json path.

    ``forward``: ``(N, 3, H, W)`` float RGB in [0, 255] -> ``(N, 3, rH, rW)`` in about [0, 255] (not
    clamped), ``H, W >= 15`` (ESA). ``bicubic_skip`` adds a bicubic upsampling of the input to the output
    (a residual-learning shortcut for short CPU runs; off for the released genotypes and weights).
    """

    def __init__(self, genotype: Genotype | str | Path, scale: int = 2, *, bicubic_skip: bool = False) -> None:
        super().__init__()
        g = get_genotype(genotype)
        C = g.channels
        self.genotype, self.scale, self.bicubic_skip = g, scale, bool(bicubic_skip)
        self.fea_conv = nn.Conv2d(3, C, 3, padding=1)
        self.cells = nn.ModuleList(DistillationCell(C, [OPS[name](C) for name in g.ops]) for _ in range(g.cells))
        self.fusions = nn.ModuleList(Fusion(len(row), C) for row in g.inputs)
        self.tail_fusion = Fusion(g.cells, C)
        self.tail_conv = nn.Conv2d(C, C, 3, padding=1)
        self.upsampler = make_upsampler(C, scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"DLSRNet expects (N, 3, H, W) RGB in [0, 255]; got shape {tuple(x.shape)}")
        h, w = x.shape[-2:]
        check_esa_size(h, w, "LR input", self.scale)
        fea = self.fea_conv(x)
        outs: list[torch.Tensor] = []
        for j, cell in enumerate(self.cells, start=1):
            if j == 1:
                inp = fea
            elif j == 2:
                inp = outs[0]
            else:
                inp = self.fusions[j - 3]([outs[i - 1] for i in self.genotype.inputs[j - 3]])
            outs.append(cell(inp))
        out = self.upsampler(self.tail_conv(self.tail_fusion(outs)) + fea)
        if self.bicubic_skip:
            out = out + F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False, antialias=True)
        return out

    @classmethod
    def from_x2(cls, model_x2: DLSRNet, scale: int) -> DLSRNet:
        """A new network of ``scale`` with every weight of ``model_x2`` but the upsampler (freshly initialised):
        the released recipe for x3/x4 (fine-tune from the x2 model). Same device and dtype, train mode."""
        new = cls(model_x2.genotype, scale, bicubic_skip=model_x2.bicubic_skip)
        ref = next(model_x2.parameters())
        new.to(device=ref.device, dtype=ref.dtype)
        body = {k: v for k, v in model_x2.state_dict().items() if not k.startswith("upsampler.")}
        missing, unexpected = new.load_state_dict(body, strict=False)
        assert not unexpected and all(k.startswith("upsampler.") for k in missing), (missing, unexpected)
        return new


# -- official checkpoints --------------------------------------------------------------------------
def find_official(name: str = "dlsr") -> Path | None:
    """The authors' released checkpoint of genotype ``name`` (``dlsr``, ``dlsr_para``, ``dlsr_tiny``) if it
    is on this machine, else ``None``: ``<root>/official/<file>`` in the first data root that has it
    (the one rule of :mod:`tinysr.data.paths`: ``$TINYSR_DATA``, ``./datasets``, ``$TINYSR_SHARED/data``)."""
    return find_official_file(name)


_TO_OFFICIAL = AUTHOR_KEYS + [  # the discrete network's own parts; see the table in the module docstring
    (r"cells\.(\d+)\.ops\.(\d)\.(.+)", lambda m: f"B{int(m[1]) + 1}.c{int(m[2]) + 1}_r.{m[3]}"),
    (r"fusions\.(\d+)\.conv\.(\w+)", lambda m: f"c{int(m[1]) + 3}.0.{m[2]}"),
    (r"tail_fusion\.conv\.(\w+)", lambda m: f"cout.0.{m[1]}"),
]


def official_name(key: str) -> str:
    """The authors' state-dict key of tinysr parameter ``key`` (``cells.0.ops.1.op.1.weight`` ->
    ``B1.c2_r.op.1.weight``)."""
    return author_key(key, _TO_OFFICIAL, "the authors' released network")


def describe_official(state_dict: dict[str, torch.Tensor]) -> dict[str, Any]:
    """What an official state dict says about its architecture: channels, ops, cells, fusion widths, scale."""
    C = int(state_dict["fea_conv.weight"].shape[0]) if "fea_conv.weight" in state_dict else None
    cells = len({k.split(".")[0] for k in state_dict if re.match(r"B\d+\.", k)})
    ops = []
    for k in (1, 2, 3):
        idx = {int(key.split(".")[3]): v.shape for key, v in state_dict.items() if key.startswith(f"B1.c{k}_r.op.")}
        ks = int(idx[min(idx)][-1]) if idx else 0
        ops.append("?" if not idx else f"conv_{ks}x{ks}" if 0 in idx else
                   f"sep_conv_{ks}x{ks}" if 4 in idx else f"dil_conv_{ks}x{ks}")
    widths = [int(state_dict[f"c{j}.0.weight"].shape[1]) // C if C and f"c{j}.0.weight" in state_dict else None
              for j in range(3, cells + 1)]
    up = state_dict.get("upsampler.0.weight")
    scale = math.isqrt(int(up.shape[0]) // 3) if up is not None else None
    return {"channels": C, "ops": tuple(ops), "cells": cells, "inputs_per_cell": widths, "scale": scale}


def _suggestion(info: dict[str, Any]) -> str:
    names = [n for n, g in GENOTYPES.items() if g.channels == info["channels"] and g.ops == info["ops"]
             and g.cells == info["cells"] and [len(r) for r in g.inputs] == info["inputs_per_cell"]]
    if names:
        return f"This checkpoint matches genotype {names[0]!r}: pass genotype={names[0]!r} (--genotype {names[0]})."
    return (f"This checkpoint has channels={info['channels']}, ops={list(info['ops'])}, cells={info['cells']}, "
            f"predecessors per cell B3..={info['inputs_per_cell']}; pass a genotype.json with these values "
            f"(published names: {', '.join(GENOTYPES)}).")


def load_official(path: str | Path, genotype: str | Path | Genotype = "dlsr") -> DLSRNet:
    """Load an authors' checkpoint (``{"epoch", "state_dict", "optimizer"}``, or a bare state dict, with an
    optional ``module.`` prefix) into a :class:`DLSRNet` of ``genotype``, in eval mode. The scale is read
    from ``upsampler.0.weight``. Every key and shape is checked; on a mismatch ``ValueError`` names the first
    offending key, the expected and found shapes, and the genotype that fits the file."""
    raw = safe_load(path)
    sd = raw["state_dict"] if isinstance(raw, dict) and "state_dict" in raw else raw
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        keys = list(raw)[:5] if isinstance(raw, dict) else type(raw)
        raise ValueError(f"{path} holds no state dict of tensors (keys: {keys})")
    sd = {k[len("module."):] if k.startswith("module.") else k: v for k, v in sd.items()}
    g = get_genotype(genotype)
    info = describe_official(sd)
    gname = genotype if isinstance(genotype, str) else "given"
    where = (f"official checkpoint {Path(path).name} does not fit genotype {gname!r} (channels {g.channels}, "
             f"ops {list(g.ops)})")
    if info["scale"] not in SCALES:
        raise ValueError(f"{where}: upsampler.0.weight is missing or not 3*r^2 x C x 3 x 3 for r in {SCALES}. "
                         f"{_suggestion(info)}")
    model = DLSRNet(g, info["scale"])
    expected = {official_name(k): (k, v.shape) for k, v in model.state_dict().items()}
    mapped = {}
    for key, value in sd.items():
        if key not in expected:
            raise ValueError(f"{where}: key {key} (shape {tuple(value.shape)}) in the file has no place in this "
                             f"network. {_suggestion(info)}")
        name, shape = expected[key]
        if value.shape != shape:
            raise ValueError(f"{where}: key {key} (tinysr {name}) expected shape {tuple(shape)}, found "
                             f"{tuple(value.shape)} in the file. {_suggestion(info)}")
        mapped[name] = value
    missing = [k for k in expected if k not in sd]
    if missing:
        raise ValueError(f"{where}: key {missing[0]} (shape {tuple(expected[missing[0]][1])}) is missing from the "
                         f"file ({len(missing)} missing in all). {_suggestion(info)}")
    model.load_state_dict(mapped, strict=True)
    return model.eval()


# -- tinysr's own checkpoint -----------------------------------------------------------------------
def save_model(model: DLSRNet, path: str | Path, *, config: Any = None, extra: dict[str, Any] | None = None) -> None:
    """Write ``model.pt`` atomically: ``{"state_dict", "genotype" (dict), "scale", "bicubic_skip", "config"
    (dict or None), "extra"}`` — plain types and tensors only, so it loads with ``weights_only=True``.
    ``config`` may be a :class:`tinysr.config.Config` (saved as its ``to_dict()``) or a dict."""
    if config is not None and hasattr(config, "to_dict"):
        config = config.to_dict()
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    atomic_save({"state_dict": state, "genotype": model.genotype.to_dict(), "scale": int(model.scale),
                 "bicubic_skip": bool(model.bicubic_skip), "config": copy.deepcopy(config),
                 "extra": copy.deepcopy(extra)}, path)


def load_model(path: str | Path) -> tuple[DLSRNet, int]:
    """Read a ``model.pt`` written by :func:`save_model`; return ``(model in eval mode, scale)``."""
    ckpt = safe_load(path)
    need = ("state_dict", "genotype", "scale")
    if not isinstance(ckpt, dict) or any(k not in ckpt for k in need):
        have = sorted(ckpt) if isinstance(ckpt, dict) else type(ckpt).__name__
        raise ValueError(f"{path} is not a tinysr model.pt (needs keys {need}; found {have}). The authors' released "
                         "checkpoints load by name (`--pretrained NAME`, tinysr.deploy.pretrained) or with "
                         "tinysr.load_official(path, genotype)")
    model = DLSRNet(Genotype.from_dict(ckpt["genotype"]), int(ckpt["scale"]),
                    bicubic_skip=bool(ckpt.get("bicubic_skip", False)))
    try:
        model.load_state_dict(ckpt["state_dict"], strict=True)
    except RuntimeError as exc:
        raise ValueError(f"{path}: weights do not fit the genotype stored with them: {exc}") from None
    return model.eval(), int(ckpt["scale"])
