"""End to end, in real sandboxed kernels: `python -m tinysr.assignments grade` on submissions made from the a4
handout (solved, unsolved, checks replaced by `assert True`, solutions that call tinysr.metrics, a solution
that reads the teacher's solution notebook and tries to change the teacher's files, a rigged float, a
scratch cell that kills the kernel), and the kernel runner's error, time-limit and dead-kernel handling.

One `grade` run (a module fixture) grades them all; each test reads its own rows. The solutions are graded
from a copy (`--source`), so a sandbox that failed could not damage the repository's notebooks."""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tinysr.assignments import STUB, build, run_in_kernel

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "notebooks" / "assignments" / "a4_psnr_y.ipynb"

READER = '''import json, os, subprocess
from pathlib import Path
from tinysr.commands.notebooks import course_dir

found = None
for place in (lambda: course_dir() / "assignments", lambda: Path({repo!r}) / "notebooks" / "assignments",
              lambda: Path({source!r})):
    try:
        found = json.load(open(place() / "a4_psnr_y.ipynb"))
        break
    except Exception as exc:
        print("no luck:", type(exc).__name__, exc)
for attempt in (lambda: os.remove(Path({source!r}) / "a4_psnr_y.ipynb"),
                lambda: open(Path({source!r}) / "planted.txt", "w").write("x"),
                lambda: subprocess.run(["cat", str(Path({source!r}) / "a4_psnr_y.ipynb")], capture_output=True)):
    try:
        attempt()
    except Exception as exc:
        print("no luck:", type(exc).__name__, exc)
if found:
    with open("teacher.py", "w") as f:
        f.write("import numpy as np\\n" + "\\n".join("".join(c["source"]) for c in found["cells"]
                                                   if c["metadata"].get("tinysr", {{}}).get("role") == "solution"))
from teacher import rgb_to_y, psnr_y
'''
RIGGED = '''Rigged = type("Rigged", (float,), {"__sub__": lambda self, other: Rigged(0.0), "__abs__": lambda self: self,
                                       "__eq__": lambda self, other: True, "__lt__": lambda self, other: True,
                                       "__hash__": float.__hash__})


def psnr_y(img, img2, crop_border):
    return Rigged(0.0)
'''


def _write(nb, path: Path) -> Path:
    nbformat.write(nb, str(path))
    return path


