"""``tinysr train``: retrain a genotype from scratch (or fine-tune x3/x4 from an x2 model.pt).

Writes config.json, genotype.json, history.json, checkpoint.pt, last.pt and model.pt (best) in ``--out``.
Under ``torchrun --nproc_per_node N -m tinysr train ...`` it trains with DistributedDataParallel.
"""
from __future__ import annotations

import argparse
import sys

from ._common import add_config_args, config_from_args, print_json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="retrain a genotype -> model.pt", description=__doc__)
    p.add_argument("--genotype", required=True, metavar="FILE|NAME",
                   help="a genotype.json or a published name (dlsr, dlsr_para, dlsr_tiny)")
    add_config_args(p)
    p.add_argument("--init", metavar="MODEL.pt", default=None,
                   help="start from this tinysr model.pt (an x2 model for x3/x4 keeps its body, new head)")
    p.add_argument("--out", default="runs/train", help="output folder (default: runs/train)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--json", action="store_true", help="print a summary as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os

    from ..complexity import count_params
    from ..train import run_train

    cfg = config_from_args(args)
    result = run_train(args.genotype, cfg, out=args.out, resume=args.resume, init=args.init, device=args.device)
    if int(os.environ.get("RANK", "0")) != 0:
        return 0
    summary = {"out": str(args.out), "scale": cfg.data.scale, "params": count_params(result.model),
               "best_val_psnr": round(result.best_psnr, 4), "epochs": len(result.history)}
    if args.json:
        print_json(summary)
    else:
        print(f"best validation PSNR-Y {summary['best_val_psnr']:.2f} dB, {summary['params']:,} params; "
              f"model: {args.out}/model.pt", file=sys.stdout)
    return 0
