"""``tinysr evaluate``: PSNR / SSIM (Y, shave = scale) of a model, the official weights or bicubic.

    tinysr evaluate (--model model.pt | --pretrained NAME | --official FILE --genotype NAME | --bicubic)
                    --scale S[,S...]
                    [--benchmarks DIR] [--sets Set5,Set14,B100] [--tile N] [--json] [--seed N]

Without ``--json`` a table is printed; with it, one JSON object
``{"results": [{"scale": 2, ["params": .., "multi_adds": ..,] "sets": {"Set5": {"psnr": .., "ssim": ..,
"images": 5}}}]}``.
Progress goes to stderr. Without ``--benchmarks`` the sets are looked for with the one data rule of
:mod:`tinysr.data.paths` (``$TINYSR_DATA``, ``./datasets``, ``$TINYSR_SHARED/data``, each ``/benchmarks``).
Model code is imported only in :func:`run`: ``tinysr --help`` builds every command's parser.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..data.paths import OFFICIAL_FILES, describe_roots, find_benchmarks
from ._common import shared

__all__ = ["DEFAULT_SETS", "add_parser", "run"]

DEFAULT_SETS = "Set5,Set14,B100"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="PSNR/SSIM on benchmark sets (a model, the official weights, or bicubic)",
                       description=__doc__.split("\n\n")[0],
                       parents=shared("json", "device", "tile"))
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--model", metavar="FILE", help="a model.pt written by `tinysr train`")
    what.add_argument("--pretrained", metavar="NAME",
                      help=f"a released x2 model by name ({', '.join(OFFICIAL_FILES)}): found by the data rule, else "
                           "downloaded once into $TINYSR_CACHE and checked")
    what.add_argument("--official", metavar="FILE", help="an official DLSR checkpoint (needs --genotype)")
    what.add_argument("--bicubic", action="store_true", help="the MATLAB-exact bicubic baseline")
    p.add_argument("--genotype", metavar="NAME", help=f"genotype of --official weights: {', '.join(OFFICIAL_FILES)}")
    p.add_argument("--scale", metavar="S[,S...]", help="scale(s), e.g. 2 or 2,3,4 (default for models: their own)")
    p.add_argument("--benchmarks", metavar="DIR",
                   help="benchmark root (EDSR layout); default: <root>/benchmarks of the first data root "
                        "that has the first set ($TINYSR_DATA, ./datasets, $TINYSR_SHARED/data)")
    p.add_argument("--sets", default=DEFAULT_SETS, help=f"comma-separated sets (default {DEFAULT_SETS})")
    p.add_argument("--seed", type=int, default=0, help="random seed (inference is deterministic anyway)")
    p.set_defaults(func=run)


def _scales(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        scales = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise ValueError(f"--scale expects integers separated by commas (e.g. 2 or 2,3,4), got {text!r}") from None
    if not scales or any(s < 2 for s in scales):
        raise ValueError(f"--scale expects integers >= 2 (e.g. 2 or 2,3,4), got {text!r}")
    return scales


def _benchmarks(arg: str | None, first_set: str) -> Path:
    """``--benchmarks DIR``, else ``paths.find_benchmarks(first_set)``; errors say where tinysr looked."""
    if arg:
        if not Path(arg).is_dir():
            raise FileNotFoundError(f"--benchmarks {arg} does not exist or is not a folder; get the sets with "
                                    "`tinysr download benchmarks`")
        return Path(arg)
    found = find_benchmarks(first_set)
    if found is None:
        raise ValueError(f"no benchmarks/{first_set} folder found ({describe_roots()}); pass --benchmarks DIR "
                         "or set TINYSR_DATA (get the sets with `tinysr download benchmarks`)")
    return found


def _load_model(args: argparse.Namespace) -> tuple[Any, int | None]:
    """(model, its scale or None) for --model / --official; model code is imported only here."""
    if args.model:
        from tinysr.model import load_model
        model, scale = load_model(args.model)
        return model, int(scale)
    if args.pretrained:
        from tinysr.deploy.pretrained import PRETRAINED_SCALE, pretrained
        return pretrained(args.pretrained), PRETRAINED_SCALE
    if not args.genotype:
        raise ValueError("--official needs --genotype NAME (the genotype the weights were trained with, "
                         "e.g. --genotype dlsr)")
    from tinysr.data.paths import OFFICIAL_FILES
    from tinysr.genotype import get_genotype
    from tinysr.model import load_official
    model = load_official(args.official, args.genotype)
    released_as = {f: n for n, f in OFFICIAL_FILES.items()}.get(Path(args.official).name)
    if released_as and get_genotype(released_as) != model.genotype:
        print(f"tinysr evaluate: warning: {Path(args.official).name} was released for genotype {released_as!r}, not "
              f"{args.genotype!r}; the shapes fit, but these weights were trained with other connections "
              f"(use --genotype {released_as})", file=sys.stderr)
    scale = getattr(model, "scale", None)
    return model, None if scale is None else int(scale)


def run(args: argparse.Namespace) -> int:
    from tinysr.evaluate import evaluate, evaluate_bicubic, format_table
    from tinysr.runtime.devices import get_device
    from tinysr.utils import seed_everything

    seed_everything(args.seed)
    scales = _scales(args.scale)
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    if args.genotype and not args.official:
        raise ValueError("--genotype goes with --official FILE (a --model file already holds its genotype)")
    if args.bicubic and not scales:
        raise ValueError("--bicubic needs --scale, e.g. --scale 2,3,4")
    if not sets:
        raise ValueError(f"--sets is empty ({args.sets!r}); pass e.g. --sets {DEFAULT_SETS}")
    root = _benchmarks(args.benchmarks, sets[0])
    results = []
    if args.bicubic:
        for s in scales:
            print(f"evaluate: bicubic x{s} on {', '.join(sets)}", file=sys.stderr)
            results.append(evaluate_bicubic(root, sets, s))
        title = "bicubic (MATLAB-exact)"
    else:
        model, model_scale = _load_model(args)
        from tinysr.complexity import count_params, multi_adds

        source = args.model or (f"pretrained {args.pretrained}" if args.pretrained else args.official)
        if scales is None:
            if model_scale is None:
                raise ValueError(f"cannot tell the scale of {source}; pass --scale")
            scales = [model_scale]
        wrong = [s for s in scales if model_scale is not None and s != model_scale]
        if wrong:
            raise ValueError(f"{source} is a x{model_scale} model; --scale {args.scale} asks for x"
                             f"{', x'.join(map(str, wrong))}: evaluate each scale with its own model")
        for s in scales:
            print(f"evaluate: {source} x{s} on {', '.join(sets)}", file=sys.stderr)
            r = evaluate(model, root, sets, s, device=get_device(args.device), tile=args.tile)
            results.append({"scale": s, "params": int(count_params(model)),
                            "multi_adds": int(multi_adds(model, s)), "sets": r["sets"]})
        title = str(source)
    if args.json:
        print(json.dumps({"results": [_rounded(r) for r in results]}))
    else:
        print(format_table(results, title))
    return 0


def _rounded(entry: dict[str, Any]) -> dict[str, Any]:
    out = dict(entry)
    out["sets"] = {name: {"psnr": round(v["psnr"], 4), "ssim": round(v["ssim"], 6), "images": v["images"]}
                   for name, v in entry["sets"].items()}
    return out
