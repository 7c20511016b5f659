"""The authors' released search supernet (``RFDN_beta1``) and tinysr's :class:`SuperNet`, key for key.

The released search script's supernet names its parameters after its module paths; tinysr's supernet
names them after its own. The map (``i`` cell 1..n, ``j`` position 1..3, ``k`` candidate op 0..8 in
``PRIMITIVES`` order)::

    released                              tinysr
    fea_conv.*                            fea_conv.*
    B{i}.c{j}_d.*                         cells.{i-1}.distill.{j-1}.*
    B{i}.c{j}_r.layers.{k}.op.*           cells.{i-1}.ops.{j-1}.ops.{k}.op.*
    B{i}.c4.* / B{i}.c5.* / B{i}.esa.*    cells.{i-1}.refine.* / .fuse.* / .esa.*
    c{m}.0.*  (m = 2..n-1)                fusions.{m-2}.conv.*     (the beta-weighted concat into B{m+1})
    c{n}.0.*                              tail_fusion.conv.*       (n*C -> C)
    LR_conv.* / upsampler.0.*             tail_conv.* / upsampler.0.*

Alpha and the betas are plain tensors in the released code, not in its state dict; set them with
``net.alpha.data.copy_(...)``. The fusion numbering is one lower than the released *discrete* network's
(``c3.0 .. c6.0`` fuse into B3..B6 there; ``cout.0`` is its tail), see :mod:`tinysr.model`.
"""
from __future__ import annotations

from collections.abc import Mapping

import torch

from ..cell import AUTHOR_KEYS, author_key

__all__ = ["released_name", "load_released", "to_released"]


def released_name(key: str, cells: int) -> str:
    """The released supernet's key for tinysr supernet key ``key`` (a SuperNet with ``cells`` cells)."""
    rules = AUTHOR_KEYS + [      # the supernet's own parts: nine candidates per position, fusions numbered from c2
        (r"cells\.(\d+)\.ops\.(\d)\.ops\.(\d)\.(.+)",
         lambda m: f"B{int(m[1]) + 1}.c{int(m[2]) + 1}_r.layers.{m[3]}.{m[4]}"),
        (r"fusions\.(\d+)\.conv\.(\w+)", lambda m: f"c{int(m[1]) + 2}.0.{m[2]}"),
        (r"tail_fusion\.conv\.(\w+)", lambda m: f"c{cells}.0.{m[1]}"),
    ]
    return author_key(key, rules, "the authors' released search supernet")


def _weight_keys(net) -> list[str]:
    arch = {id(p) for p in net.alphas()}
    named = dict(net.named_parameters())
    return [k for k in net.state_dict() if k not in named or id(named[k]) not in arch]


def to_released(net) -> dict[str, torch.Tensor]:
    """``net``'s weights under the released supernet's keys (the inverse of :func:`load_released`)."""
    state = net.state_dict()
    return {released_name(k, net.n_cells): state[k] for k in _weight_keys(net)}


def load_released(net, state_dict: Mapping[str, torch.Tensor]) -> None:
    """Copy a released supernet state dict into ``net`` (a tinysr SuperNet of the same width and depth).

    Raises ``ValueError`` naming the first missing key, unexpected key or shape mismatch, and what
    that usually means (another width or number of cells)."""
    state = dict(state_dict)
    state.pop("alpha", None)
    mapped: dict[str, torch.Tensor] = {}
    for key in _weight_keys(net):
        theirs = released_name(key, net.n_cells)
        if theirs not in state:
            raise ValueError(f"the released state dict has no {theirs!r} (tinysr {key!r}): is it a search "
                             f"supernet (RFDN_beta1) with {net.n_cells} cells? The discrete checkpoints load with "
                             "tinysr.model.load_official instead")
        value = state.pop(theirs)
        want = net.state_dict()[key].shape
        if tuple(value.shape) != tuple(want):
            width = state_dict["fea_conv.weight"].shape[0] if "fea_conv.weight" in state_dict else "?"
            raise ValueError(f"released {theirs!r} has shape {tuple(value.shape)}, tinysr {key!r} needs "
                             f"{tuple(want)}: build the SuperNet with the checkpoint's width "
                             f"(fea_conv has {width} channels)")
        mapped[key] = value
    if state:
        raise ValueError(f"unexpected key(s) in the released state dict: {sorted(state)[:3]} "
                         f"({len(state)} in all); is the number of cells right (now {net.n_cells})?")
    net.load_state_dict(mapped, strict=False)
