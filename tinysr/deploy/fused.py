r"""A faster, exact CPU forward of a :class:`~tinysr.model.DLSRNet` for inference (no autograd).

:func:`fused_forward` computes the function of ``DLSRNet.forward`` -- same parameters, float32 -- with
fewer passes over memory. ``(1, 3, h, w)`` float in [0, 255] -> ``(1, 3, rh, rw)``. Every rewrite is exact
algebra; only the order of floating-point additions changes (outputs differ by ~1e-3 on the 0..255
scale, far below one grey level; ``tests/test_inference.py`` bounds it):

1. **Layout**: activations in ``channels_last`` (NHWC), where oneDNN's 1x1 and depthwise convolutions
   are several times faster than in NCHW.
2. **Activations folded into convolutions**: each LeakyReLU / ReLU / sigmoid that follows a convolution
   runs as a oneDNN post-op inside it (``torch.ops.mkldnn._convolution_pointwise``): no extra read and
   write of a full-resolution map.
3. **Residuals folded**: a searched plain ``k x k`` convolution plus its identity shortcut is one
   convolution with kernel ``W + I`` (1 added to the centre tap of channel ``c -> c``), followed by its
   LeakyReLU as a post-op: ``act(conv(x, W) + x) = act(conv(x, W + I))``. The other residual adds
   (separable ops, tail ``+ fea``, ESA's ``up + conv_f``) are oneDNN binary post-ops.
4. **No concatenations**: a 1x1 convolution of ``cat[x_1..x_k]`` (each cell's ``fuse``, every ``Fusion``) is
   ``sum_i conv(x_i, W_i)`` with ``W_i`` the matching slice of input channels, accumulated in place into
   one output by oneDNN (a channels_last concatenation copies 96-byte pieces and was the slowest op).
5. **In place** where an input is dead (the LeakyReLU after a binary add, ESA's ``x * m``).
6. **Heap kept** (glibc only, during the call): every full-resolution map of a 360x640 input is a
   44 MB block, which glibc maps fresh from the OS and page-faults in on each allocation (~2.2 million
   page faults per forward, half the CPU time); :func:`kept_heap` lets malloc reuse freed blocks, and
   gives the memory back to the OS afterwards. Values are not affected.

Nothing is folded that would add multiply-adds (a depthwise + pointwise pair stays two convolutions).
:func:`can_fuse` says whether a model qualifies (a ``DLSRNet`` of the known ops, float32, on a CPU with
oneDNN); :func:`tinysr.deploy.inference.super_resolve` falls back to the module's own forward otherwise.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import platform
import threading
from collections.abc import Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..cell import ESA, NEG_SLOPE, DistillationCell, Fusion, check_esa_size
from ..model import DLSRNet
from ..ops import Conv, DilConv, SepConv
from ..runtime.devices import is_host

__all__ = ["can_fuse", "fused_forward", "kept_heap"]

_CL = torch.channels_last
_LEAKY = ("leaky_relu", [NEG_SLOPE])
_NONE: tuple[str, list[float]] = ("none", [])


def _pointwise_op():
    ops = getattr(torch.ops, "mkldnn", None)
    try:
        return ops._convolution_pointwise if ops is not None and torch.backends.mkldnn.is_available() else None
    except (AttributeError, RuntimeError):
        return None


def can_fuse(model: nn.Module, x: torch.Tensor) -> bool:
    """True if :func:`fused_forward` applies: a plain ``DLSRNet`` (cells of ``Conv``/``SepConv``/``DilConv``
    ops, no hooks), float32 parameters and input on the CPU, and oneDNN's fused convolution available."""
    if type(model) is not DLSRNet or not is_host(x) or x.dtype != torch.float32 or _pointwise_op() is None:
        return False
    if any(not is_host(p) or p.dtype != torch.float32 for p in model.parameters()):
        return False
    if any(m._forward_hooks or m._forward_pre_hooks for m in model.modules()):
        return False
    return all(type(op) in (Conv, SepConv, DilConv) for cell in model.cells for op in cell.ops) and \
        all(type(c) is DistillationCell and type(c.esa) is ESA for c in model.cells)


