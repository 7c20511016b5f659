"""Shared by the step benchmarks (``search_step.py``, ``train_step.py``): alternating timing and the
record of where a measurement was taken.

Timings on a machine shared with other processes measure the neighbours too. The step benchmarks
therefore time their variants **in one process, alternating** (variant A, B, A, B, ...), so that load
hits all alike, report medians, and keep the fastest step and the process CPU time (all threads) next
to them; ratios from one run are what to compare, never absolute times from different runs.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from tinysr.runstate import git_commit

__all__ = ["add_common_args", "setup", "time_alternating", "log_table", "machine", "record"]


def add_common_args(p: argparse.ArgumentParser, repeats: int) -> None:
    """``--json``, ``--device cpu|cuda``, ``--repeats`` (default ``repeats``) and ``--threads``."""
    p.add_argument("--json", action="store_true", help="print only the JSON result line")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--repeats", type=int, default=repeats,
                   help=f"timed steps per variant after one warm-up (default {repeats})")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for torch (default: torch's own choice)")


def setup(p: argparse.ArgumentParser, args: argparse.Namespace) -> Callable[[str], None]:
    """Check the common arguments (``p.error`` on bad ones), set the thread count; returns the
    progress logger (silent with ``--json``)."""
    if args.repeats < 1:
        p.error(f"--repeats must be >= 1, got {args.repeats}")
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: no CUDA device is available")
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    def log(msg: str) -> None:
        if not args.json:
            print(msg, flush=True)
    return log


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_alternating(steps: dict[str, Callable[[], object]], repeats: int, device: torch.device,
                     log: Callable[[str], None] = print) -> dict[str, dict[str, float]]:
    """Run every step once (warm-up, untimed), then ``repeats`` rounds of all of them in turn.
    Returns ``{name: {"median_s", "min_s", "cpu_s"}}`` (median wall, fastest wall, median process CPU)."""
    wall: dict[str, list[float]] = {name: [] for name in steps}
    cpu: dict[str, list[float]] = {name: [] for name in steps}
    for rep in range(repeats + 1):               # rep 0 is the warm-up
        for name, step in steps.items():
            _sync(device)
            t0, c0 = time.perf_counter(), time.process_time()
            step()
            _sync(device)
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            log(f"  {'warm-up' if rep == 0 else f'rep {rep}':8s} {name:14s} {dt:8.3f} s wall {dc:8.3f} s CPU")
            if rep:
                wall[name].append(dt)
                cpu[name].append(dc)
    return {name: {"median_s": round(statistics.median(wall[name]), 4), "min_s": round(min(wall[name]), 4),
                   "cpu_s": round(statistics.median(cpu[name]), 4)} for name in steps}


def log_table(stats: dict[str, dict[str, float]], labels: dict[str, str], log: Callable[[str], None],
              extra: dict[str, str] | None = None) -> None:
    """Log the :func:`time_alternating` statistics as a table, one row per variant (``labels[name]``),
    with an optional last column ``extra[name]``."""
    width = max(len(label) for label in labels.values()) + 2
    log(f"{'variant':{width}s} {'median wall':>12s} {'min wall':>10s} {'median CPU':>11s}")
    for name, s in stats.items():
        log(f"{labels[name]:{width}s} {s['median_s']:10.3f} s {s['min_s']:8.3f} s {s['cpu_s']:9.3f} s "
            f"{(extra or {}).get(name, '')}")


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(device: torch.device) -> dict:
    """Where and how the numbers were taken: CPU model and cores, torch threads, OpenMP wait policy,
    the 1-minute load average before the run (other processes sharing the cores), GPU name."""
    info = {"cpu": cpu_model(), "cpu_cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "platform": platform.platform()}
    if hasattr(os, "getloadavg"):
        info["load_avg_1min_before"] = round(os.getloadavg()[0], 2)
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def record(device: torch.device) -> dict:
    """``command``, ``machine``, ``torch``, ``date`` and ``git_commit`` for a result JSON; call it before
    the measurement (the load average it records is the one the run started under)."""
    wait = os.environ.get("OMP_WAIT_POLICY")          # the scripts default it to PASSIVE; another value was chosen
    env = [f"OMP_WAIT_POLICY={wait}"] if wait and wait != "PASSIVE" else []
    return {"command": " ".join([*env, "python", *sys.argv]), "machine": machine(device), "torch": torch.__version__,
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "git_commit": git_commit(short=True)}
