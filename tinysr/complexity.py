"""How big and how costly a network is: parameters, Multi-Adds at a 720p output, CPU/GPU latency.

**Multi-Adds convention (the paper's, thop's):** the multiply-accumulates of the convolutions only —
``out_pixels * C_out * (C_in / groups) * k_h * k_w`` per conv — with **no bias, no activations, no
elementwise ops** (residual adds, ESA's ``x * m``, sigmoid, pooling, bilinear/bicubic resizing and
PixelShuffle are free). It is measured for an output of 1280x720, i.e. an LR input of
``(ceil(720 / r), ceil(1280 / r))``: (360, 640) at x2, (240, 427) at x3 (1280 / 3 = 426.67 rounds *up*
to 427, so the output is 1281 px wide), (180, 320) at x4. Note: the paper's DLSR x3 figure, 30.53 G, is
what an LR width of 426 (rounding *down*) gives; tinysr's 427 gives 30.60 G (+0.24%).

thop is used only through :func:`multi_adds`, which (1) profiles a **deep copy in eval mode**: thop
registers ``total_ops``/``total_params`` buffers on every module and removes them only from modules it has
a rule for, so profiling the real model would leak those buffers into its ``state_dict``; (2) runs that
copy on the ``meta`` device (shapes only: no arithmetic, milliseconds for a 720p forward); (3) passes
``custom_ops`` that pin the convention above whatever the thop version: convs count
``y.numel() * C_in / groups * k_h * k_w`` (no bias term) and LeakyReLU/ReLU/Sigmoid/PixelShuffle/MaxPool
count 0. The tests cross-check it with ``torch.utils.flop_counter.FlopCounterMode`` (``flops / 2``).
"""
from __future__ import annotations

import copy
import math
import statistics
import time

import torch
import torch.nn as nn

from .config.rules import SCALES
from .runtime.devices import get_device

__all__ = ["OUTPUT_720P", "count_params", "lr_size_720p", "thop_macs", "multi_adds", "latency"]

OUTPUT_720P = (720, 1280)  # (H, W) of the output Multi-Adds and latency are quoted at


def count_params(model: nn.Module) -> int:
    """Number of scalars in all parameters of ``model`` (counted directly, not by thop)."""
    return sum(p.numel() for p in model.parameters())


def lr_size_720p(scale: int) -> tuple[int, int]:
    """LR input ``(H, W)`` whose x``scale`` output covers 1280x720: ``(ceil(720/r), ceil(1280/r))``."""
    return math.ceil(OUTPUT_720P[0] / scale), math.ceil(OUTPUT_720P[1] / scale)


def _conv_macs(m: nn.Conv2d, x: tuple[torch.Tensor, ...], y: torch.Tensor) -> None:
    """thop hook: MACs of a conv without its bias: ``out elements * C_in/groups * k_h * k_w``."""
    k = m.weight.shape[2] * m.weight.shape[3]
    m.total_ops += torch.DoubleTensor([y.numel() * (m.in_channels // m.groups) * k])


def _zero(m: nn.Module, x: tuple[torch.Tensor, ...], y: torch.Tensor) -> None:
    m.total_ops += torch.DoubleTensor([0.0])


_CUSTOM_OPS = {nn.Conv2d: _conv_macs, nn.LeakyReLU: _zero, nn.ReLU: _zero, nn.Sigmoid: _zero,
               nn.PixelShuffle: _zero, nn.MaxPool2d: _zero}


def thop_macs(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Conv MACs (paper convention) of one forward of ``model`` on an input of ``input_shape``, via thop on a
    deep copy in eval mode on the meta device. The real ``model`` is not touched."""
    from thop import profile  # local import: thop is slow to import and only needed here

    probe = copy.deepcopy(model).eval()
    try:
        probe = probe.to("meta")
        x = torch.empty(input_shape, device="meta")
        macs, _ = profile(probe, inputs=(x,), custom_ops=_CUSTOM_OPS, verbose=False)
    except (NotImplementedError, RuntimeError):  # an op without a meta kernel: count on a CPU copy instead
        probe = copy.deepcopy(model).eval().to("cpu")
        macs, _ = profile(probe, inputs=(torch.zeros(input_shape),), custom_ops=_CUSTOM_OPS, verbose=False)
    return int(round(macs))


def multi_adds(model: nn.Module, scale: int) -> int:
    """Multi-Adds (conv MACs, no bias) of ``model`` for a 1280x720 output at x``scale`` — the paper's
    complexity number (DLSR x2: 67,306,238,496 = 67.31 G). See the module docstring for the convention."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}; got {scale!r}")
    own = getattr(model, "scale", scale)
    if own != scale:
        raise ValueError(f"the model is a x{own} network but scale={scale} was asked; pass scale={own}")
    return thop_macs(model, (1, 3, *lr_size_720p(scale)))


@torch.no_grad()
def latency(model: nn.Module, scale: int, *, device: str | torch.device | None = None, repeats: int = 5) -> float:
    """Median seconds of one forward producing a 1280x720 output (LR input ``lr_size_720p(scale)``) on
    ``device`` (default: :func:`tinysr.runtime.devices.get_device`), after one warm-up, under ``torch.no_grad``.
    Runs on a deep copy, so the model's own device and mode are unchanged."""
    dev = get_device(device) if not isinstance(device, torch.device) else device
    probe = copy.deepcopy(model).eval().to(dev)
    x = torch.rand(1, 3, *lr_size_720p(scale), device=dev) * 255

    def sync() -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    probe(x)
    sync()
    times = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        probe(x)
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)

