"""Is a study's short retraining recipe good enough to rank networks? Retrain its networks with a preset's full one.

    python benchmarks/recipe_ranking.py STUDY.json --benchmarks DIR [--budget B] [--kinds random,published]
                                        [--preset laptop] [--jobs 2] [--out DIR] [--json]

A study (``tinysr study``) retrains every network with a recipe shorter than the preset's, to afford tens of
networks. Its verdicts are only as good as the ranking that recipe gives. This script takes the study's runs
of the given kinds (and budget), retrains each genotype with the preset's own retraining recipe (same width,
seed 0, the preset's steps), evaluates the first set of the study with the published protocol, and prints
Kendall's tau-b between the two recipes' PSNRs and the largest rank change: tau near 1 means the short recipe
orders the networks as the full one does. Each retraining is a run folder under ``--out`` (resumable).

The last line is one JSON object with every pair, tau, the command and the machine.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import sys
import time
from pathlib import Path

import torch

from tinysr import Genotype, preset
from tinysr.data.paths import find_benchmarks
from tinysr.evaluate import evaluate
from tinysr.pipeline import load_sets
from tinysr.study.stats import first_set, kendall_tau
from tinysr.train import run_train


def _retrain(job: tuple[dict, str, str, str]) -> dict:
    run, preset_name, out, bench = job
    torch.set_num_threads(1)
    cfg = preset(preset_name)
    genotype = Genotype.from_dict(run["genotype"])
    t0 = time.perf_counter()
    folder = Path(out) / run["id"]
    trained = run_train(genotype, cfg, out=folder, resume=(folder / "checkpoint.pt").exists(), progress=False)
    name = next(iter(run["sets"]))
    sets = load_sets(bench, [name], cfg.data.scale)
    psnr = evaluate(trained.model.eval(), sets, [name], cfg.data.scale)["sets"][name]["psnr"]
    return {"id": run["id"], "kind": run["kind"], "params": run["params"], "short": first_set(run),
            "full": float(psnr), "wall_s": round(time.perf_counter() - t0, 1)}


def _ranks(values: list[float]) -> list[int]:
    order = sorted(range(len(values)), key=lambda i: -values[i])
    ranks = [0] * len(values)
    for r, i in enumerate(order):
        ranks[i] = r + 1
    return ranks


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("study", type=Path)
    ap.add_argument("--benchmarks", type=Path, default=None)
    ap.add_argument("--budget", type=int, default=0, help="only the runs of this budget (0: all)")
    ap.add_argument("--kinds", default="random,published")
    ap.add_argument("--preset", default="laptop")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--out", type=Path, default=Path("runs/recipe_ranking"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    study = json.loads(args.study.read_text())
    bench = args.benchmarks or find_benchmarks()
    if bench is None:
        raise SystemExit("no benchmarks found: pass --benchmarks DIR")
    kinds = set(args.kinds.split(","))
    runs = [r for r in study["runs"] if r["kind"] in kinds and (not args.budget or r["budget"] == args.budget)]
    if len(runs) < 2:
        raise SystemExit(f"{len(runs)} runs of kinds {sorted(kinds)} (budget {args.budget or 'any'}): need >= 2")
    jobs = [(r, args.preset, str(args.out), str(bench)) for r in runs]
    with mp.get_context("spawn").Pool(args.jobs) as pool:
        pairs = pool.map(_retrain, jobs)
    short, full = [p["short"] for p in pairs], [p["full"] for p in pairs]
    tau = kendall_tau(short, full)
    moves = max(abs(a - b) for a, b in zip(_ranks(short), _ranks(full)))
    if not args.json:
        print(f"{'id':24s} {'params':>8s} {'short':>7s} {'full':>7s}")
        for p in sorted(pairs, key=lambda p: -p["full"]):
            print(f"{p['id']:24s} {p['params']:8,d} {p['short']:7.3f} {p['full']:7.3f}")
        print(f"Kendall tau-b (short vs full recipe): {tau if tau is None else round(tau, 3)} over {len(pairs)} "
              f"networks; largest rank change {moves}")
    out = {"study": str(args.study), "preset": args.preset, "budget": args.budget or None, "pairs": pairs,
           "kendall_tau": tau, "largest_rank_change": moves,
           "command": "python benchmarks/recipe_ranking.py " + " ".join(sys.argv[1:] if argv is None else argv),
           "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                       "torch": torch.__version__}}
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