def _conv(x: torch.Tensor, conv: nn.Conv2d, post: tuple[str, list[float]] = _NONE,
          weight: torch.Tensor | None = None) -> torch.Tensor:
    """``post(conv(x))`` in one oneDNN call (``post`` = ("none" | "relu" | "sigmoid" | "leaky_relu", scalars))."""
    w = conv.weight if weight is None else weight
    return _pointwise_op()(x, w.contiguous(memory_format=_CL), conv.bias, list(conv.padding), list(conv.stride),
                           list(conv.dilation), conv.groups, post[0], post[1], "")


def _conv_add(x: torch.Tensor, other: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    """``conv(x) + other`` in one oneDNN call (``other`` channels_last, the output's shape)."""
    return _pointwise_op().binary(x, other.contiguous(memory_format=_CL), conv.weight.contiguous(memory_format=_CL),
                                  conv.bias, list(conv.padding), list(conv.stride), list(conv.dilation),
                                  conv.groups, "add", None, None, [], "")


def _plus_identity(conv: nn.Conv2d) -> torch.Tensor:
    """The kernel of ``conv(x) + x`` for a ``C -> C`` "same" convolution: ``W`` with 1 added at the centre
    tap of each channel onto itself."""
    w = conv.weight.detach().clone()
    k = w.shape[-1] // 2
    w[:, :, k, k] += torch.eye(w.shape[0], dtype=w.dtype, device=w.device)
    return w


def _op_residual(op: nn.Module, x: torch.Tensor, w_plus_i: torch.Tensor | None) -> torch.Tensor:
    """``act(op(x) + x)``, the update of one op position of a cell."""
    if isinstance(op, Conv):
        return _conv(x, op.op[0], _LEAKY, weight=w_plus_i)
    layers = op.op
    y = torch.relu(x)
    if isinstance(op, SepConv):            # ReLU, dw, pw, ReLU, dw, pw
        y = _conv(_conv(y, layers[1]), layers[2], ("relu", []))
        y = _conv_add(_conv(y, layers[4]), x, layers[5])
    else:                                  # DilConv: ReLU, dw (dilated), pw
        y = _conv_add(_conv(y, layers[1]), x, layers[2])
    return F.leaky_relu_(y, NEG_SLOPE)


def _esa(esa: ESA, x: torch.Tensor) -> torch.Tensor:
    check_esa_size(x.shape[-2], x.shape[-1])
    c1_ = _conv(x, esa.conv1)
    c1 = F.max_pool2d(_conv(c1_, esa.conv2), kernel_size=7, stride=3)
    c3 = _conv(_conv(_conv(c1, esa.conv_max, ("relu", [])), esa.conv3, ("relu", [])), esa.conv3_)
    up = F.interpolate(c3, size=x.shape[-2:], mode="bilinear", align_corners=False)
    m = _conv(_conv_add(c1_, up, esa.conv_f), esa.conv4, ("sigmoid", []))
    return m.mul_(x)


def _concat_conv(xs: list[torch.Tensor], conv: nn.Conv2d) -> torch.Tensor:
    """``conv(cat(xs, dim=1))`` for a 1x1 ``conv``, without the concatenation: a 1x1 convolution of a
    concatenation is the sum of 1x1 convolutions of the parts with the matching input-channel slices of
    the kernel, accumulated in place into one output (oneDNN's in-place binary add)."""
    w, start = conv.weight, 0
    out = None
    for x in xs:
        part = w[:, start:start + x.shape[1]].contiguous(memory_format=_CL)
        start += x.shape[1]
        if out is None:
            out = _pointwise_op()(x, part, conv.bias, [0, 0], [1, 1], [1, 1], 1, "none", [], "")
        else:
            torch.ops.mkldnn._convolution_pointwise_.binary(out, x, part, None, [0, 0], [1, 1], [1, 1], 1, "add",
                                                           None, None, [], "")
    if start != w.shape[1]:
        raise ValueError(f"the maps have {start} channels in all; the 1x1 convolution expects {w.shape[1]}")
    return out


def _cell(cell: DistillationCell, x: torch.Tensor, kernels: list[torch.Tensor | None]) -> torch.Tensor:
    distilled = []
    for distill, op, w in zip(cell.distill, cell.ops, kernels):
        distilled.append(_conv(x, distill, _LEAKY))
        x = _op_residual(op, x, w)
    distilled.append(_conv(x, cell.refine, _LEAKY))
    return _esa(cell.esa, _concat_conv(distilled, cell.fuse))


def _fusion(fusion: Fusion, xs: list[torch.Tensor]) -> torch.Tensor:
    if len(xs) != fusion.k:
        raise ValueError(f"this Fusion concatenates {fusion.k} maps; got {len(xs)}")
    return F.leaky_relu_(_concat_conv(xs, fusion.conv), NEG_SLOPE)


@torch.no_grad()
def fused_forward(model: DLSRNet, x: torch.Tensor) -> torch.Tensor:
    """``model(x)`` for ``x`` ``(N, 3, h, w)`` float32 in [0, 255] on the CPU, computed as the module
    docstring says; ``(N, 3, rh, rw)`` (channels_last). Check :func:`can_fuse` first."""
    if x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(f"DLSRNet expects (N, 3, H, W) RGB in [0, 255]; got shape {tuple(x.shape)}")
    check_esa_size(x.shape[-2], x.shape[-1], "LR input")
    x = x.contiguous(memory_format=_CL)
    kernels = [[_plus_identity(op.op[0]) if isinstance(op, Conv) else None for op in cell.ops] for cell in model.cells]
    fea = _conv(x, model.fea_conv)
    outs: list[torch.Tensor] = []
    for j, (cell, ws) in enumerate(zip(model.cells, kernels), start=1):
        inp = fea if j == 1 else outs[0] if j == 2 else \
            _fusion(model.fusions[j - 3], [outs[i - 1] for i in model.genotype.inputs[j - 3]])
        outs.append(_cell(cell, inp, ws))
    body = _conv_add(_fusion(model.tail_fusion, outs), fea, model.tail_conv)
    out = model.upsampler(body)
    if model.bicubic_skip:
        out = out + F.interpolate(x, scale_factor=model.scale, mode="bicubic", align_corners=False, antialias=True)
    return out


# -- glibc: keep freed blocks in the heap during a forward ----------------------------------------
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -3, -4
# After: glibc's default mmap count, and the thresholds its own adaptation reaches in a process that frees
# big blocks (mmap threshold up to 32 MiB, trim threshold twice that). Any mallopt call switches that
# adaptation off for good, so the adapted values are set, not the 128 KiB start values (with which every
# block over 128 KiB -- a training batch -- would be mapped and page-faulted afresh).
_AFTER = ((_M_MMAP_MAX, 65536), (_M_MMAP_THRESHOLD, 32 << 20), (_M_TRIM_THRESHOLD, 64 << 20))


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return lib if hasattr(lib, "mallopt") and hasattr(lib, "malloc_trim") else None
    except OSError:
        return None


_heap_lock = threading.Lock()
_heap_users = 0


@contextlib.contextmanager
def kept_heap() -> Iterator[None]:
    """While inside, glibc malloc serves big blocks from its heap instead of fresh ``mmap`` calls and does
    not return freed memory to the OS, so the same memory is reused without page faults; when the last
    user leaves (re-entrant, thread-safe), glibc's adapted thresholds are set (see ``_AFTER``) and the free
    memory is returned (``malloc_trim``). A no-op elsewhere. Process-wide while active; values never change."""
    global _heap_users
    lib = _libc()
    if lib is None:
        yield
        return
    with _heap_lock:
        if _heap_users == 0:
            lib.mallopt(_M_MMAP_MAX, 0)
            lib.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
        _heap_users += 1
    try:
        yield
    finally:
        with _heap_lock:
            _heap_users -= 1
            if _heap_users == 0:
                for option, value in _AFTER:
                    lib.mallopt(option, value)
                lib.malloc_trim(0)
