"""Cheap judges against the study's judge: does a score that costs no training rank networks as retraining does?

    python benchmarks/cheap_judges.py STUDY.json [--budget 100000] [--seeds 3] [--across STUDY2.json]
                                      [--write FILE] [--json]

For the random and searched networks of one budget of a study (``tinysr study``; within one budget the sizes
differ by at most the window, so size cannot carry the ranking), it computes on the networks as retrained (their
width, the study's bicubic skip) at initialisation: parameter count, Multi-Adds, and the zero-cost proxies of
``tinysr.study.proxies`` (grad_norm, synflow, naswot) on one batch of built-in train patches, averaged over
``--seeds`` initialisations; and takes from the study each searched supernet's one-shot estimates of the random
networks. Each is compared with the judged score (PSNR over every benchmark image) by Kendall's tau-b with a
bootstrap 95% interval over the networks (one-shot: per supernet, on the random networks it estimated). For
contrast, ``across_budgets`` correlates parameters and Multi-Adds with the judged score over every budget at once,
of this study or of ``--across`` (a study of several budgets, when this one has a single budget). A partial study
(``study-partial.json``) gives a partial measurement: ``complete`` and ``jobs_done`` of the study are copied.

Prints a table and one JSON object (``--write`` also writes it, the shipped ``cheap_judges_laptop.json``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path

import torch
from judge import emit  # benchmarks/judge.py, beside this script

from tinysr.config import Config
from tinysr.data import PatchSampler
from tinysr.data.photos import builtin_photos
from tinysr.genotype import Genotype
from tinysr.study import bootstrap_tau, kendall_tau, score
from tinysr.study.proxies import proxy_scores


def _tau(x: list[float], y: list[float]) -> dict:
    rows = [[a, b] for a, b in zip(x, y)]
    return {"tau": kendall_tau(x, y), "ci95": bootstrap_tau(rows), "n": len(rows)}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("study", type=Path)
    ap.add_argument("--budget", type=int, default=100_000)
    ap.add_argument("--seeds", type=int, default=3, help="initialisations averaged per proxy")
    ap.add_argument("--batch", type=int, default=16, help="patches in the proxies' batch")
    ap.add_argument("--across", type=Path, default=None, help="study for the across-budget contrast (default: STUDY)")
    ap.add_argument("--write", type=Path, default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    study = json.loads(args.study.read_text())
    every = [r for r in study["runs"] if r["kind"] in ("random", "searched")]
    runs = [r for r in every if r["budget"] == args.budget]
    if len(runs) < 3:
        raise SystemExit(f"{args.study}: {len(runs)} networks at budget {args.budget}; need at least 3")
    wide = json.loads(args.across.read_text()) if args.across else study
    pooled = [r for r in wide["runs"] if r["kind"] in ("random", "searched")]
    if len(wide["budgets"]) < 2:
        raise SystemExit(f"{args.across or args.study}: one budget only; give --across a study of several budgets")
    cfg = Config.from_dict(runs[0]["config"])
    sampler = PatchSampler(builtin_photos("train"), cfg.data.scale, cfg.train.hr_patch, args.batch, seed=0)
    batch = sampler.next_batch()
    genotypes = [Genotype.from_dict(r["genotype"]) for r in runs]
    per_seed = [proxy_scores(genotypes, batch, scale=cfg.data.scale, bicubic_skip=cfg.train.bicubic_skip, seed=s)
                for s in range(args.seeds)]
    names = list(per_seed[0][0])
    table = [{"id": r["id"], "kind": r["kind"], "judged": score(r),
              **{n: statistics.fmean(rows[i][n] for rows in per_seed) for n in names}} for i, r in enumerate(runs)]
    judged = [t["judged"] for t in table]
    out = {"budget": args.budget, "networks": len(table), "proxies": {n: _tau([t[n] for t in table], judged)
                                                                      for n in names}}
    by_id = {r["id"]: r for r in runs}
    out["oneshot"] = []
    for r in runs:
        pairs = [(o["psnr"], score(by_id[o["id"]])) for o in r.get("oneshot", []) if o["id"] in by_id]
        if len(pairs) >= 3:
            out["oneshot"].append({"supernet": r["id"], **_tau([p[0] for p in pairs], [p[1] for p in pairs])})
    taus = [o["tau"] for o in out["oneshot"] if o["tau"] is not None]
    out["oneshot_mean_tau"] = statistics.fmean(taus) if taus else None
    # the same costs across every budget of a study: sizes now differ by far more than the window
    every_score = [score(r) for r in pooled]
    train = pooled[0]["config"]["train"]            # the across study's own judge: its recipe and sets
    out["across_budgets"] = {"study": (args.across or args.study).name, "budgets": wide["budgets"],
                             "judge": f"retrained {train['epochs']} x {train['steps_per_epoch']} steps; mean PSNR-Y "
                                      "over every image of " + " + ".join(wide["sets"]),
                             **{n: _tau([float(r[n]) for r in pooled], every_score) for n in ("params", "multi_adds")}}
    kinds = [r["kind"] for r in runs]
    out.update(study=args.study.name, complete=study.get("complete", True),
               jobs_done=study.get("jobs_done", len(study["runs"])), jobs_planned=study.get("jobs_planned"),
               n_random=kinds.count("random"), n_searched=kinds.count("searched"),
               judge="mean PSNR-Y over every image of " + " + ".join(study["sets"]),
               table=table, seeds=args.seeds, batch=args.batch,
               command=shlex.join(["python", "benchmarks/cheap_judges.py", *(sys.argv[1:] if argv is None else argv)]),
               machine={"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                        "torch": torch.__version__}, wall_s=round(time.perf_counter() - t0, 1))
    if not args.json:
        for name, v in out["proxies"].items():
            ci = v["ci95"] and f"[{v['ci95'][0]:+.2f}, {v['ci95'][1]:+.2f}]"
            print(f"{name:11s} tau {v['tau']:+.3f} {ci} over {v['n']} networks", file=sys.stderr)
        for o in out["oneshot"]:
            print(f"one-shot ({o['supernet']}) tau {o['tau']:+.3f} over {o['n']}", file=sys.stderr)
    return emit(out, args.write)


if __name__ == "__main__":
    main()
