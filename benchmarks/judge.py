"""Measure the study's judge: retrain random networks of one budget with several recipes and seeds.

    python benchmarks/judge.py [--preset laptop] [--budget 100000] [--networks 12] [--recipes 1/8,1/4,full]
                               [--seeds 2] [--full-seeds 1] [--noise-networks 3] [--noise-seeds 4]
                               [--full-noise-seeds 2] [--jobs 2] [--out runs/judge] [--write FILE] [--json]

The networks are the study's own random draws at ``--budget`` (``tinysr.study.sample_in_budget`` with the
study's seed rule), so the judge is measured on networks like those it will rank. Every network is retrained
with each recipe (``tinysr.study.judge.RECIPES``: the preset's schedule at a share of its steps) for
``--seeds`` seeds (the full recipe: ``--full-seeds``), and the first ``--noise-networks`` networks get
``--noise-seeds`` seeds of every cheaper recipe (``--full-noise-seeds`` of the full one): the noise floor.
Each training is scored on Set5 + Set14 + B100 together (119 images, found by the data rule, or
``--benchmarks``). Trainings are study jobs in ``--out/runs/<id>/`` (resumable: run again to continue;
finished ones are kept). Order: network by network, so a partial run holds whole networks.

Prints a table and one JSON object (the judge report of ``tinysr.study.judge.judge_report`` with the
command, commit, machine and which trainings are done); ``--write FILE`` also writes it (the shipped
``benchmarks/results/judge_laptop.json``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import torch

from tinysr import preset
from tinysr.config import override
from tinysr.data.paths import find_benchmarks
from tinysr.pipeline import load_sets
from tinysr.runstate import git_commit
from tinysr.study import sample_in_budget
from tinysr.study.jobs import width_of
from tinysr.study.judge import RECIPES, judge_report, pooled_psnr, recipe_overrides
from tinysr.study.runner import run_specs
from tinysr.utils import atomic_write_text

SETS = ("Set5", "Set14", "B100")


def plan(args: argparse.Namespace) -> list[dict]:
    """Every training, network by network: ids ``n<i>-<recipe>-s<seed>`` (recipe ``1/4`` written ``1of4``)."""
    base = preset(args.preset)
    base = override(base, {"search.budget_params": args.budget})
    nets = sample_in_budget(args.budget, args.networks, width_of(base), base.search.cells, base.data.scale,
                            seed=1000003 * args.budget + base.seed)
    specs = []
    for stage in ("main", "noise"):
        for i, g in enumerate(nets):
            for recipe in args.recipes:
                full = recipe == "full"
                n_main = args.full_seeds if full else args.seeds
                n_noise = (args.full_noise_seeds if full else args.noise_seeds) if i < args.noise_networks else 0
                seeds = range(n_main) if stage == "main" else range(n_main, max(n_main, n_noise))
                for s in seeds:
                    cfg = override(base, {**recipe_overrides(base, recipe), "seed": base.seed + s})
                    specs.append({"id": f"n{i:02d}-{recipe.replace('/', 'of')}-s{s}", "kind": "random",
                                  "budget": args.budget, "seed": base.seed + s, "config": cfg.to_dict(),
                                  "genotype": g.to_dict(), "oneshot": [], "network": f"n{i:02d}", "recipe": recipe})
    return specs


def collect(specs: list[dict], root: Path) -> tuple[list[dict], list[dict]]:
    """The finished trainings as judge entries, and their result entries."""
    entries, results = [], []
    for spec in specs:
        path = root / "runs" / spec["id"] / "result.json"
        if path.exists():
            r = json.loads(path.read_text())
            results.append(r)
            entries.append({"id": spec["id"], "network": spec["network"], "recipe": spec["recipe"],
                            "seed": spec["seed"], "score": pooled_psnr(r), "params": r["params"],
                            "genotype_ops": r["genotype"]["ops"], "inputs": r["genotype"]["inputs"],
                            "sets": {k: v["psnr"] for k, v in r["sets"].items()}, "wall_s": r["wall_s"],
                            "threads": r["threads"]})
    return entries, results


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="laptop")
    ap.add_argument("--budget", type=int, default=100_000)
    ap.add_argument("--networks", type=int, default=12)
    ap.add_argument("--recipes", type=lambda v: v.split(","), default=["1/8", "1/4", "full"])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--full-seeds", type=int, default=1)
    ap.add_argument("--noise-networks", type=int, default=3)
    ap.add_argument("--noise-seeds", type=int, default=4)
    ap.add_argument("--full-noise-seeds", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--benchmarks", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("runs/judge"))
    ap.add_argument("--report-only", action="store_true", help="collect what is done; train nothing")
    ap.add_argument("--write", type=Path, default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    bad = [r for r in args.recipes if r not in RECIPES]
    if bad or "full" not in args.recipes:
        raise SystemExit(f"--recipes {','.join(args.recipes)}: use names of {', '.join(RECIPES)}, including full")
    bench = args.benchmarks or find_benchmarks()
    if bench is None:
        raise SystemExit("no benchmarks found: set TINYSR_DATA / TINYSR_SHARED or pass --benchmarks DIR")
    specs = plan(args)
    t0 = time.perf_counter()
    if not args.report_only:
        todo = [s for s in specs if not (args.out / "runs" / s["id"] / "result.json").exists()]
        print(f"judge: {len(specs)} trainings, {len(specs) - len(todo)} done", file=sys.stderr, flush=True)
        args.out.mkdir(parents=True, exist_ok=True)
        run_specs(todo, args.out, load_sets(bench, SETS, 2), args.jobs, True, None)
    entries, results = collect(specs, args.out)
    report = judge_report(entries)
    chosen = report["recipes"].get(report["recipe"], {})
    out = {"recipe": report["recipe"],
           "noise_floor_db": chosen.get("noise", {}).get("std_db"),
           "noise_floor_ci95": chosen.get("noise", {}).get("ci95"), "noise_floor_df": chosen.get("noise", {}).get("df"),
           "reproducibility_tau": chosen.get("reproducibility_tau"),
           "agreement_tau": chosen.get("agreement_tau"), "agreement_ci95": chosen.get("agreement_ci95"),
           "n_networks": len({e["network"] for e in entries}), "score": "mean PSNR-Y over Set5 + Set14 + B100 "
           "together (119 images, x2, the published protocol)", "budget": args.budget, "preset": args.preset,
           "complete": len(entries) == len(specs), "trainings_done": len(entries), "trainings_planned": len(specs),
           "command": shlex.join(["python", "benchmarks/judge.py", *(sys.argv[1:] if argv is None else argv)]),
           "commit": git_commit(), "machine": {"cpu": platform.processor() or platform.machine(),
                                            "cores": os.cpu_count(), "torch": torch.__version__},
           "wall_s_this_call": round(time.perf_counter() - t0, 1),
           "train_wall_s": round(sum(e["wall_s"] for e in entries), 1),
           "report": report, "trainings": entries}
    if not args.json:
        print(f"{'id':18s} {'params':>8s} {'score':>7s}", file=sys.stderr)
        for e in entries:
            print(f"{e['id']:18s} {e['params']:8,d} {e['score']:7.3f}", file=sys.stderr)
        for name, r in report["recipes"].items():
            print(f"{name:5s} networks {r['n_networks']:2d} noise {r['noise']['std_db']} repro tau "
                  f"{r['reproducibility_tau']} agreement tau {r['agreement_tau']} {r['agreement_ci95']}",
                  file=sys.stderr)
    return emit(out, args.write)


def emit(out: dict, write: Path | None) -> dict:
    """Print ``out`` as one JSON line and, with ``write``, write it (indented) to that file atomically."""
    if write:
        atomic_write_text(json.dumps(out, indent=1) + "\n", write)
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
