"""Assignment notebooks: stripping solutions (tinysr.assignments), the solution notebooks' conventions, and
the student versions built by `python -m tinysr.assignments build`, which must *fail* their checks.

The solution notebooks themselves are executed by `make test` (nbval over notebooks/), not here."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tinysr.assignments import BEGIN, END, STUB, SolutionMarkerError, build, count_solutions, strip_solutions

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "notebooks" / "assignments"
SOLUTIONS = sorted(SRC.glob("*.ipynb"))
# Names a solution must not use: the oracle it re-implements (every notebook: no tinysr at all).
FORBIDDEN = {
    "a1_candidate_operation": ("OPS[", "op_cost", "DilConv", "thop", "receptive_field"),
    "a2_mixed_op_and_derive": ("F.softmax", "torch.softmax", "MixedOp", "derive(",
                               "_argmax_first", "_top2_first"),
    "a3_first_order_architect": ("Architect", ".objective("),
    "a4_psnr_y": ("calculate_psnr", "rgb2ycbcr", "_prepare", "_to_gray"),
}


def _demo_notebook() -> nbformat.NotebookNode:
    solution = new_code_cell(
        "def f(x):\n"
        "    \"\"\"Twice x.\"\"\"\n"
        f"    {BEGIN}\n"
        "    y = 2 * x\n"
        "    return y\n"
        f"    {END}\n"
        "\n"
        f"{BEGIN}\n"
        "CONSTANT = 3\n"
        f"{END}")
    solution.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    solution.execution_count = 4
    check = new_code_cell("# Check: f doubles\nassert f(2) == 4")
    answer = new_markdown_cell(f"Why?\n\n{BEGIN}\nBecause.\n{END}")
    return new_notebook(cells=[new_markdown_cell("# Demo"), solution, check, answer])


def _regions(source: str) -> list[str]:
    """The text inside each solution region of one cell's source."""
    return re.findall(rf"^[ \t]*{re.escape(BEGIN)}[^\n]*\n(.*?)^[ \t]*{re.escape(END)}", source, re.M | re.S)


def _code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def _is_check(cell) -> bool:
    return cell.cell_type == "code" and cell.source.lstrip().startswith("# Check:")


# -- strip_solutions / build ---------------------------------------------------------------------------------
def test_strip_replaces_each_region_by_a_stub_at_its_indentation():
    nb = _demo_notebook()
    student = strip_solutions(nb, "demo.ipynb")
    code = student.cells[1]
    assert code.source == ('def f(x):\n    """Twice x."""\n    ' + STUB + "\n\n" + STUB)
    assert code.outputs == [] and code.execution_count is None
    assert student.cells[2].source == nb.cells[2].source            # check cells are untouched
    assert student.cells[3].source == "Why?\n\nYOUR ANSWER HERE"
    assert BEGIN not in str(student) and END not in str(student) and "2 * x" not in str(student)
    assert nb.cells[1].outputs and BEGIN in nb.cells[1].source        # the input notebook is not modified
    assert count_solutions(nb) == 3
    nbformat.validate(student)


@pytest.mark.parametrize("source, where", [
    (f"x = 1\n{BEGIN}\ny = 2", r"line 2: '### BEGIN SOLUTION' is never closed"),
    (f"x = 1\n{END}\n", r"line 2: '### END SOLUTION' without a '### BEGIN SOLUTION'"),
    (f"{BEGIN}\n{BEGIN}\n{END}\n{END}", r"line 2: '### BEGIN SOLUTION' inside the region opened at line 1"),
])
def test_unbalanced_markers_raise_naming_notebook_cell_and_line(source, where):
    nb = new_notebook(cells=[new_markdown_cell("# Demo"), new_code_cell(source)])
    with pytest.raises(SolutionMarkerError, match=r"demo\.ipynb: cell 1 \(code\), " + where):
        strip_solutions(nb, "demo.ipynb")


def test_a_region_cannot_span_two_cells():
    nb = new_notebook(cells=[new_code_cell(f"{BEGIN}\nx = 1"), new_code_cell(f"y = 2\n{END}")])
    with pytest.raises(SolutionMarkerError, match=r"demo\.ipynb: cell 0 \(code\), line 1: .* never closed"):
        strip_solutions(nb, "demo.ipynb")


