"""Seconds per search and retraining step of each course preset on this machine: the numbers behind the cost table.

    python benchmarks/step_times.py [--presets smoke,laptop] [--sample gpu] [--write benchmarks/results/step_times.json]

For each preset of ``--presets`` the preset's whole search and whole retraining run once (``run_search``,
``run_train``, built-in photos, seed 0, no output folder), and the wall time of each is divided by its steps:
warm-up epochs, architecture steps, records, validation and checkpoint-free bookkeeping are inside the average,
as in the chapters. For each preset of ``--sample`` (too long to run whole here, e.g. ``gpu`` on a CPU) a few
iterations of ``Search.step`` (with an architecture step) and ``Trainer.step`` on the preset's batch shapes are
timed after one warm-up iteration (a lower bound: no validation or records).

``--write FILE`` merges the numbers into FILE under this device kind (``cpu``, or ``gpu`` with CUDA/MPS),
keeping the other kinds' entries: ``tinysr.config.course`` reads that file (a shipped result) to print what each
chapter's runs cost. Run it on an otherwise idle machine: the numbers are wall times.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import sys
import time
from pathlib import Path

import torch
from timing import cpu_model  # benchmarks/timing.py, beside this script

from tinysr import preset
from tinysr.data import PatchSampler
from tinysr.data.photos import builtin_photos
from tinysr.genotype import GENOTYPES
from tinysr.runtime.devices import get_device
from tinysr.search import Search, run_search
from tinysr.train import Trainer, build_model, run_train
from tinysr.utils import atomic_write_text


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def whole_runs(name: str) -> dict:
    """Seconds per step of the preset's whole search and whole retraining (the derived genotype)."""
    cfg = preset(name)
    t0 = time.perf_counter()
    searched = run_search(cfg, progress=False)
    search_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_train(searched.genotype, cfg, progress=False)
    train_s = time.perf_counter() - t0
    n_search = cfg.search.epochs * cfg.search.steps_per_epoch
    n_train = cfg.train.epochs * cfg.train.steps_per_epoch
    return {"search": search_s / n_search, "train": train_s / n_train, "how": "whole runs",
            "steps": {"search": n_search, "train": n_train}, "wall_s": {"search": round(search_s, 1),
                                                                          "train": round(train_s, 1)}}


def sampled_steps(name: str, reps: int = 3) -> dict:
    """Seconds per iteration of the preset's search (weight + architecture step) and retraining (DLSR at the
    preset's width), median of ``reps`` after one warm-up iteration."""
    cfg = preset(name)
    s, t = cfg.search, cfg.train
    torch.manual_seed(0)
    search = Search(cfg)
    photos = builtin_photos("train")
    out = {}
    train_b = PatchSampler(photos, cfg.data.scale, s.hr_patch, s.batch_size, seed=0)
    arch_b = PatchSampler(photos, cfg.data.scale, s.hr_patch, s.arch_batch_size or s.batch_size, seed=1)
    times = []
    for _ in range(reps + 1):
        batch, arch = train_b.next_batch(), arch_b.next_batch()
        _sync()
        t0 = time.perf_counter()
        search.step(batch, arch, s.warmup_epochs)
        _sync()
        times.append(time.perf_counter() - t0)
    out["search"] = sorted(times[1:])[len(times[1:]) // 2]
    del search
    trainer = Trainer(build_model(GENOTYPES["dlsr"], cfg).to(get_device()), cfg)
    stream = PatchSampler(photos, cfg.data.scale, t.hr_patch, t.batch_size, seed=2)
    times = []
    for _ in range(reps + 1):
        batch = stream.next_batch()
        _sync()
        t0 = time.perf_counter()
        trainer.step(batch)
        _sync()
        times.append(time.perf_counter() - t0)
    out["train"] = sorted(times[1:])[len(times[1:]) // 2]
    out.update(how=f"median of {reps} iterations after a warm-up (no validation, no records)")
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", type=lambda v: [p for p in v.split(",") if p], default=["smoke", "laptop"])
    ap.add_argument("--sample", type=lambda v: [p for p in v.split(",") if p], default=[])
    ap.add_argument("--label", default=None, help="how the table names this machine (default: CPU model and cores)")
    ap.add_argument("--write", type=Path, default=None)
    args = ap.parse_args(argv)
    dev = get_device()
    kind = "cpu" if dev.type == "cpu" else "gpu"
    name = (torch.cuda.get_device_name() if dev.type == "cuda" else
            f"{cpu_model()}, {os.cpu_count()} cores")
    entry = {"label": args.label or name, "device": name, "date": datetime.date.today().isoformat(),
             "torch": torch.__version__, "threads": torch.get_num_threads(),
             "command": shlex.join(["python", "benchmarks/step_times.py", *(sys.argv[1:] if argv is None else argv)]),
             "presets": {}}
    for p in args.presets:
        entry["presets"][p] = whole_runs(p)
        print(f"{p}: {entry['presets'][p]}", file=sys.stderr, flush=True)
    for p in args.sample:
        entry["presets"][p] = sampled_steps(p)
        print(f"{p}: {entry['presets'][p]}", file=sys.stderr, flush=True)
    if args.write:
        table = json.loads(args.write.read_text()) if args.write.is_file() else {"devices": {}}
        table["what"] = ("seconds per step of each preset's search and retraining, by device kind; read by "
                         "tinysr.config.course for the chapters' cost tables")
        table["devices"][kind] = entry
        table["command"] = entry["command"]      # the last run that wrote the file; each device keeps its own
        atomic_write_text(json.dumps(table, indent=1) + "\n", args.write)
    print(json.dumps(entry))
    return entry


if __name__ == "__main__":
    main()