def _submissions(tmp_path: Path, source_copy: Path) -> dict[str, Path]:
    handout_path = [p for p in build(ROOT / "notebooks" / "assignments", tmp_path / "handouts")
                    if p.name == SOURCE.name][0]
    source = nbformat.read(str(SOURCE), as_version=4)
    by_id = {c.get("id"): c for c in source.cells}
    roles = {cid: c.metadata.get("tinysr", {}).get("role") for cid, c in by_id.items()}

    def handout():
        return nbformat.read(str(handout_path), as_version=4)

    def solved():
        nb = handout()
        for c in nb.cells:
            if roles.get(c.get("id")) == "solution":
                c.source = by_id[c.get("id")].source          # what a student who got it right wrote
        return nb

    checks_gone = handout()
    for c in checks_gone.cells:
        if roles.get(c.get("id")) == "check":
            c.source = "assert True"
    cheat = handout()
    calls = {"a4-03": "return rgb2ycbcr(img)", "a4-07": "return calculate_psnr(img, img2, crop_border, test_y_channel=True)"}
    for c in cheat.cells:
        if c.get("id") in calls:
            assert STUB in c.source
            c.source = c.source.replace(STUB, calls[c.get("id")])
    reader = handout()
    next(c for c in reader.cells if c.get("id") == "a4-03").source = READER.format(repo=str(ROOT), source=str(source_copy))
    rigged = solved()
    next(c for c in rigged.cells if c.get("id") == "a4-07").source = RIGGED
    crash = solved()
    scratch = nbformat.v4.new_code_cell("import os\nos._exit(1)   # my scratch cell kills the kernel")
    crash.cells.insert(next(i for i, c in enumerate(crash.cells) if c.get("id") == "a4-06"), scratch)
    folder = tmp_path / "submissions"
    folder.mkdir()
    made = {"solved": solved(), "unsolved": handout(), "assert_true": checks_gone, "cheat": cheat, "reader": reader,
            "rigged": rigged, "crash": crash}
    return {name: _write(nb, folder / f"{name}.ipynb") for name, nb in made.items()}


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("e2e")
    source_copy = tmp_path / "solutions"
    shutil.copytree(ROOT / "notebooks" / "assignments", source_copy)
    before = _snapshot(source_copy), _snapshot(ROOT / "notebooks" / "assignments")
    subs = _submissions(tmp_path, source_copy)
    env = {k: v for k, v in os.environ.items() if k not in ("TINYSR_DATA", "TINYSR_SHARED")}
    env.update(TINYSR_PRESET="smoke", OMP_NUM_THREADS="1", OMP_WAIT_POLICY="PASSIVE")
    out, feedback = tmp_path / "grades.csv", tmp_path / "feedback"
    cmd = [sys.executable, "-m", "tinysr.assignments", "grade", *map(str, subs.values()), "--out", str(out),
           "--feedback", str(feedback), "--timeout", "300", "--source", str(source_copy)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = list(csv.DictReader(out.open()))
    got = {(Path(r["submission"]).stem, r["task"]): (float(r["points"]), float(r["max_points"]), r["flags"]) for r in rows}
    notes = {p.stem: p.read_text() for p in feedback.glob("*.md")}
    return {"rows": rows, "got": got, "notes": notes, "subs": subs, "cmd": cmd, "env": env, "before": before,
            "after": (_snapshot(source_copy), _snapshot(ROOT / "notebooks" / "assignments"))}


def test_grade_cli_on_a4_submissions(graded):
    rows, got, notes, subs = graded["rows"], graded["got"], graded["notes"], graded["subs"]
    assert list(rows[0]) == ["submission", "assignment", "task", "points", "max_points", "flags"]
    assert len(rows) == 2 * len(subs) and all(r["assignment"] == "a4_psnr_y" for r in rows)
    assert got["solved", "rgb_to_y"] == (4, 4, "") and got["solved", "psnr_y"] == (6, 6, ""), got
    for name in ("unsolved", "assert_true"):
        assert got[name, "rgb_to_y"][0] == got[name, "psnr_y"][0] == 0, (name, got)
    for task, oracle in [("rgb_to_y", "rgb2ycbcr"), ("psnr_y", "calculate_psnr")]:
        points, top, flags = got["cheat", task]
        assert points < top and f"forbidden:{oracle}" in flags.split(";"), (task, got["cheat", task])

    assert set(notes) == set(subs), sorted(notes)
    assert "**10 / 10 points**" in notes["solved"] and "failed" not in notes["solved"]
    assert "**failed**: check a4-08" in notes["assert_true"] and "NotImplementedError" in notes["assert_true"]
    assert "**failed**: hidden check" in notes["unsolved"] and "BEGIN HIDDEN" not in notes["unsolved"]
    assert "flagged** (forbidden `calculate_psnr`): cell a4-07, line" in notes["cheat"]
    assert "its code uses the library function it asks you to write" in notes["cheat"]

    again = subprocess.run(graded["cmd"], cwd=ROOT, env=graded["env"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "exists" in again.stderr and "--force" in again.stderr, again.stderr
    assert len(again.stderr.strip().splitlines()) == 1, again.stderr


def test_a_submission_that_reads_the_solutions_gets_nothing_and_is_flagged(graded):
    """It looks through course_dir(), the repository and the --source folder, tries to delete and plant files
    there and to `cat` the solution: the sandbox refuses all of it, the teacher's files are untouched, and
    every task scores 0 with the refusals and the runtime-written module flagged."""
    got, notes = graded["got"], graded["notes"]
    for task in ("rgb_to_y", "psnr_y"):
        points, _, flags = got["reader", task]
        assert points == 0 and {"sandbox:open", "sandbox:os.remove", "sandbox:subprocess.Popen",
                                "module:teacher"} <= set(flags.split(";")), (task, flags)
    assert graded["after"] == graded["before"], "the teacher's folders changed"
    assert "tried to read or change the teacher's files" in notes["reader"]


def test_a_rigged_float_is_refused_in_the_kernel(graded):
    points, _, flags = graded["got"]["rigged", "psnr_y"]
    assert points == 0 and "untrusted:Rigged" in flags.split(";"), flags
    assert graded["got"]["rigged", "rgb_to_y"] == (4, 4, "")


def test_a_scratch_cell_that_kills_the_kernel_costs_nothing_else(graded):
    assert graded["got"]["crash", "rgb_to_y"] == (4, 4, "") and graded["got"]["crash", "psnr_y"] == (6, 6, "")
    assert "DeadKernelError" in graded["notes"]["crash"]


def test_kernel_runner_keeps_going_after_errors_and_stops_at_the_time_limit():
    cells = ["x = 1", "assert x == 2, 'x is not 2'", "y = x + 1", "input()", "import time\nwhile True: time.sleep(0.05)",
             "z = 1"]
    out = run_in_kernel(cells, timeout=5)
    assert [o.status for o in out] == ["ok", "error", "ok", "error", "timeout", "not run"], out
    assert (out[1].ename, out[1].evalue) == ("AssertionError", "x is not 2")
    assert out[3].ename == "StdinNotImplementedError"              # no student input() can hang the grader
    died = run_in_kernel(["import os\nos._exit(1)", "x = 1"], timeout=30)
    assert [o.status for o in died] == ["error", "not run"] and died[0].ename == "DeadKernelError", died
    assert [o.cut_by for o in died] == ["kernel died", "kernel died"] and "kernel died" in died[1].describe()
    assert [o.cut_by for o in out] == ["", "", "", "", "timeout", "timeout"] and "time limit" in out[5].describe()
    recovered = run_in_kernel(["x = 41", "import os\nos._exit(1)", "import time\ntime.sleep(60)", "y = x + 1\nassert y == 42"],
                              timeout=60, recover=True, cell_timeout=3)
    assert [o.status for o in recovered] == ["ok", "error", "timeout", "ok"], recovered
