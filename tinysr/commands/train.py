"""``tinysr train``: retrain a genotype from scratch (or fine-tune x3/x4 from an x2 model.pt).

Writes config.json, genotype.json, history.json, checkpoint.pt, last.pt and model.pt (best) in ``--out``.
Under ``torchrun --nproc_per_node N -m tinysr train ...`` it trains with DistributedDataParallel.
"""
from __future__ import annotations

import argparse
import sys

from ..config import override
from ..data.paths import OFFICIAL_FILES
from ._common import add_config_args, add_run_args, config_from_args, print_json

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="retrain a genotype -> model.pt", description=__doc__)
    p.add_argument("--genotype", default=None, metavar="FILE|NAME",
                   help=f"a genotype.json or a published name ({', '.join(OFFICIAL_FILES)}); optional with --init")
    add_config_args(p)
    p.add_argument("--init", metavar="MODEL.pt", default=None,
                   help="start from this tinysr model.pt (an x2 model for x3/x4 keeps its body, new head)")
    p.add_argument("--val", metavar="DIR", default=None,
                   help="folder of HR images to pick the best model on (default: train.val of the preset)")
    add_run_args(p, "runs/train")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os

    from ..complexity import count_params
    from ..train import run_train

    if args.genotype is None and args.init is None:
        raise ValueError("give --genotype FILE|NAME (what to train) or --init MODEL.pt (what to start from)")
    cfg = config_from_args(args)
    if args.val is not None:
        cfg = override(cfg, {"train.val": args.val})
    result = run_train(args.genotype, cfg, out=args.out, resume=args.resume, overwrite=args.overwrite,
                       init=args.init, device=args.device)
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
