"""Export an SR network to ONNX with a dynamic image size, checked with ONNX Runtime against PyTorch.

The graph has one input ``lr`` ``(N, 3, h, w)`` float32 RGB in [0, 255] and one output ``sr``
``(N, 3, s*h, s*w)`` (not clamped: clamp and round as :func:`tinysr.deploy.inference.super_resolve` does). Batch,
height and width are dynamic axes: ESA's strided convolution, max pooling and bilinear upsampling to the
input's size are exported as shape-following ONNX operators, so one file serves every image size
(at least 15x15 LR pixels for DLSR; smaller inputs fail inside ONNX Runtime instead of with tinysr's
message, since the size check is Python, not graph).

``onnx`` and ``onnxruntime`` are optional (``pip install 'tinysr[export]'``); they are imported only here,
inside the functions, and their absence is a clear ``ModuleNotFoundError``.
"""
from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn

from ..config.rules import ESA_MIN
from ..utils import atomic_path
from .inference import forward

__all__ = ["check_export_args", "export_onnx", "onnx_session", "onnx_super_resolve", "require_onnx", "ONNX_OPSET"]

ONNX_OPSET = 17
OPSET_MIN, OPSET_MAX = 11, 20       # measured: 9 and 10 miss the 0.01 check (bilinear resize); 20: the exporter's last
_INSTALL = "pip install 'tinysr[export]' (or: pip install onnx onnxruntime)"


def require_onnx() -> tuple[Any, Any]:
    """``(onnx, onnxruntime)``, or ``ModuleNotFoundError`` saying how to install them."""
    try:
        import onnx
        import onnxruntime
    except ImportError as exc:
        raise ModuleNotFoundError(f"ONNX export needs the optional packages onnx and onnxruntime ({exc.name} is "
                                  f"not installed): {_INSTALL}") from None
    return onnx, onnxruntime


def onnx_session(path: str | Path) -> Any:
    """An ONNX Runtime CPU session for the file at ``path``."""
    _, ort = require_onnx()
    if not Path(path).is_file():
        raise FileNotFoundError(f"ONNX file {path} does not exist; write it with `tinysr export ... --onnx {path}`")
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def onnx_super_resolve(session: Any, lr_img: np.ndarray) -> np.ndarray:
    """uint8 ``(h, w, 3)`` RGB -> uint8 ``(s*h, s*w, 3)`` with an ONNX Runtime ``session`` (clamped, rounded)."""
    lr_img = np.asarray(lr_img)
    if lr_img.dtype != np.uint8 or lr_img.ndim != 3 or lr_img.shape[2] != 3:
        raise ValueError(f"onnx_super_resolve expects uint8 (h, w, 3) RGB, got {lr_img.dtype} {lr_img.shape}")
    x = np.ascontiguousarray(lr_img.transpose(2, 0, 1)[None], dtype=np.float32)
    (sr,) = session.run(["sr"], {"lr": x})
    return np.clip(sr[0].transpose(1, 2, 0), 0, 255).round().astype(np.uint8)


def _bicubic_aa(g: Any, x: Any, output_size: Any, align_corners: Any, scale_factors: Any) -> Any:
    """ONNX for ``F.interpolate(mode="bicubic", antialias=True)`` when enlarging (``DLSRNet(bicubic_skip=True)``):
    ``Resize`` with cubic coefficient -0.5, half-pixel centres and out-of-image taps dropped and the rest
    renormalised (``exclude_outside``) -- what PyTorch's antialiased kernel does when it upsamples."""
    from torch.onnx import symbolic_helper as sh

    if sh._maybe_get_const(align_corners, "b"):
        raise ValueError("antialiased bicubic resizing with align_corners=True has no ONNX equivalent")
    empty = g.op("Constant", value_t=torch.tensor([], dtype=torch.float32))
    attrs = {"mode_s": "cubic", "cubic_coeff_a_f": -0.5, "exclude_outside_i": 1,
             "coordinate_transformation_mode_s": "half_pixel"}
    if sh._is_none(scale_factors):
        raise ValueError("antialiased bicubic resizing to a given size is not exported; use scale_factor")
    factors = [float(f) for f in sh._maybe_get_const(scale_factors, "fs")]
    scales = g.op("Constant", value_t=torch.tensor([1.0, 1.0, *factors], dtype=torch.float32))
    return g.op("Resize", x, empty, scales, **attrs)


