"""The DLSR supernet: both search levels in one network, and ``derive()`` to a discrete genotype.

Cell level: every :class:`SearchCell` is a :class:`~tinysr.cell.DistillationCell` whose 3 op positions
are mixed ops; ``alpha`` (3, 9) — one row per position — is **shared by all cells** (the paper), or
(cells, 3, 9) with ``per_cell_alpha=True``.

Network level: ``fea = conv3x3(3 -> C)(lr)``; B1 <- fea, B2 <- B1; for cell j = 3..n a vector
``beta_j`` over B1..B(j-1) (lengths 2, 3, ..., n-1) and the input of Bj is::

    act(conv1x1(cat[softmax(beta_j)_1 * B1, ..., softmax(beta_j)_{j-1} * B(j-1)]))

Tail (as the discrete net): ``act(conv1x1(cat[B1..Bn]))``, conv3x3, ``+ fea``, conv3x3 + PixelShuffle.
Input (N, 3, h, w) float RGB in [0, 255] with h, w >= 15 (ESA); output (N, 3, s h, s w).

``weights()`` / ``alphas()`` are disjoint and cover every parameter: the weight optimiser is built from
the first and the architecture optimiser from the second (DARTS' controller pattern).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..cell import DistillationCell, Fusion, make_upsampler
from ..genotype import Genotype
from ..ops import PRIMITIVES
from .fast import FastMixedOp
from .mixed import MixedOp
from .released import load_released as _load_released

__all__ = ["SearchCell", "SuperNet"]


class SearchCell(DistillationCell):
    """A distillation cell whose 3 positions are mixed ops (reference ``MixedOp`` or ``FastMixedOp``).
    ``forward(x, op_weights)`` with ``op_weights`` (3, 9)."""

    def __init__(self, C: int, fast: bool = False) -> None:
        Mixed = FastMixedOp if fast else MixedOp
        super().__init__(C, [Mixed(C) for _ in range(3)])


class SuperNet(nn.Module):
    """Cell- and network-level supernet. See the module docstring for the equations.

    Args:
        C: width (48 in the paper). cells: number of cells n (6). scale: 2, 3 or 4.
        per_cell_alpha: one alpha per cell instead of one shared alpha.
        fast: use ``FastMixedOp`` (same function, fused convolutions).
        gumbel: sample mixing weights with Gumbel-softmax (temperature ``tau``) while training.
        hard: with ``gumbel``, use the sample's one-hot argmax in the forward and the soft sample's gradient
            (straight-through, as GDAS): each forward trains one op per position, so an op's weights are
            trained to work *alone* rather than as one part of a blend of nine.
        single_path: with ``hard``, compute only the sampled op of each position while training (GDAS'
            forward, :func:`tinysr.space.mixed.sampled_op`): the same output, about a ninth of the mixed op's
            work, and alpha's gradient through the sampled op alone.
    """

    def __init__(self, C: int = 48, cells: int = 6, scale: int = 2, *, per_cell_alpha: bool = False,
                 fast: bool = False, gumbel: bool = False, tau: float = 1.0, hard: bool = False,
                 single_path: bool = False) -> None:
        super().__init__()
        if cells < 3:
            raise ValueError(f"a SuperNet needs at least 3 cells (network-level choices start at B3); got {cells}")
        self.C, self.n_cells, self.scale = C, cells, scale
        self.per_cell_alpha, self.gumbel, self.tau, self.hard = per_cell_alpha, gumbel, tau, hard
        self.single_path = single_path
        self.alpha_tau = 1.0          # softmax temperature of alpha in the forward (search.tau_start/tau_end)
        self._noise: torch.Tensor | None = None
        #: where the Gumbel noise comes from: a generator of the search's own (on alpha's device), so that the
        #: noise neither takes from nor is disturbed by torch's global generator; None: the global one
        self.noise_gen: torch.Generator | None = None
        self.fea_conv = nn.Conv2d(3, C, 3, padding=1)
        self.cells = nn.ModuleList(SearchCell(C, fast) for _ in range(cells))
        self.fusions = nn.ModuleList(Fusion(j - 1, C) for j in range(3, cells + 1))
        self.tail_fusion = Fusion(cells, C)
        self.tail_conv = nn.Conv2d(C, C, 3, padding=1)
        self.upsampler = make_upsampler(C, scale)
        shape = (cells, 3, len(PRIMITIVES)) if per_cell_alpha else (3, len(PRIMITIVES))
        self.alpha = nn.Parameter(1e-3 * torch.randn(shape))
        self.betas = nn.ParameterList(nn.Parameter(1e-3 * torch.randn(j - 1)) for j in range(3, cells + 1))

    @classmethod
    def from_config(cls, cfg) -> SuperNet:
        """Build from a :class:`tinysr.config.Config` (its ``search`` and ``data.scale``)."""
        s = cfg.search
        return cls(s.channels, s.cells, cfg.data.scale, per_cell_alpha=s.per_cell_alpha, fast=s.fast,
                   gumbel=s.gumbel, tau=s.gumbel_tau, hard=s.gumbel_hard, single_path=s.single_path)

    # -- parameter groups ------------------------------------------------------------------------
    def alphas(self) -> list[nn.Parameter]:
        """Architecture parameters: ``alpha`` and every ``beta_j``."""
        return [self.alpha, *self.betas]

    def weights(self) -> list[nn.Parameter]:
        """Every other parameter (convolutions)."""
        arch = {id(p) for p in self.alphas()}
        return [p for p in self.parameters() if id(p) not in arch]

    # -- relaxed choices -------------------------------------------------------------------------
    def alpha_probs(self) -> torch.Tensor:
        """``softmax(alpha)`` over the 9 ops: (3, 9), or (cells, 3, 9) per cell."""
        return F.softmax(self.alpha, dim=-1)

    def beta_probs(self) -> list[torch.Tensor]:
        """``softmax(beta_j)`` for j = 3..n: tensors of lengths 2..n-1."""
        return [F.softmax(b, dim=-1) for b in self.betas]

    def _op_weights(self) -> torch.Tensor:
        logits = self.alpha / self.alpha_tau if self.alpha_tau != 1.0 else self.alpha
        if self.gumbel and self.training:
            noise = self._noise if self._noise is not None else _gumbel_noise(self.alpha, self.noise_gen)
            soft = F.softmax((logits + noise) / self.tau, dim=-1)
            if not self.hard:
                return soft
            hard = F.one_hot(soft.argmax(dim=-1), soft.shape[-1]).to(soft.dtype)
            return hard - soft.detach() + soft              # value one-hot, gradient the soft sample's
        return F.softmax(logits, dim=-1)

    @contextmanager
    def frozen_noise(self) -> Iterator[None]:
        """With Gumbel sampling, draw one noise sample and use it for every forward inside the block
        (an architecture step's virtual and perturbed forwards see the same relaxed architecture)."""
        if not (self.gumbel and self.training):
            yield
            return
        self._noise = _gumbel_noise(self.alpha, self.noise_gen)
        try:
            yield
        finally:
            self._noise = None

    def load_released(self, state_dict: Mapping[str, torch.Tensor]) -> SuperNet:
        """Load a state dict of the authors' released search supernet (``RFDN_beta1`` keys, see
        :mod:`tinysr.space.released`), with shape checks; returns ``self``."""
        _load_released(self, state_dict)
        return self

    def set_aux_skip(self, weight: float) -> None:
        """Weight of the DARTS- auxiliary skip added to every mixed op (0 = off)."""
        for cell in self.cells:
            for op in cell.ops:
                op.aux = float(weight)

    def forward(self, lr: torch.Tensor) -> torch.Tensor:
        w = self._op_weights()
        picks = None                        # single path: the sampled op of each position, one host sync
        if self.single_path and self.gumbel and self.hard and self.training:
            picks = w.detach().argmax(dim=-1).tolist()
        for j, cell in enumerate(self.cells):
            row = None if picks is None else picks[j] if self.per_cell_alpha else picks
            for i, op in enumerate(cell.ops):
                op.sampled = None if row is None else row[i]
        fea = self.fea_conv(lr)
        outs: list[torch.Tensor] = []
        for j, cell in enumerate(self.cells, start=1):
            if j == 1:
                x = fea
            elif j == 2:
                x = outs[0]
            else:
                p = F.softmax(self.betas[j - 3], dim=-1)
                x = self.fusions[j - 3]([p[i] * outs[i] for i in range(j - 1)])
            outs.append(cell(x, w[j - 1] if self.per_cell_alpha else w))
        body = self.tail_conv(self.tail_fusion(outs)) + fea
        return self.upsampler(body)

    # -- discretisation --------------------------------------------------------------------------
    def derive(self) -> Genotype:
        """The discrete genotype: the argmax op per position (per-cell alphas: argmax of the mean
        softmax over cells, since a genotype shares its ops) and the top-2 predecessors of every cell
        j >= 3, listed in ascending cell order. Ties go to the lower index (first op / earlier cell)."""
        with torch.no_grad():
            # softmax preserves order, so shared alphas and betas are ranked on the logits themselves
            # (float32 probabilities can tie where logits do not)
            scores = self.alpha_probs().mean(dim=0) if self.per_cell_alpha else self.alpha
            ops = tuple(PRIMITIVES[_argmax_first(row)] for row in scores)
            inputs = tuple(tuple(sorted(i + 1 for i in _top2_first(b))) for b in self.betas)
        return Genotype(ops=ops, inputs=inputs, channels=self.C, cells=self.n_cells, scale=self.scale)


def _gumbel_noise(like: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard Gumbel noise of ``like``'s shape: ``-log(Exp(1))``, drawn from ``generator`` (None: torch's
    global generator). The generator must live on ``like``'s device."""
    return -torch.empty_like(like).exponential_(generator=generator).log()


def _argmax_first(values: torch.Tensor) -> int:
    """Index of the largest value; the lowest index on ties (deterministic on every device)."""
    vals = values.tolist()
    return max(range(len(vals)), key=lambda i: (vals[i], -i))


def _top2_first(values: torch.Tensor) -> list[int]:
    vals = values.tolist()
    return sorted(range(len(vals)), key=lambda i: (-vals[i], i))[:2]