def test_build_checks_everything_before_writing(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    nbformat.write(_demo_notebook(), str(src / "a_good.ipynb"))
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), str(src / "b_plain.ipynb"))
    with pytest.raises(SolutionMarkerError, match=r"b_plain\.ipynb: no '### BEGIN SOLUTION' region"):
        build(src, out)
    assert not out.exists()                                        # nothing half-written
    with pytest.raises(ValueError, match="would overwrite the solutions"):
        build(src, src)
    (src / "b_plain.ipynb").unlink()
    assert build(src, out) == [out / "a_good.ipynb"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no .ipynb notebooks"):
        build(tmp_path / "empty", tmp_path / "x")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        build(tmp_path / "missing", tmp_path / "x")


# -- the solution notebooks --------------------------------------------------------------------------------
def test_solution_notebooks_follow_the_assignment_conventions():
    assert len(SOLUTIONS) >= 4, f"expected at least 4 assignment notebooks in {SRC}, found {SOLUTIONS}"
    for path in SOLUTIONS:
        nb = nbformat.read(str(path), as_version=4)
        code = _code_cells(nb)
        assert nb.cells[0].cell_type == "markdown", f"{path.name}: start with the learning goal"
        assert "tinysr.preset()" in code[0].source, f"{path.name}: the first code cell reads the preset"
        assert all(c.outputs == [] and c.execution_count is None for c in code), f"{path.name}: clear outputs"
        assert count_solutions(nb, path.name) >= 2, f"{path.name}: too few solution regions"
        checks = [i for i, c in enumerate(nb.cells) if _is_check(c)]
        for i, cell in enumerate(nb.cells):
            if _is_check(cell):
                first = cell.source.lstrip().splitlines()[0]
                assert len(first) > len("# Check: ") + 10 and "assert" in cell.source, (path.name, first)
            if cell.cell_type == "code" and _regions(cell.source):
                assert any(j > i for j in checks), f"{path.name}: cell {i} has a solution but no check after it"
                for region in _regions(cell.source):
                    for name in ("tinysr",) + FORBIDDEN.get(path.stem, ()):
                        assert name not in region, f"{path.name}: cell {i}'s solution uses {name!r} (the oracle)"


# -- the student versions ----------------------------------------------------------------------------------
def test_cli_builds_student_versions_that_fail_their_checks(tmp_path):
    out = tmp_path / "student"
    done = subprocess.run([sys.executable, "-m", "tinysr.assignments", "build", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    built = sorted(out.glob("*.ipynb"))
    assert [p.name for p in built] == [p.name for p in SOLUTIONS]
    for path in SOLUTIONS:
        assert f"wrote {out / path.name}" in done.stdout
        solution, student = (nbformat.read(str(p), as_version=4) for p in (path, out / path.name))
        assert BEGIN not in str(student) and END not in str(student)
        for a, b in zip(solution.cells, student.cells):
            for region in _regions(a.source):
                assert region.strip() and region not in b.source, f"{path.name}: solution text left in the student copy"
            if _is_check(a):
                assert a.source == b.source, f"{path.name}: a check cell changed"

    # Unsolved, every check cell must fail (nbval numbers the code cells from 0).
    env = {**os.environ, "TINYSR_PRESET": "smoke"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rf", "--nbval", "--nbval-current-env",
                          "--nbval-cell-timeout=300", "-p", "no:cacheprovider", "--rootdir", str(out), str(out)],
                         cwd=out, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode != 0, run.stdout[-3000:]
    failed: dict[str, set[int]] = {}
    for name, cell in re.findall(r"^FAILED (?:\S*/)?(\S+?\.ipynb)::Cell (\d+)", run.stdout, re.M):
        failed.setdefault(name, set()).add(int(cell))
    for path in built:
        checks = {i for i, c in enumerate(_code_cells(nbformat.read(str(path), as_version=4))) if _is_check(c)}
        assert checks, path.name
        missing = checks - failed.get(path.name, set())
        assert not missing, f"{path.name}: check cells {sorted(missing)} pass without a solution\n{run.stdout[-3000:]}"