def _torch_export(model: nn.Module, path: str, example: torch.Tensor, opset: int) -> None:
    from torch.onnx import register_custom_op_symbolic

    register_custom_op_symbolic("aten::_upsample_bicubic2d_aa", _bicubic_aa, opset)
    dynamic = {"lr": {0: "batch", 2: "height", 3: "width"}, "sr": {0: "batch", 2: "out_height", 3: "out_width"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # tracer warnings about the Python size checks, deprecations
        torch.onnx.export(model, (example,), path, input_names=["lr"], output_names=["sr"], dynamic_axes=dynamic,
                          opset_version=opset, do_constant_folding=True, dynamo=False)


def check_export_args(path: str | Path, opset: int, overwrite: bool = False) -> None:
    """Refuse an opset outside the checked range, a file name without ``.onnx`` and an existing file (unless
    ``overwrite``) with a one-line ``ValueError``, before any model is loaded or downloaded."""
    if not isinstance(opset, int) or not OPSET_MIN <= opset <= OPSET_MAX:
        raise ValueError(f"--opset {opset!r}: choose {OPSET_MIN}..{OPSET_MAX} (default {ONNX_OPSET}); opsets below "
                         f"{OPSET_MIN} resize ESA's attention map differently (the check fails), above {OPSET_MAX} "
                         "torch's exporter does not write")
    path = Path(path)
    if path.suffix.lower() != ".onnx":
        raise ValueError(f"--onnx {path}: the file name should end in .onnx")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; choose another name or pass --overwrite to replace it")


def export_onnx(model: nn.Module, path: str | Path, *, opset: int = ONNX_OPSET,
                example_size: tuple[int, int] = (48, 64), check_size: tuple[int, int] = (61, 83), atol: float = 0.01,
                overwrite: bool = False) -> dict[str, Any]:
    """Write ``model`` (maps ``(N, 3, h, w)`` in [0, 255] to ``(N, 3, s*h, s*w)``) to ``path`` as ONNX.

    The graph is traced on an ``example_size`` (h, w) input, then checked with ONNX Runtime on a random
    image of the different ``check_size``: the largest ``|onnx - pytorch|`` output value (0..255 scale)
    must be ``<= atol``. The file is written to a temp name and renamed only after the check passes; an
    existing ``path`` is an error unless ``overwrite``. The model is not changed (a CPU float32 copy is
    exported). Returns ``{"path", "opset", "check_size", "max_abs_diff", "input", "output"}``.
    """
    check_export_args(path, opset, overwrite)
    onnx, _ = require_onnx()
    path = Path(path)
    if min(example_size + check_size) < ESA_MIN or tuple(example_size) == tuple(check_size):
        raise ValueError(f"example_size {example_size} and check_size {check_size} must differ and be >= {ESA_MIN} "
                         "(ESA)")
    net = copy.deepcopy(model).cpu().float().eval()
    gen = torch.Generator().manual_seed(0)
    example = torch.randint(0, 256, (1, 3, *example_size), generator=gen).float()
    check = torch.randint(0, 256, (1, 3, *check_size), generator=gen).float()
    with atomic_path(path) as tmp_path:           # written only when the check passes
        tmp = str(tmp_path)
        _torch_export(net, tmp, example, opset)
        onnx.checker.check_model(tmp)
        (got,) = onnx_session(tmp).run(["sr"], {"lr": check.numpy()})
        want = forward(net, check, fast=False).numpy()
        if got.shape != want.shape:
            raise ValueError(f"the ONNX graph gives {got.shape} on a {check_size} input, PyTorch {want.shape}: "
                             "its size is not dynamic (a size computed in Python?)")
        diff = float(np.abs(got - want).max())
        if not diff <= atol:
            raise ValueError(f"the ONNX graph differs from PyTorch by up to {diff:.4g} (0..255 scale) on a "
                             f"{check_size[1]}x{check_size[0]} input, more than atol={atol}; not written")
    return {"path": str(path), "opset": opset, "check_size": list(check_size), "max_abs_diff": diff,
            "input": "lr", "output": "sr"}
