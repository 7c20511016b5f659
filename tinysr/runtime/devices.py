"""Where tensors live: the run's device (:func:`get_device`) and the one move helper (:func:`to_device`).

The library owns device placement: every entry point that takes data (a search or training step, the
architect, ``evaluate``, ``super_resolve``, the study's estimates, the explorables, the assignments' checks)
accepts CPU tensors or numpy arrays and moves them to its model's device and dtype with :func:`to_device`,
so a notebook never needs ``.to(device)`` unless it teaches it. :func:`module_device` says where a model is.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .emulated_device import EMULATED, emulating

__all__ = ["get_device", "to_device", "module_device", "module_dtype", "is_host", "is_oom"]


def get_device(name: str | None = None) -> torch.device:
    """``name`` if given, else the first available of cuda, mps, cpu (``cpu:0``, the emulated GPU, under
    ``TINYSR_EMULATE_DEVICE=1``: docs/devices.md). A device that this machine or this torch build does not
    have is a ``ValueError`` saying which devices there are."""
    if name:
        try:
            dev = torch.device(name)
        except RuntimeError:
            raise ValueError(f"--device {name!r} is not a device name; use cpu, cuda, cuda:N or mps") from None
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"--device {name}: this torch build or machine has no CUDA GPU "
                             f"(torch {torch.__version__}); "
                             "use --device cpu, or install a CUDA build of torch on a machine with a GPU")
        if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"--device {name}: there are only {torch.cuda.device_count()} CUDA devices")
        if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise ValueError(f"--device {name}: MPS (Apple GPU) is not available here; use --device cpu")
        return dev
    if emulating():
        return EMULATED
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def to_device(x: Any, device: str | torch.device, dtype: torch.dtype | None = None) -> Any:
    """``x`` on ``device``: a tensor, a numpy array (made a tensor), or a tuple / list / dict of them (same
    container type back; other values unchanged). With ``dtype``, floating-point and ``uint8`` data (image
    values in [0, 255]) become that dtype; integer indices keep theirs."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x))
    if isinstance(x, torch.Tensor):
        cast = dtype is not None and (x.is_floating_point() or x.dtype == torch.uint8)
        return x.to(device=device, dtype=dtype if cast else None)
    if isinstance(x, (tuple, list)):
        return type(x)(to_device(v, device, dtype) for v in x)
    if isinstance(x, dict):
        return {k: to_device(v, device, dtype) for k, v in x.items()}
    return x


def is_host(where: torch.Tensor | torch.device | str) -> bool:
    """Whether a tensor (or device) is on the host CPU, where tinysr's CPU-only fast paths (fused inference, the
    phase-split mixed op) apply. The emulated GPU (``cpu:0``) is not the host: it takes the GPU's paths."""
    dev = where.device if isinstance(where, torch.Tensor) else torch.device(where)
    return dev == torch.device("cpu")


def module_device(module: torch.nn.Module) -> torch.device:
    """The device of ``module``'s first parameter (or buffer); CPU for a module without either."""
    for t in module.parameters():
        return t.device
    for t in module.buffers():
        return t.device
    return torch.device("cpu")


def module_dtype(module: torch.nn.Module) -> torch.dtype:
    """The dtype of ``module``'s first floating-point parameter (float32 without one)."""
    return next((p.dtype for p in module.parameters() if p.is_floating_point()), torch.float32)


def is_oom(exc: BaseException) -> bool:
    """Whether ``exc`` is an out-of-memory failure: CUDA's ``OutOfMemoryError``, Python's ``MemoryError`` or the
    CPU allocator's ``RuntimeError`` ("can't allocate memory" / "not enough memory")."""
    if isinstance(exc, (torch.OutOfMemoryError, MemoryError)):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and any(
        s in text for s in ("out of memory", "can't allocate memory", "cannot allocate memory", "not enough memory"))
