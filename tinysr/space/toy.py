"""A search problem with a planted answer, small enough to solve in a second: chapter 04's exercise, where the
student writes the alternating weight / architecture loop themselves.

One "mixed op" over four candidates ``o_k(x) = w_k * cos(k * x)`` (``k = 1..4``; one weight each), mixed as
the supernet mixes its ops: ``y_hat = sum_k softmax(alpha)_k * o_k(x)``. The data are ``y = 1.5 * cos(a * x)`` plus
noise, ``x`` uniform on ``[-pi, pi]``, where ``a`` is the planted answer. The four features are orthogonal on
that interval, so only the planted op can explain the data: a correct alternating loop (weight steps on the
train split, architecture steps on the validation split) moves ``softmax(alpha)`` onto it, from every seed.
The module has the supernet's interface (``weights()``, ``alphas()``, ``derive()``), so the same loop, written
here, is the one ``tinysr.search`` runs on the real supernet.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn

__all__ = ["TOY_OPS", "ToyMixture", "PlantedProblem", "planted_problem"]

TOY_OPS = ("cos x", "cos 2x", "cos 3x", "cos 4x")   #: the candidates, ``o_k(x) = w_k cos(k x)``


class ToyMixture(nn.Module):
    """``y_hat = sum_k softmax(alpha)_k * w_k * cos(k x)``: ``x`` and ``y_hat`` of shape ``(n,)``; weights
    ``w`` (4,) start at 0, ``alpha`` (4,) at 0 (uniform probabilities)."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(len(TOY_OPS)))
        self.alpha = nn.Parameter(torch.zeros(len(TOY_OPS)))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, 4)``: ``cos(k x)`` for ``k = 1..4``."""
        return torch.cos(x[:, None] * torch.arange(1, len(TOY_OPS) + 1, dtype=x.dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x) @ (torch.softmax(self.alpha, dim=0) * self.w)

    def weights(self) -> list[nn.Parameter]:
        """The operation weights (the lower level of the bilevel problem)."""
        return [self.w]

    def alphas(self) -> list[nn.Parameter]:
        """The architecture parameters (the upper level)."""
        return [self.alpha]

    def derive(self) -> str:
        """The chosen op: the argmax of ``alpha``."""
        return TOY_OPS[int(self.alpha.argmax())]


@dataclass
class PlantedProblem:
    """A fresh :class:`ToyMixture`, a train and a validation split (``(x, y)``, each ``(n,)`` float32) and the
    op that made the data."""

    net: ToyMixture
    train: tuple[torch.Tensor, torch.Tensor]
    val: tuple[torch.Tensor, torch.Tensor]
    answer: str


def planted_problem(seed: int, n: int = 256, noise: float = 0.3) -> PlantedProblem:
    """The problem drawn from ``seed``: which op is planted, and ``n`` noisy samples in each split."""
    g = torch.Generator().manual_seed(seed)
    k = int(torch.randint(len(TOY_OPS), (1,), generator=g))

    def split() -> tuple[torch.Tensor, torch.Tensor]:
        x = (torch.rand(n, generator=g) * 2 - 1) * math.pi
        return x, 1.5 * torch.cos((k + 1) * x) + noise * torch.randn(n, generator=g)
    return PlantedProblem(ToyMixture(), split(), split(), TOY_OPS[k])
