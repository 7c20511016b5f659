"""Time DLSR x2 inference on one 360x640 LR image (720p out): the naive forward, tinysr's default path,
and the FLOP floor.

    python benchmarks/inference.py [--json] [--repeats N] [--threads N]

In one process, alternating (``benchmarks/timing.py``: load from other processes hits all alike; compare the
ratios of one run, not absolute times of different runs), after one warm-up each:

- ``naive_s``: ``model(x)`` eager, NCHW, float32, under ``torch.no_grad`` (the module as written);
- ``tinysr_s``: :func:`tinysr.deploy.inference.forward` (what ``super_resolve``, ``tinysr upscale`` and
  ``tinysr evaluate`` run by default);
- ``floor_s`` = 2 x Multi-Adds / (GFLOP/s of one dense 48 -> 48 3x3 convolution at 360x640, the faster of
  NCHW and channels_last, timed in the same rounds, its output from a kept heap so that page faults do not
  slow it): the time the network's arithmetic would take at the machine's best dense-convolution speed.

``speedup`` = naive_s / tinysr_s, ``x_floor`` = tinysr_s / floor_s, ``max_abs_diff`` = the largest
``|naive - tinysr|`` output value (0..255 scale, unclamped). The weights are the released DLSR x2
checkpoint when :func:`tinysr.deploy.pretrained.pretrained_path` finds it on this machine (no download), else
random ones (same speed). Prints a table, then as its LAST line one JSON object with those six numbers
(with ``--json`` only one JSON object, adding ``command``, ``machine``, ``torch``, ``date``).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

# Sleeping OpenMP waiters: spinning ones make timings measure the neighbours (see benchmarks/search_step.py).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import record, time_alternating

from tinysr.complexity import multi_adds
from tinysr.deploy.fused import kept_heap
from tinysr.deploy.inference import forward
from tinysr.deploy.pretrained import pretrained_path
from tinysr.model import DLSRNet, load_official

H, W, C = 360, 640, 48


def load_dlsr() -> tuple[DLSRNet, str]:
    """The released DLSR x2 model if it is on this machine, else DLSRNet('dlsr') with seeded random weights."""
    try:
        return load_official(pretrained_path("dlsr", download=False), "dlsr"), "released dlsr x2 weights"
    except FileNotFoundError:
        torch.manual_seed(0)
        return DLSRNet("dlsr", 2).eval(), "random weights (released checkpoint not found)"


def _no_faults(conv: torch.nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """The convolution with its 44 MB output served from a kept heap: the floor is arithmetic, not the page
    faults of a freshly mapped block (which would make the floor slower and tinysr look closer to it)."""
    with kept_heap():
        return conv(x)


def run(args: argparse.Namespace, log=print) -> dict:
    where = record(torch.device("cpu"))
    model, weights = load_dlsr()
    naive_model = DLSRNet("dlsr", 2).eval()                  # its own copy: nothing the fast path does leaks in
    naive_model.load_state_dict(model.state_dict())
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, H, W, generator=g) * 255
    feat = torch.randn(1, C, H, W, generator=g)
    feat_cl = feat.contiguous(memory_format=torch.channels_last)
    conv = torch.nn.Conv2d(C, C, 3, padding=1).eval()
    conv_cl = torch.nn.Conv2d(C, C, 3, padding=1).eval().to(memory_format=torch.channels_last)
    with torch.no_grad():
        diff = float((naive_model(x) - forward(model, x)).abs().max())
        log(f"inference: DLSR x2 ({weights}), LR {W}x{H} -> {2 * W}x{2 * H}, {torch.get_num_threads()} threads, "
            f"{args.repeats} repeats (+1 warm-up), OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}")
        stats = time_alternating({"naive": lambda: naive_model(x), "tinysr": lambda: forward(model, x),
                                  "conv_nchw": lambda: _no_faults(conv, feat),
                                  "conv_cl": lambda: _no_faults(conv_cl, feat_cl)},
                                 args.repeats, torch.device("cpu"), log)
    conv_s = min(stats["conv_nchw"]["median_s"], stats["conv_cl"]["median_s"])
    gflops = 2 * 9 * C * C * H * W / conv_s / 1e9
    madds = multi_adds(model, 2)
    naive_s, tinysr_s = stats["naive"]["median_s"], stats["tinysr"]["median_s"]
    floor_s = 2 * madds / (gflops * 1e9)
    res = {"naive_s": naive_s, "tinysr_s": tinysr_s, "floor_s": round(floor_s, 4),
           "speedup": round(naive_s / tinysr_s, 3), "x_floor": round(tinysr_s / floor_s, 3),
           "max_abs_diff": round(diff, 5)}
    extra = {"speedup_cpu": round(stats["naive"]["cpu_s"] / stats["tinysr"]["cpu_s"], 3),
             "naive_cpu_s": stats["naive"]["cpu_s"], "tinysr_cpu_s": stats["tinysr"]["cpu_s"],
             "naive_min_s": stats["naive"]["min_s"], "tinysr_min_s": stats["tinysr"]["min_s"],
             "conv3x3_gflops": round(gflops, 2), "conv3x3_nchw_s": stats["conv_nchw"]["median_s"],
             "conv3x3_channels_last_s": stats["conv_cl"]["median_s"], "multi_adds": int(madds),
             "lr_size": [H, W], "weights": weights, "repeats": args.repeats,
             "load_avg_1min_after": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None}
    return res, {**res, **extra, **where}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true", help="print only one JSON object (with command, machine, date)")
    p.add_argument("--repeats", type=int, default=5, help="timed rounds after one warm-up (default 5)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for torch (default: torch's own choice)")
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error(f"--repeats must be >= 1, got {args.repeats}")
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    def log(msg: str) -> None:
        if not args.json:
            print(msg, flush=True)

    res, full = run(args, log)
    log("")
    log(f"{'path':44s} {'median wall':>12s} {'min wall':>10s} {'median CPU':>11s}")
    log(f"{'naive (eager, NCHW, float32)':44s} {full['naive_s']:10.3f} s {full['naive_min_s']:8.3f} s "
        f"{full['naive_cpu_s']:9.3f} s")
    log(f"{'tinysr (tinysr.deploy.inference.forward)':44s} {full['tinysr_s']:10.3f} s {full['tinysr_min_s']:8.3f} s "
        f"{full['tinysr_cpu_s']:9.3f} s")
    log(f"floor: {full['multi_adds'] / 1e9:.2f} G Multi-Adds at {full['conv3x3_gflops']:.1f} GFLOP/s (dense 3x3 "
        f"conv) = {full['floor_s']:.3f} s;  speedup {res['speedup']:.2f}x (CPU time {full['speedup_cpu']:.2f}x), "
        f"{res['x_floor']:.2f}x the floor, max |diff| {res['max_abs_diff']:.4f}")
    print(json.dumps(full if args.json else res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
