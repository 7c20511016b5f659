"""``tinysr search``: bilevel search on a preset; writes config.json, history.json, checkpoint.pt,
genotype.json into ``--out``."""
from __future__ import annotations

import argparse
import sys

from ._common import add_config_args, add_run_args, config_from_args, print_json

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="differentiable architecture search -> genotype.json",
                       description=__doc__)
    add_config_args(p)
    add_run_args(p, "runs/search")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..search import run_search

    cfg = config_from_args(args)
    result = run_search(cfg, out=args.out, resume=args.resume, overwrite=args.overwrite, device=args.device)
    if args.json:
        print_json({"genotype": result.genotype.to_dict(), "out": str(args.out)})
    else:
        print(f"genotype: {result.genotype.to_json()}")
        print(f"wrote {args.out}/genotype.json", file=sys.stderr)
    return 0
