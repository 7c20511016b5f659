"""Ship a study: copy its study.json into benchmarks/results/ with portable paths, and write its .md and .png there.

    python benchmarks/ship_study.py STUDY.json NAME      # -> benchmarks/results/NAME.json, NAME.md, NAME.png

A shipped file must name no path of the machine it ran on: the benchmark folder becomes ``auto`` (the data
rule's ``benchmarks/``, the same folder on any machine that has the data: ``tinysr study --benchmarks auto``),
``--out`` folders become relative, and every run's ``rerun`` command reads the shipped copy. What was changed
is recorded under ``"portable"``. The Markdown and the figure are written by ``tinysr.study.write_study_md``
from the numbers (statistics recomputed from the runs).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from tinysr.data.paths import find_benchmarks
from tinysr.study import write_study_md
from tinysr.study.runner import rerun_command
from tinysr.study.summary import verdict_and_stats
from tinysr.utils import atomic_write_text

RESULTS = Path(__file__).resolve().parent / "results"


def portable(study: dict, name: str) -> dict:
    """``study`` with machine paths replaced (module docstring)."""
    bench, changed = study.get("benchmarks"), []
    if bench not in (None, "auto"):
        found = find_benchmarks(study["sets"][0])
        if found is None or Path(bench).resolve() != found.resolve():
            raise SystemExit(f"{bench} is not the data rule's benchmarks folder here ({found}); cannot make it 'auto'")
        changed.append("--benchmarks <this machine's path of the data root's benchmarks/> -> auto (the same folder)")
        study["command"] = study["command"].replace(f"--benchmarks {bench}", "--benchmarks auto")
        study["benchmarks"] = "auto"
    out = re.search(r"--out (\S+)", study["command"])
    if out and Path(out[1]).is_absolute():
        changed.append(f"--out <an absolute folder> -> runs/{name}")
        study["command"] = study["command"].replace(f"--out {out[1]}", f"--out runs/{name}")
    shipped = f"benchmarks/results/{name}.json"
    for r in study["runs"]:
        r["rerun"] = rerun_command(shipped, r["id"], study["benchmarks"])
    if changed:
        study["portable"] = changed + [f"every run's rerun command reads {shipped}"]
    # today's tinysr's statistics, from the runs; the verdict before the runs, as a study writes it
    rest = {k: v for k, v in study.items() if k not in ("verdict", "stats", "runs")}
    return {**rest, **verdict_and_stats(study["runs"], study["budgets"]), "runs": study["runs"]}


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        raise SystemExit(__doc__)
    study = portable(json.loads(Path(args[0]).read_text()), args[1])
    text = json.dumps(study, indent=1)
    if "/work/" in text or "/home/" in text or "/tmp/" in text:
        raise SystemExit("a machine path is still in the study; check its fields before shipping it")
    atomic_write_text(text + "\n", RESULTS / f"{args[1]}.json")
    print(write_study_md(RESULTS, study, name=args[1]))


if __name__ == "__main__":
    main()
