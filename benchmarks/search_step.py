"""Time one full search iteration of the paper's supernet: reference ``MixedOp`` vs tinysr's fast path.

    python benchmarks/search_step.py [--json] [--repeats N] [--device cpu|cuda] [--threads N] [--batch B]
                                     [--channels-last auto|on|off] [--compile]

Both are :class:`tinysr.search.Search` objects of the ``paper`` preset (48 channels, 6 cells, x2, released
iteration: weight step, then the first-order architecture step on ``L(train) + L(arch)``, loss L1 + 0.2
HFEN), timed at an epoch past the warm-up, so one step = 3 forwards + 2 backwards of the supernet, and
with **identical weights** (the fast one loads the reference's state dict):

- ``naive``: ``search.fast=False`` -- the reference ``MixedOp``, ``sum_k w_k op_k(x)``, NCHW, eager;
- ``tinysr``: ``search.fast=True`` (``FastMixedOp``, :mod:`tinysr.space.fast`) with the network-wide
  switches of :mod:`tinysr.space.speed`: ``--channels-last`` (default ``auto``: on for the CPU) and
  ``--compile`` (``torch.compile``; off by default, its compile time is reported apart).

Batches are fixed and seeded: ``--batch`` (16; the paper searched with 64) HR patches 64x64 in [0, 255]
and their 2x2-mean LR (32x32). Steps are timed alternating naive / tinysr in one process after one
warm-up step each (see ``benchmarks/timing.py``); medians are reported, with the fastest step and the
process CPU time. ``max_abs_diff`` is the largest ``|naive(lr) - tinysr(lr)|`` over the train batch
before any step (outputs on the [0, 255] scale; computed without TF32 on CUDA); ``alpha_grad_rel_diff``
the largest relative difference of the loss gradient w.r.t. alpha and the betas.

**Single path** (``search.single_path``, GDAS' forward): with hard Gumbel samples, today's step still computes all
nine ops of every position (the straight-through one-hot multiplies eight by zero); the single-path step computes
only the sampled one. Both are timed the same way, alternating in this process with identical weights and the same
noise generator seed, at two sizes: the ``laptop`` supernet and batch (its own preset), and the released size (48
channels, 6 cells, ``--batch``) with the laptop's sampling. ``single_path_speedup = hard_gumbel_s / single_path_s``
at the laptop size is also at the top level (``--no-single-path`` skips this part).

Prints a table, then as its LAST line one JSON object ``{"naive_s", "tinysr_s", "speedup", "max_abs_diff", ...,
"hard_gumbel_s", "single_path_s", "single_path_speedup", "single_path": {"laptop": ..., "released": ...},
"command", "machine", "torch", "date"}`` (only that line with ``--json``).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

# OpenMP threads that spin while waiting are badly hurt when other processes share the cores: a step
# of many small ops (the naive one most) can then run 10-100x slower, so timings would measure the
# neighbours. Sleeping waiters cost little here. Must be set before torch loads its OpenMP runtime;
# an OMP_WAIT_POLICY already in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import add_common_args, log_table, record, setup, time_alternating

from tinysr.config import preset
from tinysr.search import Search
from tinysr.space.speed import maybe_compile, set_channels_last, use_channels_last


def make_batches(batch: int, lr_size: int, scale: int, device: torch.device, seed: int = 0):
    """Two fixed ``(lr, hr)`` batches (train, arch): HR uniform in [0, 255], LR its ``scale x scale`` mean."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(2):
        hr = torch.rand(batch, 3, lr_size * scale, lr_size * scale, generator=g) * 255
        lr = F.avg_pool2d(hr, scale)
        out.append((lr.to(device), hr.to(device)))
    return out


def _no_tf32():
    """Context: true float32 convolutions/matmuls on CUDA (TF32 rounds at ~1e-3 relative, which would
    hide the tiny difference between the formulations behind its own noise)."""
    class _Ctx:
        def __enter__(self):
            self.saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
            torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False

        def __exit__(self, *exc):
            torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = self.saved
    return _Ctx()


def agreement(naive: Search, fast: Search, batch) -> dict:
    """Output and arch-gradient differences of the two supernets on ``batch`` (no parameter changes)."""
    with _no_tf32():
        with torch.no_grad():
            max_abs_diff = float((naive.net(batch[0]) - fast.net(batch[0])).abs().max())
        grads = []
        for s in (naive, fast):
            loss = s.loss_fn(s.net(batch[0]), batch[1])
            grads.append(torch.autograd.grad(loss, s.net.alphas()))
    rel = max(float((a - b).abs().max() / a.abs().max().clamp_min(1e-30)) for a, b in zip(*grads))
    return {"max_abs_diff": max_abs_diff, "alpha_grad_rel_diff": rel}


def build(cfg, device: torch.device, *, channels_last: str, compile: bool) -> tuple[Search, Search]:
    """The two searches (naive, tinysr) with identical weights, each with its speed switches set."""
    torch.manual_seed(0)
    naive = Search(replace(cfg, search=replace(cfg.search, fast=False, channels_last="off", compile=False)), device)
    fast = Search(replace(cfg, search=replace(cfg.search, fast=True, channels_last=channels_last,
                                              compile=compile)), device)
    fast.net.load_state_dict(naive.net.state_dict())
    set_channels_last(naive.net, False)
    set_channels_last(fast.net, use_channels_last(channels_last, device))
    maybe_compile(fast.net, compile)
    return naive, fast


