"""``tinysr profile``: parameters, Multi-Adds at a 720p output and latency of a genotype's network.

    tinysr profile --genotype dlsr --scale 2 [--json] [--no-latency] [--device cpu]

The network gets random weights (size and cost do not depend on them). ``--json`` prints one object,
``{"scale": 2, "params": 322620, "multi_adds": 67306238496, "latency_s": 1.9}`` (``latency_s`` is null with
``--no-latency``); progress goes to stderr.
"""
from __future__ import annotations

import argparse
import json
import sys

from ..config.rules import SCALES
from ..data.paths import OFFICIAL_FILES
from ._common import shared

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("profile", help="params, Multi-Adds @720p output and latency of a genotype",
                       description=__doc__.splitlines()[0],
                       parents=shared("json"))
    p.add_argument("--genotype", required=True, metavar="FILE|NAME",
                   help=f"a genotype.json path or a published name: {', '.join(OFFICIAL_FILES)}")
    p.add_argument("--scale", type=int, default=2, choices=SCALES, help="upscaling factor (default 2)")
    p.add_argument("--no-latency", action="store_true", help="skip the (seconds-long) timing of a 720p forward")
    p.add_argument("--device", default="cpu", help="device for the latency (default cpu; e.g. cuda)")
    p.add_argument("--repeats", type=int, default=3,
                   help="timed forwards after one warm-up (median reported; default 3)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..complexity import count_params, latency, lr_size_720p, multi_adds
    from ..deploy.inference import available_bytes, peak_bytes
    from ..model import DLSRNet
    from ..runtime.devices import is_oom

    if args.repeats < 1:
        raise ValueError(f"--repeats {args.repeats}: give at least 1 timed forward (or --no-latency to skip timing)")
    model = DLSRNet(args.genotype, args.scale).eval()
    result = {"scale": args.scale, "params": count_params(model), "multi_adds": multi_adds(model, args.scale),
              "latency_s": None}
    if not args.no_latency:
        h, w = lr_size_720p(args.scale)
        print(f"timing {args.repeats} forwards of a {h}x{w} LR input on {args.device} ...", file=sys.stderr)
        need, avail = peak_bytes(model, h, w), available_bytes() if args.device == "cpu" else None
        try:
            if avail is not None and need > avail:
                raise MemoryError(f"needs ~{need / 2**30:.1f} GiB, {avail / 2**30:.1f} GiB available")
            result["latency_s"] = round(latency(model, args.scale, device=args.device, repeats=args.repeats), 4)
        except (RuntimeError, MemoryError) as exc:
            if not is_oom(exc):
                raise
            print(f"latency skipped: a {h}x{w} forward of this C={model.genotype.channels} network does not fit in "
                  f"the memory of {args.device}{f' ({exc})' if isinstance(exc, MemoryError) else ''}; params and "
                  "Multi-Adds are counted without running it", file=sys.stderr)
    if args.json:
        print(json.dumps(result))
        return 0
    g = model.genotype
    print(f"genotype   {args.genotype}: ops {list(g.ops)}, inputs {[list(r) for r in g.inputs]}, "
          f"C={g.channels}, cells={g.cells}")
    print(f"scale      x{args.scale} (LR {'x'.join(map(str, lr_size_720p(args.scale)))} -> 720p output)")
    print(f"params     {result['params']:,}")
    print(f"Multi-Adds {result['multi_adds'] / 1e9:.2f} G ({result['multi_adds']:,} conv MACs)")
    if result["latency_s"] is not None:
        print(f"latency    {result['latency_s']:.3f} s per 720p-output forward on {args.device} (median)")
    return 0
