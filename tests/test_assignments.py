"""Assignment sources and handouts: the markers (near misses are errors, Unicode look-alikes included), the
grading metadata (validated), written answers, the solution notebooks' conventions, and the handouts written by
`python -m tinysr.assignments build` (and by setup.py, without nbformat: tests/test_wheel.py opens the wheel).

The solution notebooks are executed by `make test` (nbval over notebooks/, hidden checks included);
grading is tested in tests/test_grading.py (in process) and tests/test_grading_e2e.py (kernels)."""
from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from tinysr.assignments import (
    ANSWER_STUB,
    BEGIN,
    END,
    HIDDEN_BEGIN,
    HIDDEN_END,
    STUB,
    AssignmentSpecError,
    SolutionMarkerError,
    build,
    count_solutions,
    handout,
    handout_json,
    load_specs,
    read_spec,
    strip_solutions,
)

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "notebooks" / "assignments"
SOLUTIONS = sorted(SRC.glob("*.ipynb"))
build_module = importlib.import_module("tinysr.assignments.build")   # the module (the package exports build())
MARKERS = (BEGIN, END, HIDDEN_BEGIN, HIDDEN_END)


def _cell(source: str, cid: str, **meta):
    cell = new_code_cell(source)
    cell["id"] = cid
    if meta:
        cell.metadata["tinysr"] = meta
    return cell


def _demo_notebook() -> nbformat.NotebookNode:
    """A tiny graded source: one task with a solution cell, a visible and a hidden check."""
    intro = new_markdown_cell("# Demo")
    intro["id"] = "intro"
    solution = _cell("def f(x):\n    \"\"\"Twice x.\"\"\"\n"
                     f"    {BEGIN}\n    y = 2 * x\n    return y\n    {END}\n\n{BEGIN}\nCONSTANT = 3\n{END}",
                     "sol", role="solution", task="double", points=2)
    solution.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    solution.execution_count = 4
    check = _cell(f"# Check: f doubles\nassert f(2) == 4\n{HIDDEN_BEGIN}\nassert f(-1) == -2\n{HIDDEN_END}",
                  "chk", role="check", task="double")
    hidden = _cell(f"# Check: f doubles floats\n{HIDDEN_BEGIN}\nassert f(0.5) == 1.0\n{HIDDEN_END}",
                   "hid", role="check", task="double")
    return new_notebook(cells=[intro, solution, check, hidden], metadata={"tinysr": {"assignment": "demo"}})


# -- markers ------------------------------------------------------------------------------------------------
def test_strip_stubs_solutions_and_removes_hidden_tests():
    nb = _demo_notebook()
    student = strip_solutions(nb, "demo.ipynb")
    assert [c.get("id") for c in student.cells] == ["intro", "sol", "chk"]       # the hidden-only check is gone
    code = student.cells[1]
    assert code.source == 'def f(x):\n    """Twice x."""\n    ' + STUB + "\n\n" + STUB
    assert code.outputs == [] and code.execution_count is None
    assert student.cells[2].source == "# Check: f doubles\nassert f(2) == 4\n"    # hidden part removed
    assert "2 * x" not in str(student) and "f(-1)" not in str(student) and "0.5" not in str(student)
    assert not any(m in str(student) for m in MARKERS)
    assert nb.cells[1].outputs and BEGIN in nb.cells[1].source                   # the input is not modified
    assert count_solutions(nb) == 2
    assert student.metadata["tinysr"] == {"assignment": "demo"}                  # kept: identifies submissions
    nbformat.validate(student)


UNICODE_GAPS = ["\u00a0", "\u202f", "\u2003", "\u3000", "\u200b", " \u200b", "\u2060", "\ufeff"]


