"""Network-wide speed switches: memory layout (``channels_last``) and ``torch.compile``.

Neither changes the function a network computes -- only how fast it runs (float32 results differ by
reassociation noise, ~1e-6 relative; ``tests/test_fast_mixed.py`` checks outputs and gradients). They
apply to any ``nn.Module`` whose forward takes an image batch first: the search :class:`SuperNet` and
the retrained :class:`~tinysr.model.DLSRNet` alike. How a training loop uses them::

    net = SuperNet.from_config(cfg).to(device)          # or DLSRNet(...)
    set_channels_last(net, use_channels_last(cfg.search.channels_last, device))
    maybe_compile(net, cfg.search.compile)               # in place: net(lr) runs the compiled forward

**channels_last** (NHWC): oneDNN's CPU convolutions -- depthwise and 1x1 above all, forward and
backward -- are several times faster on NHWC maps than on NCHW ones, and a network that is NHWC end to
end never pays the reorders that mixed layouts cost. :func:`set_channels_last` stores every 4-D
parameter in NHWC and converts each input batch on entry (a forward pre-hook); every map downstream
then stays NHWC (convolutions, element-wise ops and ``cat`` along channels keep the layout).
``"auto"`` turns it on for the CPU only, where it was measured to pay (1.5x on a DLSRNet retraining
step, ``benchmarks/train_step.py``); GPUs are left to a measurement there.

**compile**: ``torch.compile`` (Inductor) fuses element-wise ops into fewer passes over memory; the
convolutions stay oneDNN calls. On two CPU cores it did not pay (``benchmarks/results/train_step_cpu.json``,
one DLSRNet retraining step, batch 8, HR 128: eager NCHW 2.89 s, NHWC 1.94 s, NHWC + compile 3.27 s;
compiling took 190 s cold, 11 s from Inductor's cache), and a compiled backward computes every
gradient, so the search's architecture step -- which needs none of the weights' -- would do extra work.
Off by default; it needs a C++ compiler on the CPU.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..config import SWITCH

__all__ = ["use_channels_last", "set_channels_last", "is_channels_last", "maybe_compile", "apply_switches"]

_HOOK = "_tinysr_channels_last_hook"


def use_channels_last(setting: str | bool, device: torch.device | str) -> bool:
    """Resolve a ``channels_last`` setting: ``"on"``/``True``, ``"off"``/``False``, or ``"auto"`` (on
    for a CPU ``device``, off elsewhere)."""
    if isinstance(setting, bool):
        return setting
    if setting not in SWITCH:
        raise ValueError(f"channels_last={setting!r}: choose one of {SWITCH} (or a bool)")
    if setting == "auto":
        return torch.device(device).type == "cpu"
    return setting == "on"


def _to_nhwc(module: nn.Module, args: tuple) -> tuple:
    x, *rest = args
    if isinstance(x, torch.Tensor) and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    return (x, *rest)


def set_channels_last(net: nn.Module, enabled: bool = True) -> nn.Module:
    """Make ``net`` compute in NHWC (``enabled``) or back in NCHW; in place, idempotent, returns ``net``.

    On: every 4-D parameter (and buffer) is stored ``channels_last`` and a forward pre-hook converts the
    first argument of ``net(x, ...)`` when it is a 4-D tensor. Off: parameters contiguous again, hook
    removed. Values, parameter names and state dicts are unchanged (a state dict saved from one layout
    loads into the other). Call it before building the optimiser or after: parameters are converted in
    place (``.data``), so optimiser references stay valid."""
    fmt = torch.channels_last if enabled else torch.contiguous_format
    with torch.no_grad():
        for t in list(net.parameters()) + list(net.buffers()):
            if t.dim() == 4 and not t.is_contiguous(memory_format=fmt):
                t.data = t.data.contiguous(memory_format=fmt)
                if t.grad is not None:
                    t.grad = t.grad.contiguous(memory_format=fmt)
    handle = getattr(net, _HOOK, None)
    if enabled and handle is None:
        object.__setattr__(net, _HOOK, net.register_forward_pre_hook(_to_nhwc))
    elif not enabled and handle is not None:
        handle.remove()
        object.__delattr__(net, _HOOK)
    return net


def is_channels_last(net: nn.Module) -> bool:
    """Whether :func:`set_channels_last` turned ``net`` to NHWC."""
    return getattr(net, _HOOK, None) is not None


def maybe_compile(net: nn.Module, enabled: bool, **options) -> nn.Module:
    """Compile ``net``'s forward in place with ``torch.compile`` (``nn.Module.compile``) when ``enabled``;
    returns ``net`` (same parameters, same state dict keys -- unlike the ``torch.compile(net)`` wrapper,
    whose keys gain an ``_orig_mod.`` prefix). Compilation happens at the first call."""
    if enabled:
        net.compile(**options)
    return net


def apply_switches(net: nn.Module, channels_last: str, compile: bool, device: torch.device | str) -> nn.Module:
    """The two speed switches of a config section (``channels_last``: "auto"/"on"/"off", ``compile``) applied
    to ``net`` in place, for one process (NCHW and eager stay under torchrun, for the collectives)."""
    set_channels_last(net, use_channels_last(channels_last, device))
    return maybe_compile(net, compile)
