"""Time one full search step of the paper's supernet: reference ``MixedOp`` vs ``FastMixedOp``.

    python benchmarks/search_step.py [--json] [--repeats N] [--device cpu|cuda] [--threads N] [--batch B]

Both supernets are the paper's (48 channels, 6 cells, x2) with **identical weights** (the fast one loads
the reference's state dict). One search step is what ``tinysr.search`` does per iteration after the
warm-up epochs, with ``SearchConfig()`` defaults (first order, objective ``train+val``, cost in the graph):

1. architecture step: ``Architect(net, cfg, l1_loss, expected_cost).step(train_batch, arch_batch)``;
2. weight step: Adam over ``net.weights()``, L1 on the train batch, backward, clip, step.

Batches are fixed and seeded: ``--batch`` (16; the paper searched with 64) HR patches 64x64 in [0, 255]
and their 2x2-mean LR (32x32). After one warm-up step per net, ``--repeats`` steps of each are timed,
alternating reference / fast so that load from other processes hits both alike; the medians are
reported. The table adds the fastest step and the process CPU time (all threads), which are steadier
when other processes share the cores. ``max_abs_diff`` is the largest ``|reference(lr) - fast(lr)|``
over the train batch before any step (outputs are on the [0, 255] scale; computed without TF32).

Prints a table, then as its LAST line one JSON object
``{"naive_s": ..., "tinysr_s": ..., "speedup": ..., "max_abs_diff": ...}`` (only that line with ``--json``).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

# OpenMP threads that spin while waiting are badly hurt when other processes share the cores: a step
# of many small ops (the naive one most) can then run 10-100x slower, so timings would measure the
# neighbours. Sleeping waiters cost little here. Must be set before torch loads its OpenMP runtime;
# an OMP_WAIT_POLICY already in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinysr.architect import Architect  # noqa: E402
from tinysr.config import SearchConfig  # noqa: E402
from tinysr.space import SuperNet  # noqa: E402
from tinysr.space.cost import expected_cost  # noqa: E402


def make_batches(batch: int, lr_size: int, scale: int, device: torch.device, seed: int = 0):
    """Two fixed ``(lr, hr)`` batches (train, arch): HR uniform in [0, 255], LR its ``scale x scale`` mean."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(2):
        hr = torch.rand(batch, 3, lr_size * scale, lr_size * scale, generator=g) * 255
        lr = F.avg_pool2d(hr, scale)
        out.append((lr.to(device), hr.to(device)))
    return out


class Searcher:
    """One supernet with its architect and weight optimiser; ``step()`` = arch step + weight step."""

    def __init__(self, net: SuperNet, cfg: SearchConfig) -> None:
        self.net, self.cfg = net, cfg
        self.architect = Architect(net, cfg, F.l1_loss, lambda n: expected_cost(n, cfg.cost_kind))
        self.w_optim = torch.optim.Adam(net.weights(), lr=cfg.w_lr, betas=tuple(cfg.w_betas),
                                        weight_decay=cfg.w_weight_decay)

    def step(self, train_batch, arch_batch) -> None:
        self.architect.step(train_batch, arch_batch)
        self.w_optim.zero_grad(set_to_none=True)
        loss = F.l1_loss(self.net(train_batch[0]), train_batch[1])
        loss.backward(inputs=self.net.weights())
        torch.nn.utils.clip_grad_norm_(self.net.weights(), self.cfg.grad_clip)
        self.w_optim.step()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run(repeats: int = 3, device: str = "cpu", channels: int = 48, cells: int = 6, scale: int = 2,
        batch: int = 16, lr_size: int = 32, log=print) -> tuple[dict, dict]:
    """Build both supernets, check they agree, time ``repeats`` search steps of each.
    Returns the JSON result (``naive_s``, ``tinysr_s``, ``speedup``, ``max_abs_diff``) and extra
    statistics (``{naive,tinysr}_{min_s,cpu_s}``)."""
    dev = torch.device(device)
    cfg = SearchConfig()
    torch.manual_seed(0)
    naive = SuperNet(channels, cells, scale, fast=False).to(dev)
    fast = SuperNet(channels, cells, scale, fast=True).to(dev)
    fast.load_state_dict(naive.state_dict())
    train_batch, arch_batch = make_batches(batch, lr_size, scale, dev)

    # the diff is measured in true float32: on CUDA, convolutions default to TF32 (~1e-3 relative
    # rounding), which would hide the (tiny) difference between the formulations behind its own noise
    tf32 = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        with torch.no_grad():
            max_abs_diff = float((naive(train_batch[0]) - fast(train_batch[0])).abs().max())
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = tf32

    searchers = {"naive": Searcher(naive, cfg), "tinysr": Searcher(fast, cfg)}
    times: dict[str, list[float]] = {name: [] for name in searchers}
    cpu: dict[str, list[float]] = {name: [] for name in searchers}
    for rep in range(repeats + 1):               # rep 0 is the warm-up
        for name, s in searchers.items():
            _sync(dev)
            t0, c0 = time.perf_counter(), time.process_time()
            s.step(train_batch, arch_batch)
            _sync(dev)
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            log(f"  {'warm-up' if rep == 0 else f'rep {rep}':8s} {name:7s} {dt:8.3f} s wall {dc:8.3f} s CPU")
            if rep:
                times[name].append(dt)
                cpu[name].append(dc)
    naive_s, fast_s = statistics.median(times["naive"]), statistics.median(times["tinysr"])
    result = {"naive_s": round(naive_s, 4), "tinysr_s": round(fast_s, 4), "speedup": round(naive_s / fast_s, 3),
              "max_abs_diff": max_abs_diff}
    extra = {f"{name}_{stat}": round(f(v), 4) for name in searchers
             for stat, f, v in (("min_s", min, times[name]), ("cpu_s", statistics.median, cpu[name]))}
    return result, extra


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true", help="print only the JSON result line")
    p.add_argument("--repeats", type=int, default=3, help="timed steps per net after one warm-up (default 3)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--threads", type=int, default=0, help="CPU threads for torch (default: torch's own choice)")
    p.add_argument("--channels", type=int, default=48, help=argparse.SUPPRESS)
    p.add_argument("--cells", type=int, default=6, help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, default=16, help="batch size (default 16; the paper's search used 64)")
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: no CUDA device is available")
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    def log(msg: str) -> None:
        if not args.json:
            print(msg, flush=True)

    log(f"search step: SuperNet(C={args.channels}, cells={args.cells}, x2), batch {args.batch}, "
        f"LR 32x32 / HR 64x64, {args.device}, {torch.get_num_threads()} threads "
        f"(OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}), {args.repeats} repeats (+1 warm-up)")
    res, extra = run(args.repeats, args.device, args.channels, args.cells, batch=args.batch, log=log)
    log("")
    log(f"{'formulation':34s} {'median wall':>12s} {'min wall':>10s} {'median CPU':>11s}")
    for key, label in (("naive", "naive (MixedOp, fast=False)"), ("tinysr", "tinysr (FastMixedOp, fast=True)")):
        log(f"{label:34s} {res[key + '_s']:10.3f} s {extra[key + '_min_s']:8.3f} s {extra[key + '_cpu_s']:9.3f} s")
    ratio = {k: extra[f"naive_{k}"] / extra[f"tinysr_{k}"] for k in ("min_s", "cpu_s")}
    log(f"speedup {res['speedup']:.2f}x (median wall; min wall {ratio['min_s']:.2f}x, CPU {ratio['cpu_s']:.2f}x)   "
        f"max |naive - fast| output {res['max_abs_diff']:.2e}")
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
