"""Time one retraining step of the discrete DLSR network: eager NCHW vs channels_last (vs torch.compile).

    python benchmarks/train_step.py [--json] [--device cpu|cuda] [--batch B] [--repeats N] [--threads N]
                                    [--compile] [--genotype NAME]

One step is :meth:`tinysr.train.Trainer.step` with the ``paper`` preset's retraining settings: the
``dlsr`` genotype at x2, loss L1 + 0.2 HFEN, Adam, gradient-norm clip 50, on a batch of ``--batch`` HR
patches of 128x128 (LR 64x64). The paper's batch is 32 (the cuda default); on the CPU the default is 8,
so that a step takes seconds. Variants, all with **identical weights** and each with its own optimiser:

- ``eager``: NCHW, eager (the plain loop);
- ``channels_last``: :func:`tinysr.space.speed.set_channels_last` (NHWC end to end);
- ``channels_last+compile`` (``--compile``): that, plus ``torch.compile`` of the forward (its compile
  time, on the first step, is reported apart as ``compile_s``).

Batches are fixed and seeded (HR uniform in [0, 255], LR its 2x2 mean). Steps are timed alternating the
variants in one process after one warm-up step each (``benchmarks/timing.py``); medians are reported with
the fastest step and the process CPU time. ``max_abs_diff`` is the largest ``|eager(lr) - variant(lr)|``
before any step (outputs on the [0, 255] scale; without TF32 on CUDA).

Prints a table, then as its LAST line one JSON object (only that line with ``--json``).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")    # see search_step.py

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import add_common_args, log_table, record, setup, time_alternating

from tinysr.config import preset
from tinysr.model import DLSRNet
from tinysr.space.speed import maybe_compile, set_channels_last
from tinysr.train import Trainer

HR_PATCH = 128   # the paper's retraining patch


def make_batch(batch: int, hr: int, scale: int, device: torch.device, seed: int = 0):
    """One fixed ``(lr, hr)`` batch: HR uniform in [0, 255], LR its ``scale x scale`` mean."""
    g = torch.Generator().manual_seed(seed)
    hr_img = torch.rand(batch, 3, hr, hr, generator=g) * 255
    return F.avg_pool2d(hr_img, scale).to(device), hr_img.to(device)


def run(args, log=print) -> dict:
    dev = torch.device(args.device)
    where = record(dev)
    cfg = preset("paper")
    cfg = replace(cfg, train=replace(cfg.train, batch_size=args.batch, hr_patch=HR_PATCH))
    batch = make_batch(args.batch, HR_PATCH, cfg.data.scale, dev)
    torch.manual_seed(0)
    base = DLSRNet(args.genotype, cfg.data.scale).to(dev)
    variants = {"eager": False, "channels_last": True}
    if args.compile:
        variants["channels_last+compile"] = True
    trainers = {}
    for name, nhwc in variants.items():
        model = DLSRNet(args.genotype, cfg.data.scale).to(dev)
        model.load_state_dict(base.state_dict())
        set_channels_last(model, nhwc)
        maybe_compile(model, name.endswith("compile"))
        trainers[name] = Trainer(model, cfg)

    compile_s = None
    if args.compile:                    # compile (forward and backward) on a first step, timed apart
        t0 = time.perf_counter()
        trainers["channels_last+compile"].step(batch)
        compile_s = round(time.perf_counter() - t0, 1)
        log(f"  compile + first step: {compile_s:.1f} s")
        model = trainers["channels_last+compile"].model
        model.load_state_dict(base.state_dict())           # back to the shared weights, fresh optimiser
        trainers["channels_last+compile"] = Trainer(model, cfg)

    tf32 = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        with torch.no_grad():
            outs = {name: t.model(batch[0]) for name, t in trainers.items()}
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = tf32
    diffs = {name: float((outs["eager"] - y).abs().max()) for name, y in outs.items() if name != "eager"}

    stats = time_alternating({name: (lambda t=t: t.step(batch)) for name, t in trainers.items()},
                             args.repeats, dev, log)
    eager = stats["eager"]["median_s"]
    return {"variants": stats, "speedup": {name: round(eager / s["median_s"], 3) for name, s in stats.items()},
            "max_abs_diff": diffs, "compile_s": compile_s, "device": args.device, "batch": args.batch,
            "hr_patch": HR_PATCH, "genotype": args.genotype, "scale": cfg.data.scale, "loss": cfg.train.loss,
            "repeats": args.repeats, **where,
            "load_avg_1min_after": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(p, repeats=5)
    p.add_argument("--batch", type=int, default=0, help="HR patches per step (default: 32 on cuda, 8 on cpu)")
    p.add_argument("--compile", action="store_true", help="add the channels_last + torch.compile variant")
    p.add_argument("--genotype", default="dlsr", help="published genotype name or genotype.json (default dlsr)")
    args = p.parse_args(argv)
    log = setup(p, args)
    if args.batch < 0:
        p.error(f"--batch must be >= 1 (or 0 for the device default), got {args.batch}")
    args.batch = args.batch or (32 if args.device == "cuda" else 8)

    log(f"train step: DLSRNet({args.genotype}, x2), batch {args.batch}, HR {HR_PATCH}, {args.device}, "
        f"{torch.get_num_threads()} threads (OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}), "
        f"{args.repeats} repeats (+1 warm-up)")
    res = run(args, log)
    log("")
    extra = {}
    for name in res["variants"]:
        diff = res["max_abs_diff"].get(name)
        extra[name] = f"{res['speedup'][name]:6.2f}x" + ("" if diff is None else f"  max |diff| {diff:.2e}")
    log_table(res["variants"], {name: name for name in res["variants"]}, log, extra)
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
