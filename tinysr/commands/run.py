"""``tinysr run``: search -> derive -> retrain -> evaluate -> report.md, each stage in its own
sub-folder of ``--out`` so that ``--resume`` continues after an interruption at any stage."""
from __future__ import annotations

import argparse
import sys

from ._common import add_config_args, add_run_args, config_from_args, print_json

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="the whole method: search, retrain, evaluate, report", description=__doc__)
    add_config_args(p)
    p.add_argument("--benchmarks", metavar="DIR", default=None,
                   help="benchmark root (Set5/Set14/B100 in the EDSR layout); default: the built-in eval photos")
    add_run_args(p, "runs/run")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..evaluate import format_table
    from ..pipeline import run_pipeline

    cfg = config_from_args(args)
    summary = run_pipeline(cfg, out=args.out, benchmarks=args.benchmarks, resume=args.resume,
                           overwrite=args.overwrite, device=args.device)
    if args.json:
        print_json({"results": summary["results"]})
    else:
        print(format_table(summary["results"], title="tinysr"))
        print(format_table(summary["bicubic"], title="bicubic"))
        print(f"timings (s): {summary['timings']}")
    print(f"report: {args.out}/report.md", file=sys.stderr)
    return 0
