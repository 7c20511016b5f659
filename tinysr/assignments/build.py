"""Handouts (student versions) of the solution notebooks, made by stripping the marked regions.

The solution notebooks in ``notebooks/assignments/`` are the source of truth: they run, and their check
cells pass (``make test`` executes them with nbval, hidden checks included). In the handout each solution
region becomes ``raise NotImplementedError("your code here")``, each hidden-test region is deleted (a check
cell left without code is dropped), and outputs and execution counts are cleared; cell ids and the
notebook's ``tinysr`` metadata are kept, which is how :mod:`tinysr.assignments.grade` recognises a
submission and restores its checks.

The default output is **outside** ``notebooks/`` on purpose: ``make test`` runs every notebook under
``notebooks/`` with nbval, and unsolved handouts fail by design. ``build/`` is git-ignored.
"""
from __future__ import annotations

import copy
from pathlib import Path

from .markers import SolutionMarkerError, cell_label, has_code, strip_source
from .spec import read_spec

__all__ = ["strip_solutions", "count_solutions", "handout", "build", "solution_notebooks", "DEFAULT_SRC",
           "DEFAULT_OUT"]

DEFAULT_SRC = Path("notebooks") / "assignments"
DEFAULT_OUT = Path("build") / "assignments"


def _strip(nb, name: str):
    student = copy.deepcopy(nb)
    kept, solutions = [], 0
    for index, cell in enumerate(student.cells):
        source, counts = strip_source(cell.source, cell.cell_type, cell_label(name, index, cell))
        solutions += counts["solution"]
        if cell.cell_type == "code":
            if counts["hidden"] and not has_code(source):
                continue                      # a hidden check: the handout does not have it at all
            cell.outputs = []
            cell.execution_count = None
        cell.source = source
        kept.append(cell)
    student.cells = kept
    return student, solutions


def strip_solutions(nb, name: str = "notebook"):
    """A handout copy of notebook ``nb`` (an ``nbformat`` v4 ``NotebookNode``; ``nb`` is not modified):
    solution regions stubbed, hidden tests removed, outputs and execution counts cleared.

    Checks the markers only (see :mod:`tinysr.assignments.markers`); ``name`` labels errors:
    ``SolutionMarkerError("a1.ipynb: cell 4 (code, id a1-04), line 7: ...")``."""
    return _strip(nb, name)[0]


def count_solutions(nb, name: str = "notebook") -> int:
    """Number of solution regions in ``nb`` (validates the markers as :func:`strip_solutions` does)."""
    return _strip(nb, name)[1]


def handout(nb, name: str = "notebook"):
    """The handout of a *graded* solution notebook: :func:`read_spec` validates its grading metadata
    (assignment id, tasks, points, checks), then :func:`strip_solutions`."""
    import nbformat

    read_spec(nb, name)
    student = strip_solutions(nb, name)
    nbformat.validate(student)
    return student


def solution_notebooks(src: str | Path = DEFAULT_SRC) -> list[Path]:
    """The ``*.ipynb`` directly in ``src``, sorted; ``FileNotFoundError`` if there is none."""
    src = Path(src)
    if not src.is_dir():
        raise FileNotFoundError(f"assignment folder {src} does not exist; run from the repository root or "
                                "pass --src DIR")
    sources = sorted(p for p in src.glob("*.ipynb") if p.is_file())
    if not sources:
        raise FileNotFoundError(f"no .ipynb notebooks in {src}; pass --src DIR with the solution notebooks")
    return sources


def build(src: str | Path = DEFAULT_SRC, dst: str | Path = DEFAULT_OUT) -> list[Path]:
    """Write the handout of every ``*.ipynb`` directly in ``src`` to ``dst`` (same file names); return the
    written paths, sorted. Other files in ``dst`` are left alone.

    Every notebook is checked before anything is written, so an error leaves ``dst`` untouched. Raises
    ``FileNotFoundError`` (no ``src`` folder / no notebook in it), ``ValueError`` (``dst`` is ``src``: that
    would overwrite the solutions), :class:`SolutionMarkerError` and ``AssignmentSpecError``."""
    import nbformat

    sources = solution_notebooks(src)
    src, dst = Path(src), Path(dst)
    if dst.resolve() == src.resolve():
        raise ValueError(f"output folder {dst} is the solution folder {src}: the handouts would overwrite "
                         "the solutions; pick another --out (default: build/assignments)")
    students = []
    for path in sources:
        nb = nbformat.read(str(path), as_version=4)
        if count_solutions(nb, path.name) == 0:
            raise SolutionMarkerError(f"{path.name}: no '### BEGIN SOLUTION' region in any cell, so the handout "
                                      "would be the solution; mark the code to remove, or move the notebook "
                                      f"out of {src}")
        students.append((dst / path.name, handout(nb, path.name)))
    dst.mkdir(parents=True, exist_ok=True)
    for target, student in students:
        nbformat.write(student, str(target))
    return [target for target, _ in students]
