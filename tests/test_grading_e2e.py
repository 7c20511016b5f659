"""End to end, in real kernels: `python -m tinysr.assignments grade` on submissions made from the a4 handout
(solved, unsolved, checks replaced by `assert True`, solutions that call tinysr.metrics), and the kernel
runner's error, time-limit and dead-kernel handling."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat

from tinysr.assignments import STUB, build, run_in_kernel

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "notebooks" / "assignments" / "a4_psnr_y.ipynb"


def _write(nb, path: Path) -> Path:
    nbformat.write(nb, str(path))
    return path


def _submissions(tmp_path: Path) -> dict[str, Path]:
    handout_path = [p for p in build(ROOT / "notebooks" / "assignments", tmp_path / "handouts")
                    if p.name == SOURCE.name][0]
    source = nbformat.read(str(SOURCE), as_version=4)
    by_id = {c.get("id"): c for c in source.cells}
    roles = {cid: c.metadata.get("tinysr", {}).get("role") for cid, c in by_id.items()}

    def handout():
        return nbformat.read(str(handout_path), as_version=4)

    solved = handout()
    for c in solved.cells:
        if roles.get(c.get("id")) == "solution":
            c.source = by_id[c.get("id")].source          # what a student who got it right wrote
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
    folder = tmp_path / "submissions"
    folder.mkdir()
    return {"solved": _write(solved, folder / "solved.ipynb"), "unsolved": _write(handout(), folder / "unsolved.ipynb"),
            "assert_true": _write(checks_gone, folder / "assert_true.ipynb"), "cheat": _write(cheat, folder / "cheat.ipynb")}


def test_grade_cli_on_a4_submissions(tmp_path):
    subs = _submissions(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("TINYSR_DATA", "TINYSR_SHARED")}
    env.update(TINYSR_PRESET="smoke", OMP_NUM_THREADS="1", OMP_WAIT_POLICY="PASSIVE")
    out, feedback = tmp_path / "grades.csv", tmp_path / "feedback"
    cmd = [sys.executable, "-m", "tinysr.assignments", "grade", *map(str, subs.values()), "--out", str(out),
           "--feedback", str(feedback), "--timeout", "300"]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["submission", "assignment", "task", "points", "max_points", "flags"]
    got = {(Path(r["submission"]).stem, r["task"]): (float(r["points"]), float(r["max_points"]), r["flags"]) for r in rows}
    assert len(rows) == 8 and all(r["assignment"] == "a4_psnr_y" for r in rows)
    assert got["solved", "rgb_to_y"] == (4, 4, "") and got["solved", "psnr_y"] == (6, 6, ""), got
    for name in ("unsolved", "assert_true"):
        assert got[name, "rgb_to_y"][0] == got[name, "psnr_y"][0] == 0, (name, got)
    for task, oracle in [("rgb_to_y", "rgb2ycbcr"), ("psnr_y", "calculate_psnr")]:
        points, top, flags = got["cheat", task]
        assert points < top and f"forbidden:{oracle}" in flags.split(";"), (task, got["cheat", task])

    notes = {p.stem: p.read_text() for p in feedback.glob("*.md")}
    assert set(notes) == set(subs), sorted(notes)
    assert "**10 / 10 points**" in notes["solved"] and "failed" not in notes["solved"]
    assert "**failed**: check a4-08" in notes["assert_true"] and "NotImplementedError" in notes["assert_true"]
    assert "**failed**: hidden check" in notes["unsolved"] and "BEGIN HIDDEN" not in notes["unsolved"]
    assert "flagged** (forbidden `calculate_psnr`): cell a4-07, line" in notes["cheat"]
    assert "its code uses the library function it asks you to write" in notes["cheat"]

    again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "exists" in again.stderr and "--force" in again.stderr, again.stderr
    assert len(again.stderr.strip().splitlines()) == 1, again.stderr


def test_kernel_runner_keeps_going_after_errors_and_stops_at_the_time_limit():
    cells = ["x = 1", "assert x == 2, 'x is not 2'", "y = x + 1", "input()", "import time\nwhile True: time.sleep(0.05)",
             "z = 1"]
    out = run_in_kernel(cells, timeout=5)
    assert [o.status for o in out] == ["ok", "error", "ok", "error", "timeout", "not run"], out
    assert (out[1].ename, out[1].evalue) == ("AssertionError", "x is not 2")
    assert out[3].ename == "StdinNotImplementedError"              # no student input() can hang the grader
    died = run_in_kernel(["import os\nos._exit(1)", "x = 1"], timeout=30)
    assert [o.status for o in died] == ["error", "not run"] and died[0].ename == "DeadKernelError", died
