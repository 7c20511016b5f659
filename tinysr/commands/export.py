"""``tinysr export``: write a model as ONNX (dynamic height and width), checked with ONNX Runtime.

    tinysr export (--model model.pt | --pretrained NAME) --onnx FILE.onnx [--opset N] [--overwrite] [--json]

The graph maps ``lr`` ``(N, 3, h, w)`` float32 RGB in [0, 255] to ``sr`` ``(N, 3, s*h, s*w)`` (clamp and
round it yourself). Before the file is kept, ONNX Runtime runs it on an image of another size than the
one traced and its output must match PyTorch's within 0.01 (0..255 scale). Needs the optional packages:
``pip install 'tinysr[export]'``.
"""
from __future__ import annotations

import argparse

from ._common import print_json, shared
from ._model import add_model_args, load_model_arg

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write a model as ONNX (dynamic size), checked with ONNX Runtime",
                       description=__doc__.split("\n\n")[0],
                       parents=shared("json"))
    add_model_args(p)
    p.add_argument("--onnx", required=True, metavar="FILE.onnx", help="the ONNX file to write")
    p.add_argument("--opset", type=int, default=None, help="ONNX opset (default 17)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing FILE.onnx")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..deploy.export import ONNX_OPSET, check_export_args, export_onnx, require_onnx

    try:
        require_onnx()
    except ModuleNotFoundError as exc:
        raise ValueError(str(exc)) from None
    opset = ONNX_OPSET if args.opset is None else args.opset
    check_export_args(args.onnx, opset, args.overwrite)
    model, scale, source = load_model_arg(args)
    info = export_onnx(model, args.onnx, opset=opset, overwrite=args.overwrite)
    info.update(model=source, scale=scale)
    if args.json:
        print_json(info)
    else:
        print(f"{info['path']}: {source} x{scale}, opset {info['opset']}, dynamic height/width; ONNX Runtime vs "
              f"PyTorch on a {info['check_size'][1]}x{info['check_size'][0]} input: max |diff| "
              f"{info['max_abs_diff']:.2e}")
    return 0
