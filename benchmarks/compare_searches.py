"""Compare two search methods on the same random networks: today's hard-Gumbel search and single path, say.

    python benchmarks/compare_searches.py STUDY_A STUDY_B [--names hard-gumbel,single-path] [--budget 100000]
                                          [--write benchmarks/results/single_path_laptop.json]

``STUDY_A`` and ``STUDY_B`` are `tinysr study` folders (their ``study.json``, or ``study-partial.json`` while one
still runs: the output then says ``"complete": false``, and ``runs/*/search/history.json``)
at the same preset, sets and recipe; B typically reuses A's random retrainings (``--reuse``). Prints a table of
every search seed (judged score, derived ops, top probability per position, the step its derived ops settled)
and one JSON object (``tinysr.study.compare.compare_studies``: each method against random, B - A with its 95%
interval, two-sided permutation p and detectable difference; ``sentence``, its words; ``adoption``, whether B
may replace A by the rule of ``tinysr.study.compare.adoption``, fixed before any comparison ran) with this
command, the commit and the machine;
``--write FILE`` writes it too (the shipped ``benchmarks/results/single_path_laptop.json``). No path of this
machine goes into the file: studies are named by their folder names.
"""
from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
from pathlib import Path

import torch

from tinysr.runstate import git_commit
from tinysr.study.compare import adoption, compare_studies, comparison_sentence
from tinysr.utils import atomic_write_text


def _row(name: str, s: dict) -> str:
    probs = "/".join(f"{p:.2f}" for p in s["top_probs"])
    return (f"{name:12s} {s['id']:24s} {s['score']:7.3f}  {', '.join(s['ops']):44s} {probs:16s} "
            f"{s['settled_from']}/{s['steps']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a", help="study folder of method A")
    p.add_argument("b", help="study folder of method B")
    p.add_argument("--names", default="A,B", help="the two methods' names, comma-separated (default A,B)")
    p.add_argument("--budget", type=int, default=100000, help="the budget compared (default 100000)")
    p.add_argument("--write", metavar="FILE", default=None, help="also write the JSON to FILE")
    args = p.parse_args(argv)
    names = [n.strip() for n in args.names.split(",")]
    if len(names) != 2 or not all(names) or names[0] == names[1]:
        p.error(f"--names needs two distinct names, e.g. hard-gumbel,single-path; got {args.names!r}")
    try:
        out = compare_studies(args.a, args.b, args.budget, names)
    except FileNotFoundError as exc:
        p.error(str(exc))
    if not out["complete"]:
        done = ", ".join(f"{n} {m['jobs_done']} of {m['jobs_planned']}" for n, m in out["methods"].items())
        print(f"PARTIAL: a study still runs ({done} jobs done)", file=sys.stderr)
    for name in names:
        m = out["methods"][name]
        for s in m["seeds"]:
            print(_row(name, s), file=sys.stderr)
        v = m["vs_random"]
        if v:
            print(f"{name}: {v['diff_db']:+.3f} dB vs random (95% {v['ci95'][0]:+.3f}..{v['ci95'][1]:+.3f}, "
                  f"p {v['p_value']:.3g}, n {v['n_searched']} vs {v['n_random']})", file=sys.stderr)
    d = out[f"{names[1]} - {names[0]}"]
    print(f"{names[1]} - {names[0]}: {d['diff_db']:+.3f} dB (95% {d['ci95'][0]:+.3f}..{d['ci95'][1]:+.3f}, "
          f"two-sided p {d['p_value_two_sided']:.3g}, detectable {d['mde_db']:.3f} dB)", file=sys.stderr)
    out["sentence"], out["adoption"] = comparison_sentence(out), adoption(out)
    print(out["sentence"], f"Adopt {names[1]}: {out['adoption']['holds']} ({out['adoption']['rule']})", file=sys.stderr)
    command = ["python", "benchmarks/compare_searches.py", str(args.a), str(args.b),
               "--names", args.names, "--budget", str(args.budget), *(["--write", args.write] if args.write else [])]
    command = [Path(c).name if Path(c).is_absolute() else c for c in command]
    out = {"command": shlex.join(command),
           "studies": [Path(args.a).name, Path(args.b).name], "commit": git_commit(),
           "machine": {"cpu": platform.machine(), "torch": torch.__version__}, **out}
    text = json.dumps(out, indent=1)
    if args.write:
        atomic_write_text(text + "\n", args.write)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