def single_path_timing(cfg, dev: torch.device, repeats: int, log=print) -> dict:
    """Median step of the hard-Gumbel search (all nine ops computed) and of the single-path one, same weights."""
    s = replace(cfg.search, gumbel=True, gumbel_hard=True, single_path=False)
    torch.manual_seed(0)
    hard = Search(replace(cfg, search=s), dev)
    single = Search(replace(cfg, search=replace(s, single_path=True)), dev)
    single.net.load_state_dict(hard.net.state_dict())
    for search in (hard, single):
        set_channels_last(search.net, use_channels_last(s.channels_last, dev))
    train_batch, arch_batch = make_batches(s.batch_size, s.hr_patch // cfg.data.scale, cfg.data.scale, dev)
    stats = time_alternating({"hard_gumbel": lambda: hard.step(train_batch, arch_batch, s.warmup_epochs),
                              "single_path": lambda: single.step(train_batch, arch_batch, s.warmup_epochs)},
                             repeats, dev, log)
    h, p = stats["hard_gumbel"]["median_s"], stats["single_path"]["median_s"]
    return {"hard_gumbel_s": h, "single_path_s": p, "single_path_speedup": round(h / p, 3), "channels": s.channels,
            "cells": s.cells, "batch": s.batch_size, "hr_patch": s.hr_patch, "variants": stats}


def run(args, log=print) -> dict:
    dev = torch.device(args.device)
    where = record(dev)
    cfg = preset("paper")
    cfg = replace(cfg, search=replace(cfg.search, channels=args.channels, cells=args.cells, batch_size=args.batch,
                                      hr_patch=2 * args.lr_size))
    naive, fast = build(cfg, dev, channels_last=args.channels_last, compile=args.compile)
    train_batch, arch_batch = make_batches(args.batch, args.lr_size, cfg.data.scale, dev)
    compile_s = 0.0
    if args.compile:                       # the first compiled calls compile; time them apart
        t0 = time.perf_counter()
        fast.step(train_batch, arch_batch, cfg.search.warmup_epochs)
        compile_s = time.perf_counter() - t0
        log(f"  compile + first step: {compile_s:.1f} s")
    agree = agreement(naive, fast, train_batch)
    epoch = cfg.search.warmup_epochs       # the first epoch with architecture steps
    stats = time_alternating({"naive": lambda: naive.step(train_batch, arch_batch, epoch),
                              "tinysr": lambda: fast.step(train_batch, arch_batch, epoch)}, args.repeats, dev, log)
    n, f = stats["naive"], stats["tinysr"]
    return {"naive_s": n["median_s"], "tinysr_s": f["median_s"], "speedup": round(n["median_s"] / f["median_s"], 3),
            **agree, "speedup_min": round(n["min_s"] / f["min_s"], 3), "speedup_cpu": round(n["cpu_s"] / f["cpu_s"], 3),
            "variants": stats,
            "device": args.device, "batch": args.batch, "lr_size": args.lr_size, "channels": args.channels,
            "cells": args.cells, "repeats": args.repeats, "channels_last": use_channels_last(args.channels_last, dev),
            "compile": args.compile, "compile_s": round(compile_s, 1), **where,
            **_single_path(args, cfg, dev, log),
            "load_avg_1min_after": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None}


def _single_path(args, cfg, dev: torch.device, log) -> dict:
    if args.no_single_path:
        return {}
    log("single path vs hard Gumbel, laptop size:")
    laptop = single_path_timing(preset("laptop"), dev, args.repeats, log)
    log(f"single path vs hard Gumbel, released size (C={args.channels}, {args.cells} cells, batch {args.batch}):")
    released = single_path_timing(replace(cfg, search=replace(cfg.search, tau_start=1.0, tau_end=0.2)), dev,
                                  args.repeats, log)
    return {"hard_gumbel_s": laptop["hard_gumbel_s"], "single_path_s": laptop["single_path_s"],
            "single_path_speedup": laptop["single_path_speedup"],
            "single_path": {"laptop": laptop, "released": released}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(p, repeats=3)
    p.add_argument("--batch", type=int, default=16, help="batch size (default 16; the paper's search used 64)")
    p.add_argument("--channels-last", default="auto", choices=("auto", "on", "off"),
                   help="NHWC for the tinysr net (default auto: on for the CPU)")
    p.add_argument("--compile", action="store_true", help="torch.compile the tinysr net's forward")
    p.add_argument("--no-single-path", action="store_true", help="skip the single-path vs hard-Gumbel timings")
    p.add_argument("--channels", type=int, default=48, help=argparse.SUPPRESS)
    p.add_argument("--cells", type=int, default=6, help=argparse.SUPPRESS)
    p.add_argument("--lr-size", type=int, default=32, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    log = setup(p, args)
    if args.batch < 1:
        p.error(f"--batch must be >= 1, got {args.batch}")

    log(f"search step: SuperNet(C={args.channels}, cells={args.cells}, x2), batch {args.batch}, "
        f"LR {args.lr_size}x{args.lr_size} / HR {2 * args.lr_size}, {args.device}, {torch.get_num_threads()} threads "
        f"(OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}), {args.repeats} repeats (+1 warm-up)")
    res = run(args, log)
    log("")
    log_table(res["variants"], {"naive": "naive (MixedOp, NCHW)",
                                "tinysr": f"tinysr (FastMixedOp, channels_last={res['channels_last']})"}, log)
    log(f"speedup {res['speedup']:.2f}x (median wall; min wall {res['speedup_min']:.2f}x, "
        f"CPU {res['speedup_cpu']:.2f}x)   max |naive - tinysr| output {res['max_abs_diff']:.2e}, "
        f"arch gradient {res['alpha_grad_rel_diff']:.1e} rel")
    for size, r in res.get("single_path", {}).items():
        log(f"single path at the {size} size (C={r['channels']}, {r['cells']} cells, batch {r['batch']}): hard Gumbel "
            f"{r['hard_gumbel_s']:.3f} s, single path {r['single_path_s']:.3f} s: {r['single_path_speedup']:.2f}x")
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
