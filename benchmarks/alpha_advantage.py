"""Why a search does (or does not) decide: the architecture gradient of a finished search, op by op.

    python benchmarks/alpha_advantage.py RUN_DIR [--batches N] [--json] [--write FILE.json]

Loads the supernet of a search run folder (``checkpoint.pt``, ``config.json``), draws ``--batches`` (16)
fresh batches from the run's own architecture photos, and computes, per batch, the data loss's gradient
on alpha (no budget term). For the mixed op ``o = sum_k p_k o_k`` with ``p = softmax(alpha)``::

    dL/dalpha_k = p_k * A_k,     A_k = <g, o_k> - sum_j p_j <g, o_j>     (op k's advantage)

so ``A_k = grad_k / p_k`` says how much op k would help per unit of probability, independently of how
much probability it already holds. Printed per position and op: ``p``, the mean gradient over the
batches, its standard deviation, ``snr = mean / std`` (how consistent the sign is from batch to batch)
and the advantage. Ops with equal advantages cannot be separated by any optimiser: the search has no
reason to prefer one of them. Adam moves every logit at about ``alpha_lr`` whatever its gradient's size,
so ops whose gradients share a sign rise (or fall) together.

The last line is one JSON object with the numbers, this command, the search's own command (from the run's
``run.json``) and the machine; ``--write`` also saves it (``benchmarks/results/alpha_advantage_laptop.json``, which
chapter 04 draws).
"""
from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
from pathlib import Path

import torch

from tinysr import PRIMITIVES
from tinysr.config import Config
from tinysr.data import PatchSampler
from tinysr.data.splits import search_photos
from tinysr.search import Search
from tinysr.utils import atomic_write_text, safe_load


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="a finished search run folder")
    ap.add_argument("--batches", type=int, default=16)
    ap.add_argument("--seed", type=int, default=123, help="seed of the fresh batches")
    ap.add_argument("--json", action="store_true", help="print only the JSON line")
    ap.add_argument("--write", type=Path, default=None, help="also save the JSON object here")
    args = ap.parse_args(argv)
    cfg = Config.from_json(args.run / "config.json")
    search = Search(cfg, "cpu")
    search.load_state_dict(safe_load(args.run / "checkpoint.pt")["states"]["search"])
    _, arch = search_photos(cfg)
    size = cfg.search.arch_batch_size or cfg.search.batch_size
    sampler = PatchSampler(arch, cfg.data.scale, cfg.search.hr_patch, size, seed=args.seed)
    net = search.net
    grads = []
    for _ in range(args.batches):
        lr, hr = sampler.next_batch()
        (g,) = torch.autograd.grad(search.loss_fn(net(lr), hr), [net.alpha])
        grads.append(g.detach())
    grad = torch.stack(grads)
    mean, std = grad.mean(dim=0), grad.std(dim=0)
    probs = net.alpha_probs().detach()
    if probs.dim() == 3:
        raise SystemExit("per-cell alphas: not supported by this script")
    advantage = mean / probs
    rows = []
    for pos in range(probs.shape[0]):
        for k, name in enumerate(PRIMITIVES):
            rows.append({"position": pos + 1, "op": name, "p": float(probs[pos, k]), "grad": float(mean[pos, k]),
                         "std": float(std[pos, k]), "snr": float(mean[pos, k] / std[pos, k]),
                         "advantage": float(advantage[pos, k])})
    if not args.json:
        print(f"{'pos':>3s} {'op':13s} {'p':>6s} {'grad':>9s} {'std':>8s} {'snr':>6s} {'advantage':>10s}")
        for r in rows:
            print(f"{r['position']:3d} {r['op']:13s} {r['p']:6.3f} {r['grad']:9.4f} {r['std']:8.4f} "
                  f"{r['snr']:6.1f} {r['advantage']:10.3f}")
    run = json.loads((args.run / "run.json").read_text()) if (args.run / "run.json").exists() else {}
    search_command = " ".join(["tinysr", *shlex.split(run["command"])[1:]]) if run.get("command") else None
    out = {"run": str(args.run), "batches": args.batches, "batch_size": size, "rows": rows,
           "preset": cfg.name, "gumbel": cfg.search.gumbel, "search_command": search_command,
           "command": "python benchmarks/alpha_advantage.py " + " ".join(sys.argv[1:] if argv is None else argv),
           "machine": {"cpu": platform.processor() or platform.machine(), "torch": torch.__version__,
                       "threads": torch.get_num_threads()}}
    print(json.dumps(out))
    if args.write is not None:
        atomic_write_text(json.dumps(out, indent=1) + "\n", args.write)
    return out


if __name__ == "__main__":
    main()
