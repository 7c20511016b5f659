r"""A derived network with the supernet's own weights: the discretisation gap and one-shot estimates.

:func:`inherit_weights` builds the discrete :class:`~tinysr.model.DLSRNet` of a genotype at the
supernet's width and gives it the supernet's weights, with nothing trained again. The rule:

- head (``fea_conv``), every cell's distillation convs, ``refine``, ``fuse`` and ESA, the tail fusion, the
  tail conv and the upsampler: copied as they are (same names, same shapes);
- op position ``p`` of cell ``c``: the weights of the mixed op's candidate that the genotype chose,
  ``cells.c.ops.p.ops.<k>.op.* -> cells.c.ops.p.op.*`` with ``k`` the op's index in ``PRIMITIVES``;
- the fusion in front of cell ``B_j`` (j >= 3): the supernet's conv reads ``cat[B_1 .. B_{j-1}]``
  (``(j-1) C`` input channels); the derived one reads ``cat[B_a, B_b]`` for the kept predecessors
  ``(a, b)``, so it gets the input slices ``[(a-1) C, a C)`` and ``[(b-1) C, b C)`` of that weight, in the
  genotype's concat order, and the same bias.

``fold=False`` (the default, the usual discretisation): the architecture weights are dropped, as the
derived network has none -- each kept op and each kept predecessor enters with weight 1. ``fold=True``
keeps what the supernet applied: the chosen op's last (bias-free, linear) conv is scaled by its mixing
weight ``softmax(alpha / tau)_k`` and each kept slice by ``softmax(beta_j)_i``, so the network is the
supernet with the dropped candidates removed and nothing else changed. Either way the inherited network
equals the supernet exactly when alpha and beta put all their mass on the kept choices (``fold=False``:
one predecessor per fusion, the other's slice zero; ``fold=True``: any split over the kept pair); the
tests check both. Not inherited: the DARTS- auxiliary skip (``search.aux_skip``, 0 by default).

The **discretisation gap** of a search is PSNR(supernet) - PSNR(inherited derived network) on the same
images; the **one-shot estimate** of any genotype of the space is the PSNR of its inherited network.
"""
from __future__ import annotations

import re
from dataclasses import replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..genotype import Genotype
from ..model import DLSRNet
from ..ops import PRIMITIVES
from ..space import SuperNet

__all__ = ["inherit_weights"]

_OP = re.compile(r"cells\.(\d+)\.ops\.(\d)\.op\.(.+)")
_FUSION = re.compile(r"fusions\.(\d+)\.conv\.(weight|bias)")


def _last_conv_key(op: nn.Module) -> str:
    """Name (inside ``op.``) of the op's last conv weight: ``w * op(x)`` equals the op with it scaled."""
    last = [i for i, m in enumerate(op.op) if isinstance(m, nn.Conv2d)][-1]
    return f"{last}.weight"


@torch.no_grad()
def inherit_weights(supernet: SuperNet, genotype: Genotype | None = None, *, fold: bool = False) -> DLSRNet:
    """The discrete network of ``genotype`` (default: ``supernet.derive()``) at the supernet's width, with the
    supernet's weights by the rule of the module docstring; same device and dtype, eval mode, no bicubic
    skip. ``genotype`` must have the supernet's number of cells (its width is replaced by the supernet's)."""
    g = supernet.derive() if genotype is None else genotype
    if g.cells != supernet.n_cells:
        raise ValueError(f"genotype has {g.cells} cells but the supernet {supernet.n_cells}: a network inherits "
                         "weights only from a supernet of its depth")
    g = replace(g, channels=supernet.C)
    ref = next(supernet.parameters())
    net = DLSRNet(g, supernet.scale).to(device=ref.device, dtype=ref.dtype)
    src, C = supernet.state_dict(), supernet.C
    logits = supernet.alpha / supernet.alpha_tau
    op_w = F.softmax(logits, dim=-1)                          # (3, 9) or (cells, 3, 9)
    beta_p = supernet.beta_probs()
    out = {}
    for key in net.state_dict():
        if m := _OP.fullmatch(key):
            c, p, rest = int(m[1]), int(m[2]), m[3]
            k = PRIMITIVES.index(g.ops[p])
            value = src[f"cells.{c}.ops.{p}.ops.{k}.op.{rest}"]
            if fold and rest == _last_conv_key(net.cells[c].ops[p]):
                value = value * (op_w[c, p, k] if op_w.dim() == 3 else op_w[p, k])
        elif m := _FUSION.fullmatch(key):
            f, what = int(m[1]), m[2]
            value = src[key]
            if what == "weight":
                pieces = [value[:, (i - 1) * C:i * C] for i in g.inputs[f]]
                if fold:
                    pieces = [w * beta_p[f][i - 1] for w, i in zip(pieces, g.inputs[f])]
                value = torch.cat(pieces, dim=1)
        else:
            value = src[key]
        out[key] = value
    net.load_state_dict(out, strict=True)
    return net.eval()
