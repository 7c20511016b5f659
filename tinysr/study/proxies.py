"""Zero-cost proxies: scores of an untrained network that are hoped to rank networks as training would.

Each takes a freshly initialised network (seeded) and one batch, and costs one or two forward/backward passes:

- **grad_norm** (Abdelfattah et al. 2021, *Zero-Cost Proxies for Lightweight NAS*, ICLR): the sum over weight
  tensors of the Euclidean norm of the L1 loss's gradient at initialisation;
- **synflow** (Tanaka et al. 2020, *Pruning neural networks without any data by iteratively conserving synaptic
  flow*, NeurIPS; a NAS proxy in Abdelfattah et al. 2021): every weight replaced by its absolute value, an
  all-ones input, ``R = sum(network(ones))``, score ``sum |w * dR/dw|`` (float64: the products grow with depth);
  it needs no data;
- **naswot** (Mellor et al. 2021, *Neural Architecture Search without Training*, ICML): the binary code of each
  input -- which units of every activation are on (pre-activation > 0) -- and ``log |det K|`` with
  ``K[i, j] = units on in both + units off in both`` for inputs ``i, j`` of the batch: how differently the
  untrained network carves up different inputs.

Plus the two costs a search knows without any pass: parameter count and Multi-Adds. Within one budget the costs
vary by at most the window (+-15%), so a correlation *across* budgets (where bigger networks are better) flatters
every proxy; :func:`proxy_scores` is meant for networks of one budget.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..complexity import count_params, multi_adds
from ..genotype import Genotype
from ..model import DLSRNet
from ..runtime.devices import module_device, to_device

__all__ = ["PROXIES", "grad_norm", "synflow", "naswot", "proxy_scores"]

Batch = tuple[torch.Tensor, torch.Tensor]


def grad_norm(net: nn.Module, batch: Batch) -> float:
    """Sum over weight tensors of ``||dL1/dw||_2`` at ``net``'s current weights, on ``batch`` = (lr, hr) in [0, 255]."""
    lr, hr = to_device(batch, module_device(net))
    net.zero_grad(set_to_none=True)
    F.l1_loss(net(lr), hr).backward()
    total = sum(float(p.grad.norm()) for p in net.parameters() if p.grad is not None)
    net.zero_grad(set_to_none=True)
    return total


def synflow(net: nn.Module, batch: Batch) -> float:
    """``sum |w * dR/dw|`` with ``R = sum(|net|(ones))``, on a float64 copy of ``net`` (input size: the batch's)."""
    probe = copy.deepcopy(net).double().eval()
    with torch.no_grad():
        for p in probe.parameters():
            p.abs_()
    shape = (1, *batch[0].shape[1:])
    ones = torch.ones(shape, dtype=torch.float64, device=module_device(probe))
    probe(ones).sum().backward()
    with torch.no_grad():
        return float(sum((p * p.grad).abs().sum() for p in probe.parameters() if p.grad is not None))


def naswot(net: nn.Module, batch: Batch) -> float:
    """``log |det K|`` of the binary activation codes of the batch's inputs (module docstring); the activation
    units are those of every ``LeakyReLU``/``ReLU`` module and functional call captured by forward hooks on the
    modules that apply them."""
    codes: list[torch.Tensor] = []

    def hook(_module: nn.Module, inputs: tuple, _output: torch.Tensor) -> None:
        codes.append((inputs[0].detach() > 0).flatten(1).double())

    acts = [m for m in net.modules() if isinstance(m, (nn.LeakyReLU, nn.ReLU))]
    if not acts:
        raise ValueError("naswot needs activation modules (nn.ReLU / nn.LeakyReLU) to read the codes from")
    handles = [m.register_forward_hook(hook) for m in acts]
    try:
        with torch.no_grad():
            net.eval()
            net(to_device(batch[0], module_device(net)))
    finally:
        for h in handles:
            h.remove()
    c = torch.cat(codes, dim=1)
    k = c @ c.T + (1 - c) @ (1 - c).T
    return float(torch.linalg.slogdet(k)[1])


PROXIES: dict[str, Callable[[nn.Module, Batch], float]] = {"grad_norm": grad_norm, "synflow": synflow,
                                                            "naswot": naswot}


def proxy_scores(genotypes: Sequence[Genotype], batch: Batch, *, scale: int = 2, bicubic_skip: bool = True,
                 seed: int = 0, device: str | torch.device = "cpu") -> list[dict[str, float]]:
    """For each genotype (at its own width): params, Multi-Adds (720p output) and every proxy of :data:`PROXIES`,
    each on a network freshly initialised with ``seed`` (the same seed for all: differences come from the
    architecture). ``batch``: (lr, hr) float images in [0, 255], (N, 3, h, w) and (N, 3, s h, s w), N >= 2."""
    out = []
    for g in genotypes:
        row: dict[str, float] = {}
        for name, fn in PROXIES.items():
            torch.manual_seed(seed)
            net = DLSRNet(g, scale, bicubic_skip=bicubic_skip).to(device)
            row[name] = fn(net, batch)
        row["params"] = float(count_params(net))
        row["multi_adds"] = float(multi_adds(net.cpu(), scale))
        out.append(row)
    return out