def _near_misses(marker: str) -> list[str]:
    """Lines a person might type (or paste) for ``marker``: wrong number of '#', other case, spacing, glued
    words, and Unicode look-alikes between the words (no-break, narrow, em and ideographic spaces, zero-width
    space and joiner, byte-order mark) or a full-width '#'."""
    words = marker[4:]
    first, rest = words.split(" ", 1)
    return [f"#### {words}", f"## {words}", f"# {words}", f"###{words}", f"###  {words}",
            f"### {words.replace(' ', '  ')}", f"### {words.lower()}", f"### {words.title()}",
            f"### {words.replace(' ', '_')}", f"{marker} here", f"{marker}S", f"x = 1  {marker}",
            f"###\t{words}", f"\uff03\uff03\uff03 {words}", f"\u200b{marker}"] + \
        [f"###{gap}{words}" for gap in UNICODE_GAPS] + [f"### {first}{gap}{rest}" for gap in UNICODE_GAPS]


@pytest.mark.parametrize("marker", MARKERS)
def test_every_near_miss_marker_is_an_error_naming_notebook_cell_and_line(marker):
    misses = _near_misses(marker)
    assert len(set(misses)) == len(misses) >= 30
    for line in misses:
        nb = new_notebook(cells=[new_markdown_cell("# Demo"), new_code_cell(f"a = 1\n    {line}\nb = 2")])
        nb.cells[1]["id"] = "c1"
        with pytest.raises(SolutionMarkerError, match=r"demo\.ipynb: cell 1 \(code, id c1\), line 2: .*looks like "
                                                      r"a marker but is not exactly") as err:
            strip_solutions(nb, "demo.ipynb")
        assert repr(line.strip()) in str(err.value), (line, str(err.value))


@pytest.mark.parametrize("make", [new_markdown_cell, new_raw_cell], ids=["markdown", "raw"])
@pytest.mark.parametrize("marker", MARKERS)
def test_markers_in_markdown_or_raw_cells_are_errors(make, marker):
    nb = new_notebook(cells=[new_code_cell("x = 1"), make(f"Answer:\n\n{marker}\nBecause.")])
    kind = "markdown" if make is new_markdown_cell else "raw"
    with pytest.raises(SolutionMarkerError, match=rf"demo\.ipynb: cell 1 \({kind}.*\), line 3: marker-like text "
                                                  rf"'{re.escape(marker)}' in a {kind} cell"):
        strip_solutions(nb, "demo.ipynb")


@pytest.mark.parametrize("source, where", [
    (f"x = 1\n{BEGIN}\ny = 2", r"line 2: '### BEGIN SOLUTION' is never closed"),
    (f"x = 1\n{END}\n", r"line 2: '### END SOLUTION' without a '### BEGIN SOLUTION'"),
    (f"{BEGIN}\n{BEGIN}\n{END}\n{END}", r"line 2: '### BEGIN SOLUTION' inside the region opened at line 1"),
    (f"{BEGIN}\n{HIDDEN_BEGIN}\n{HIDDEN_END}\n{END}", r"line 2: '### BEGIN HIDDEN TESTS' inside the region"),
    (f"{HIDDEN_BEGIN}\nx = 1\n{END}",
     r"line 3: '### END SOLUTION' without .* '### BEGIN HIDDEN TESTS' region of line 1"),
])
def test_unbalanced_markers_raise_naming_notebook_cell_and_line(source, where):
    nb = new_notebook(cells=[new_markdown_cell("# Demo"), new_code_cell(source)])
    with pytest.raises(SolutionMarkerError, match=r"demo\.ipynb: cell 1 \(code.*\), " + where):
        strip_solutions(nb, "demo.ipynb")


def test_a_region_cannot_span_two_cells():
    nb = new_notebook(cells=[new_code_cell(f"{BEGIN}\nx = 1"), new_code_cell(f"y = 2\n{END}")])
    with pytest.raises(SolutionMarkerError, match=r"demo\.ipynb: cell 0 \(code.*\), line 1: .* never closed"):
        strip_solutions(nb, "demo.ipynb")


