"""``tinysr study``: is the search any good? Searched vs random vs published networks at equal budget.

For each parameter budget: K searches (seeds) each retrained, N random networks of the same space within
15% of the budget each retrained once (first seed), and the published dlsr / dlsr_para at the same width
and recipe; all evaluated with the published protocol (``--benchmarks``, else the built-in eval photos).
Writes ``--out``/study.json, study.md and study.png; each run in ``--out``/runs/<id>/ (``--resume``
skips finished ones). ``--jobs J`` runs J jobs in parallel processes; under ``torchrun`` the ranks share
the jobs. The budget penalty's weight is the preset's ``search.lambda_cost`` (must be > 0; ``paper`` has 0:
add ``--set search.lambda_cost=5``). A cheaper recipe for a laptop-scale study, e.g.::

    tinysr study --preset laptop --budgets 60000,100000,200000 --random 5 --set train.epochs=5

``tinysr study --from study.json --rerun ID --out DIR --json`` reruns one run from its stored config
and genotype and prints its entry, so anyone can check a number.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from ._common import add_config_args, config_from_args, print_json, shared

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("study", help="searched vs random vs published networks at equal budget",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                       parents=shared("json"))
    add_config_args(p)
    p.add_argument("--budgets", default=None, metavar="B1,B2,...",
                   help="parameter budgets at the retraining width, e.g. 60000,100000,200000")
    p.add_argument("--seeds", type=int, default=1, metavar="K", help="searches per budget (seeds seed..seed+K-1)")
    p.add_argument("--random", type=int, default=10, metavar="N", help="random networks per budget (default 10)")
    p.add_argument("--benchmarks", metavar="DIR", default=None,
                   help="benchmark root (Set5/Set14/B100, EDSR layout), or 'auto': the data rule's benchmarks/ "
                        "(recorded as 'auto', so the study's files name no path of this machine); default: the "
                        "built-in eval photos")
    p.add_argument("--out", default="runs/study", help="study folder (default: runs/study)")
    p.add_argument("--jobs", type=int, default=1, metavar="J", help="jobs run in parallel processes (default 1)")
    p.add_argument("--resume", action="store_true", help="continue the study in OUT (finished runs are kept)")
    p.add_argument("--reuse", metavar="DIR", action="append", default=[],
                   help="a study or judge folder whose finished retrainings of the same network (same recipe, seed "
                        "and threads; search.* may differ) are copied instead of trained again; repeatable")
    p.add_argument("--partial", action="store_true",
                   help="run nothing: collect the runs of the study in OUT finished so far (same arguments as the "
                        "study) into OUT/study-partial.json and .md, marked partial; works while the study runs")
    p.add_argument("--from", dest="from_json", metavar="STUDY.json", default=None,
                   help="with --rerun: the study.json holding the run")
    p.add_argument("--rerun", metavar="ID", default=None, help="rerun this run of --from into --out")
    p.set_defaults(func=run)


def _budgets(text: str | None) -> list[int]:
    if not text:
        raise ValueError("give the budgets: --budgets B1,B2,... (parameter counts, e.g. 60000,100000)")
    try:
        return [int(float(b)) for b in text.split(",") if b.strip()]
    except ValueError:
        raise ValueError(f"--budgets {text!r}: expected comma-separated parameter counts, e.g. 60000,100000") from None


def _command(args: argparse.Namespace) -> str:
    parts = ["tinysr", "study", "--budgets", args.budgets, "--seeds", str(args.seeds), "--random", str(args.random),
             "--out", str(args.out), "--jobs", str(args.jobs)]
    for flag, value in (("--preset", args.preset), ("--scale", args.scale), ("--data", args.data),
                        ("--seed", args.seed), ("--benchmarks", args.benchmarks), ("--device", args.device)):
        parts += [flag, str(value)] if value is not None else []
    for o in args.overrides:
        parts += ["--set", o]
    for d in args.reuse:
        parts += ["--reuse", Path(d).name if Path(d).is_absolute() else str(d)]
    return shlex.join(parts + (["--resume"] if args.resume else []))


def _rerun(args: argparse.Namespace) -> int:
    from ..pipeline import load_sets
    from ..study import rerun

    if args.from_json is None or args.rerun is None:
        raise ValueError("a rerun needs both --from STUDY.json and --rerun ID")
    path = Path(args.from_json)
    if not path.is_file():
        raise FileNotFoundError(f"--from {path}: no such file (give the study.json a `tinysr study` wrote)")
    try:
        study = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"--from {path} is not JSON ({exc}); give the study.json a `tinysr study` wrote") from None
    if not isinstance(study, dict) or not isinstance(study.get("runs"), list) or \
            not all(isinstance(r, dict) and {"id", "kind", "config", "sets"} <= set(r) for r in study["runs"]):
        raise ValueError(f"--from {path} is not a tinysr study.json: it needs a \"runs\" list whose entries hold id, "
                         "kind, config and sets (the file `tinysr study` writes into --out)")
    bench = args.benchmarks or study.get("benchmarks")
    if study.get("benchmarks") is None and args.benchmarks is not None:
        raise ValueError(f"{path} was evaluated on the built-in eval photos, not benchmarks: drop --benchmarks")
    if bench is not None and bench != "auto" and not Path(bench).is_dir():
        raise FileNotFoundError(f"the study was evaluated on the benchmarks in {bench}, which is not here: "
                                "pass --benchmarks DIR")
    sets = load_sets(bench, tuple(study["sets"]), study["scale"])
    entry = rerun(path, args.rerun, out=args.out, sets=sets, device=args.device)
    old = next(r for r in study["runs"] if r["id"] == args.rerun)
    same = all(entry[k] == old[k] for k in ("genotype", "params", "sets", "supernet", "oneshot"))
    print(f"study: {args.rerun} {'reproduces' if same else 'DIFFERS FROM'} the numbers in {path}", file=sys.stderr)
    if args.json:
        print_json(entry)
    else:
        for name, v in entry["sets"].items():
            print(f"{args.rerun} {name}: {v['psnr']:.4f} dB / {v['ssim']:.4f} (study: {old['sets'][name]['psnr']:.4f})")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.rerun is not None or args.from_json is not None:
        return _rerun(args)
    from ..pipeline import load_sets
    from ..study import run_study
    from ..study.verdict import verdict_sentence

    if args.jobs < 1:
        raise ValueError(f"--jobs {args.jobs}: the number of jobs run at once must be >= 1 (e.g. --jobs 2 on two "
                         "cores)")
    budgets = _budgets(args.budgets)
    args.overrides = [f"search.budget_params={budgets[0]}", *args.overrides]   # a budget so lambda_cost may be set
    cfg = config_from_args(args)
    args.overrides = args.overrides[1:]
    sets = load_sets(args.benchmarks, tuple(cfg.eval.sets), cfg.data.scale)
    study = run_study(cfg, budgets, args.seeds, args.random, out=args.out, sets=sets, benchmarks=args.benchmarks,
                      jobs=args.jobs, resume=args.resume, device=args.device, command=_command(args),
                      reuse=args.reuse, partial=args.partial)
    if study is None:                 # a torchrun rank other than 0
        return 0
    if args.json:
        print_json({k: study[k] for k in ("preset", "budgets", "seeds", "sets", "stats")} | {"out": str(args.out)})
    else:
        for b in study["budgets"]:
            st = study["stats"]["budgets"][str(b)]
            s, r = st["searched"], st["random"]
            mean = "-" if s["mean"] is None else f"{s['mean']:.3f}"
            median = "-" if r["median"] is None else f"{r['median']:.3f}"
            print(f"budget {b:,}: searched mean {mean} dB (n={s['n']}), random median {median} dB (n={r['n']})")
            if st["verdict"] is not None:
                print("  " + verdict_sentence(st["verdict"], b))
    if args.partial:
        print(f"study: PARTIAL, {study['jobs_done']} of {study['jobs_planned']} runs finished: "
              f"{args.out}/study-partial.md", file=sys.stderr)
    else:
        print(f"study: {args.out}/study.md", file=sys.stderr)
    return 0
