"""Evaluate the authors' three released x2 checkpoints with tinysr's network and benchmark code.

    python benchmarks/official_eval.py [--official DIR] [--benchmarks DIR] [--sets Set5,Set14,B100] [--json]

Defaults: ``<root>/official`` and ``<root>/benchmarks`` of the first data root that has them, by the one
rule of :mod:`tinysr.data.paths` (``$TINYSR_DATA``, ``./datasets``, ``$TINYSR_SHARED/data``). Prints, per checkpoint
and set, PSNR-Y / SSIM-Y (shave = 2) and the wall-clock seconds of the set (inference + metrics, CPU unless
a GPU is present), plus params and Multi-Adds @720p. The checkpoints are read in place, never copied.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from tinysr.complexity import count_params, multi_adds
from tinysr.data.paths import OFFICIAL_FILES, describe_roots, find_benchmarks, find_official_file
from tinysr.evaluate import evaluate
from tinysr.model import load_official

# The paper's x2 PSNR/SSIM of DLSR (Set5 / Set14 / B100), for the last column.
PUBLISHED_DLSR = {"Set5": (38.04, 0.9606), "Set14": (33.54, 0.9179), "B100": (32.24, 0.9003)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--official", type=Path, default=None, help="folder of the released .pt files")
    p.add_argument("--benchmarks", type=Path, default=None, help="benchmark root (EDSR layout)")
    p.add_argument("--sets", default="Set5,Set14,B100")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = p.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    found = find_official_file("dlsr")
    official = args.official or (found.parent if found else None)
    benchmarks = args.benchmarks or find_benchmarks(sets[0] if sets else "Set5")
    if official is None or benchmarks is None:
        print(f"official_eval: no {'official checkpoints' if official is None else 'benchmarks'} found "
              f"({describe_roots()}); pass --official DIR / --benchmarks DIR", file=sys.stderr)
        return 2
    rows = []
    for gname, fname in OFFICIAL_FILES.items():
        model = load_official(official / fname, gname)
        row = {"genotype": gname, "file": fname, "params": count_params(model),
               "multi_adds": multi_adds(model, 2), "sets": {}}
        for name in sets:
            t0 = time.perf_counter()
            res = evaluate(model, benchmarks, [name], 2)["sets"][name]
            res["seconds"] = round(time.perf_counter() - t0, 1)
            row["sets"][name] = res
            print(f"{gname:10s} {name:6s} {res['psnr']:.3f} / {res['ssim']:.4f}  {res['seconds']:.1f} s",
                  file=sys.stderr)
        rows.append(row)
    if args.json:
        print(json.dumps({"scale": 2, "results": rows}))
        return 0
    head = f"{'model':10s} {'params':>8s} {'MultiAdds':>9s} " + " ".join(f"{s + ' PSNR/SSIM (s)':>27s}" for s in sets)
    print(head)
    for r in rows:
        cells = " ".join(f"{v['psnr']:>8.2f} / {v['ssim']:.4f} ({v['seconds']:>5.1f})".rjust(27)
                         for v in r["sets"].values())
        print(f"{r['genotype']:10s} {r['params']:>8,d} {r['multi_adds'] / 1e9:>8.2f}G {cells}")
    pub = " ".join(f"{PUBLISHED_DLSR[s][0]:>8.2f} / {PUBLISHED_DLSR[s][1]:.4f}".rjust(27) if s in PUBLISHED_DLSR
                   else " " * 27 for s in sets)
    print(f"{'paper DLSR':10s} {322620:>8,d} {67.31:>8.2f}G {pub}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