def test_a_no_break_space_marker_is_caught_by_build_and_grade(tmp_path):
    """A second solution region whose markers were pasted from a web page (U+00A0 between the words) used to be
    neither a marker nor a near miss: the build copied it into the handout and exited 0. Now build, the grader's
    load of the sources and the CLI all refuse it, naming the character."""
    nb = _demo_notebook()
    nb.cells[1].source += "\n\n###\u00a0BEGIN SOLUTION\nSECRET = 41 + 1\n###\u00a0END SOLUTION\n"
    src = tmp_path / "src"
    src.mkdir()
    nbformat.write(nb, str(src / "demo.ipynb"))
    said = r"demo\.ipynb: cell 1 \(code, id sol\), line 12: .*looks like a marker .*U\+00A0 NO-BREAK SPACE"
    with pytest.raises(SolutionMarkerError, match=said):
        build(src, tmp_path / "out")
    with pytest.raises(SolutionMarkerError, match=said):
        load_specs([src / "demo.ipynb"])
    assert not (tmp_path / "out").exists()
    done = subprocess.run([sys.executable, "-m", "tinysr.assignments", "build", "--source", str(src), "--out",
                           str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "U+00A0" in done.stderr and "SECRET" not in done.stdout, done.stderr
    assert not (tmp_path / "out").exists()


def _answer_cell(text: str = "Because two times x is x plus x.", cid: str = "ans"):
    cell = new_markdown_cell(f"**Your answer:**\n\n{BEGIN}\n{text}\n{END}")
    cell["id"] = cid
    cell.metadata["tinysr"] = {"role": "answer", "task": "why", "points": 1}
    return cell


def test_a_written_answer_is_stubbed_in_the_handout_and_declared_in_the_spec():
    nb = _demo_notebook()
    nb.cells.append(_answer_cell())
    spec = read_spec(nb, "demo.ipynb")
    assert list(spec.answers) == ["why"] and spec.answers["why"].points == 1 and spec.max_points == 2
    assert spec.review_points == 1
    student = handout(nb, "demo.ipynb")
    cell = student.cells[-1]
    assert cell.get("id") == "ans" and cell.source == f"**Your answer:**\n\n{ANSWER_STUB}"
    assert "x plus x" not in str(student)
    nb.cells[0].source += f"\n\n{BEGIN}\nleak\n{END}"                # markers in other markdown: still an error
    with pytest.raises(SolutionMarkerError, match="in a markdown cell"):
        handout(nb, "demo.ipynb")


@pytest.mark.parametrize("change, message", [
    (lambda c: setattr(c, "source", "no region"), r"exactly one '### BEGIN SOLUTION' region"),
    (lambda c: setattr(c, "source", f"{HIDDEN_BEGIN}\nx\n{HIDDEN_END}"), r"in a markdown cell"),
    (lambda c: c.metadata["tinysr"].update(points=0), r"needs \"points\": a number > 0"),
    (lambda c: c.metadata["tinysr"].update(task="double"), r"names both a task and a written answer"),
])
def test_bad_written_answers_are_errors(change, message):
    nb = _demo_notebook()
    nb.cells.append(_answer_cell())
    change(nb.cells[-1])
    with pytest.raises(SolutionMarkerError, match=message):
        read_spec(nb, "demo.ipynb")


def test_handout_json_needs_only_the_standard_library_and_equals_the_nbformat_handout():
    for path in SOLUTIONS:
        text = path.read_text(encoding="utf-8")
        made = nbformat.reads(handout_json(text, path.name), as_version=4)
        nbformat.validate(made)
        assert made == handout(nbformat.reads(text, as_version=4), path.name), path.name
    old = nbformat.writes(_demo_notebook()).replace('"nbformat_minor": 5', '"nbformat_minor": 4')
    with pytest.raises(SolutionMarkerError, match="nbformat >= 4.5"):
        handout_json(old, "demo.ipynb")


def test_without_solutions_the_commands_say_so_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(build_module, "REPO_SRC", tmp_path / "no-repo" / "notebooks" / "assignments")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="a pip install carries the handouts only.*--source DIR"):
        build_module.solution_source()
    assert build_module.solution_source(tmp_path / "mine") == tmp_path / "mine"
    from tinysr.assignments.__main__ import main
    for argv in (["build"], ["grade", str(tmp_path), "--out", str(tmp_path / "g.csv")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: no solution notebooks") and len(err.strip().splitlines()) == 1, err
    handouts = build(SRC, tmp_path / "handouts")                 # a folder of handouts is not a solution folder
    with pytest.raises(AssignmentSpecError, match="is a handout, not a solution notebook"):
        load_specs(handouts)


# -- grading metadata ----------------------------------------------------------------------------------------
def test_read_spec_of_the_demo():
    spec = read_spec(_demo_notebook(), "demo.ipynb")
    assert spec.assignment == "demo" and spec.max_points == 2.0
    task = spec.tasks["double"]
    assert task.solution_id == "sol" and task.check_ids == ["chk", "hid"] and task.defines == {"f", "CONSTANT"}
    assert [(c.id, c.hidden, c.title) for c in spec.cells if c.role == "check"] == \
        [("chk", False, "f doubles"), ("hid", True, "f doubles floats")]


def _broken(change) -> nbformat.NotebookNode:
    nb = _demo_notebook()
    change(nb)
    return nb


@pytest.mark.parametrize("change, message", [
    (lambda nb: nb.metadata.pop("tinysr"), r"notebook metadata needs \"tinysr\": \{\"assignment\""),
    (lambda nb: nb.cells[1].metadata.pop("tinysr"), r"cell 1 .*a solution region belongs in a cell with metadata role"),
    (lambda nb: nb.cells[1].metadata["tinysr"].update(points=0), r"task 'double' needs \"points\": a number > 0"),
    (lambda nb: nb.cells[1].metadata["tinysr"].update(role="bogus"), r"metadata 'tinysr' must be"),
    (lambda nb: nb.cells[1].metadata["tinysr"].update(role="answer"), r"role 'answer' belongs on a markdown cell"),
    (lambda nb: nb.cells[2].metadata["tinysr"].update(task="other"), r"check of task 'other' comes before"),
    (lambda nb: nb.cells.insert(1, nb.cells.pop(2)), r"check of task 'double' comes before that task's solution"),
    (lambda nb: setattr(nb.cells[2], "source", "assert f(2) == 4"), r"a check cell starts with '# Check:"),
    (lambda nb: nb.cells[3].update(id="chk"), r"every cell needs a unique id .*duplicate 'chk'"),
    (lambda nb: setattr(nb.cells[1], "source", "def f(x):\n    " + HIDDEN_BEGIN + "\n    " + HIDDEN_END),
     r"a solution region belongs in a cell with metadata role 'solution'"),
    (lambda nb: nb.cells.__delitem__(slice(2, 4)), r"task 'double' has no check cell"),
])
def test_bad_grading_metadata_is_an_error_naming_the_cell(change, message):
    with pytest.raises(AssignmentSpecError, match=message):
        read_spec(_broken(change), "demo.ipynb")


def test_build_checks_everything_before_writing(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    nbformat.write(_demo_notebook(), str(src / "a_good.ipynb"))
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), str(src / "b_plain.ipynb"))
    with pytest.raises(SolutionMarkerError, match=r"b_plain\.ipynb: no '### BEGIN SOLUTION' region"):
        build(src, out)
    assert not out.exists()                                        # nothing half-written
    nbformat.write(_broken(lambda nb: nb.metadata.pop("tinysr")), str(src / "b_plain.ipynb"))
    with pytest.raises(AssignmentSpecError, match=r"b_plain\.ipynb: notebook metadata needs"):
        build(src, out)
    assert not out.exists()
    with pytest.raises(ValueError, match="would overwrite the solutions"):
        build(src, src)
    (src / "b_plain.ipynb").unlink()
    assert build(src, out) == [out / "a_good.ipynb"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no .ipynb notebooks"):
        build(tmp_path / "empty", tmp_path / "x")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        build(tmp_path / "missing", tmp_path / "x")


# -- the solution notebooks ----------------------------------------------------------------------------------
def _regions(source: str) -> list[str]:
    """The text inside each solution region of one cell's source."""
    return re.findall(rf"^[ \t]*{re.escape(BEGIN)}[^\n]*\n(.*?)^[ \t]*{re.escape(END)}", source, re.M | re.S)


def test_solution_notebooks_follow_the_assignment_conventions():
    assert len(SOLUTIONS) >= 5, f"expected at least 5 assignment notebooks in {SRC}, found {SOLUTIONS}"
    ids = set()
    for path in SOLUTIONS:
        nb = nbformat.read(str(path), as_version=4)
        spec = read_spec(nb, path.name)
        assert spec.assignment == path.stem and spec.assignment not in ids, path.name
        ids.add(spec.assignment)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert nb.cells[0].cell_type == "markdown", f"{path.name}: start with the learning goal"
        assert "tinysr.preset()" in code[0].source, f"{path.name}: the first code cell reads the preset"
        assert all(c.outputs == [] and c.execution_count is None for c in code), f"{path.name}: clear outputs"
        assert len(spec.tasks) >= 2 and spec.max_points == 10, (path.name, spec.max_points)
        assert any(c.hidden for c in spec.cells), f"{path.name}: no hidden check"
        for task in spec.tasks.values():
            at = next(i for i, c in enumerate(nb.cells) if c.get("id") == task.solution_id)
            statement = nb.cells[at - 1]
            said = re.search(r"\((\d+) points?\)", statement.source.splitlines()[0])
            assert statement.cell_type == "markdown" and said and float(said.group(1)) == task.points, \
                f"{path.name}: the heading before cell {task.solution_id} must state '({task.points:g} points)'"
            assert all(region.strip() and "tinysr" not in region for region in _regions(nb.cells[at].source)), \
                f"{path.name}: cell {task.solution_id}'s solution mentions tinysr (the oracle)"
        for answer in spec.answers.values():
            statement = nb.cells[answer.index - 1]
            said = re.search(r"\((\d+) points?, graded by hand\)", statement.source.splitlines()[0])
            assert statement.cell_type == "markdown" and said and float(said.group(1)) == answer.points, path.name
        intro = nb.cells[0].source
        assert "**What the grader ignores, and what it flags.**" in intro and "`%timeit`" in intro and \
            "`!pip install ...`" in intro, f"{path.name}: 'How to work' must say what the grader ignores and flags"


# -- the handouts ----------------------------------------------------------------------------------------------
def test_cli_builds_handouts(tmp_path):
    out = tmp_path / "handouts"
    done = subprocess.run([sys.executable, "-m", "tinysr.assignments", "build", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in sorted(out.glob("*.ipynb"))] == [p.name for p in SOLUTIONS]
    for path in SOLUTIONS:
        assert f"wrote {out / path.name}" in done.stdout
        solution, student = (nbformat.read(str(p), as_version=4) for p in (path, out / path.name))
        spec = read_spec(solution, path.name)
        assert student.metadata["tinysr"] == solution.metadata["tinysr"]
        assert not any(m in str(student) for m in MARKERS), path.name
        kept = {c.get("id"): c for c in student.cells}
        for answer in spec.answers.values():
            assert ANSWER_STUB in kept[answer.cell_id].source, f"{path.name}: the written answer left the handout"
        hidden = {c.id for c in spec.cells if c.hidden}
        assert hidden and not hidden & set(kept), f"{path.name}: a hidden check reached the handout"
        for cell in solution.cells:
            if cell.get("id") in hidden:
                continue
            mine = kept[cell.get("id")]
            for region in _regions(cell.source):
                assert region not in mine.source, f"{path.name}: solution text left in the handout"
            if cell.metadata.get("tinysr", {}).get("role") == "check" and HIDDEN_BEGIN not in cell.source:
                assert mine.source == cell.source, f"{path.name}: a check cell changed"

    again = subprocess.run([sys.executable, "-m", "tinysr.assignments", "build", "--src", str(tmp_path / "none")],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and again.stderr.startswith("error: assignment folder") and \
        len(again.stderr.strip().splitlines()) == 1, again.stderr


def test_the_cli_keeps_the_double_space_it_complains_about(tmp_path, capsys):
    from tinysr.assignments.__main__ import main

    nb = _demo_notebook()
    nb.cells[1].source += "\n\n###  BEGIN SOLUTION\nSECRET = 42\n### END SOLUTION\n"
    src = tmp_path / "src"
    src.mkdir()
    nbformat.write(nb, str(src / "demo.ipynb"))
    assert main(["build", "--source", str(src), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "'###  BEGIN SOLUTION' looks like a marker" in err and len(err.strip().splitlines()) == 1, err
