"""Handouts (student versions) of the solution notebooks, made by stripping the marked regions.

The solution notebooks in ``notebooks/assignments/`` are the source of truth: they run, and their check
cells pass (``make test`` executes them with nbval, hidden checks included). In the handout each solution
region becomes ``raise NotImplementedError("your code here")`` (in a written-answer cell: an invitation to
answer), each hidden-test region is deleted (a check cell left without code is dropped), and outputs and
execution counts are cleared; cell ids and the notebook's ``tinysr`` metadata are kept, which is how
:mod:`tinysr.assignments.grade` recognises a submission and restores its checks.

The solutions stay in the repository: a built wheel carries the handouts only (``setup.py`` makes them
with :func:`handout_json`, which needs nothing but the standard library, since a wheel build has only
setuptools). :func:`solution_source` finds the repository's folder, or says how to give one.

The default output is **outside** ``notebooks/`` on purpose: ``make test`` runs every notebook under
``notebooks/`` with nbval, and unsolved handouts fail by design. ``build/`` is git-ignored.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from .markers import STUB, SolutionMarkerError, cell_label, has_code, strip_source
from .spec import read_spec

__all__ = ["strip_solutions", "count_solutions", "is_handout", "handout", "handout_json", "build", "solution_notebooks",
           "solution_source", "DEFAULT_SRC", "DEFAULT_OUT", "REPO_SRC"]

DEFAULT_SRC = Path("notebooks") / "assignments"
DEFAULT_OUT = Path("build") / "assignments"
REPO_SRC = Path(__file__).resolve().parents[2] / DEFAULT_SRC      # a checkout or an editable install


def _is_answer(cell) -> bool:
    meta = cell.get("metadata", {}).get("tinysr")
    return cell.get("cell_type") == "markdown" and isinstance(meta, dict) and meta.get("role") == "answer"


def _strip(nb, name: str):
    student = copy.deepcopy(nb)
    kept, solutions = [], 0
    for index, cell in enumerate(student.cells):
        source, counts = strip_source(cell.source, cell.cell_type, cell_label(name, index, cell), _is_answer(cell))
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


def is_handout(nb, name: str = "notebook") -> bool:
    """Whether ``nb`` looks like a handout: no solution region, and a stub in some cell (validates the
    markers; ``name`` labels errors)."""
    return count_solutions(nb, name) == 0 and any(STUB in c.source for c in nb.cells if c.cell_type == "code")


def handout(nb, name: str = "notebook"):
    """The handout of a *graded* solution notebook: :func:`read_spec` validates its grading metadata
    (assignment id, tasks, points, checks), then :func:`strip_solutions`; validated by nbformat when it is
    installed."""
    if is_handout(nb, name):
        raise SolutionMarkerError(f"{name} is a handout already (its solution cells hold {STUB!r}); handouts "
                                  "are made from the solution notebooks, which stay in the repository")
    read_spec(nb, name)
    student = strip_solutions(nb, name)
    try:
        import nbformat
    except ImportError:                  # a wheel build: the standard library only
        return student
    nbformat.validate(student)
    return student


class _Node(dict):
    """A JSON object with attribute access, as ``nbformat.NotebookNode`` (enough for :func:`handout`)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        self[key] = value


def handout_json(text: str, name: str = "notebook") -> str:
    """The handout of the solution notebook JSON ``text`` as notebook JSON, with the standard library only
    (``setup.py`` runs it in a build environment that has setuptools and nothing else)."""
    nb = json.loads(text, object_hook=_Node)
    if nb.get("nbformat") != 4 or nb.get("nbformat_minor", 0) < 5:
        raise SolutionMarkerError(f"{name}: nbformat {nb.get('nbformat')}.{nb.get('nbformat_minor')}; solution "
                                  "notebooks are nbformat >= 4.5 (cells with ids): save it with Jupyter >= 3")
    for cell in nb.cells:
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    return json.dumps(handout(nb, name), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def solution_source(source: str | Path | None = None) -> Path:
    """The folder of solution notebooks: ``source`` when given, else the repository's
    ``notebooks/assignments`` (beside this package in a checkout or an editable install), else
    ``./notebooks/assignments``. A pip-installed tinysr has handouts only: then ``FileNotFoundError``."""
    if source is not None:
        return Path(source)
    for candidate in (REPO_SRC, DEFAULT_SRC):
        if candidate.is_dir() and any(candidate.glob("*.ipynb")):
            return candidate
    raise FileNotFoundError("no solution notebooks: this tinysr has no repository beside it (a pip install "
                            f"carries the handouts only) and there is no ./{DEFAULT_SRC.as_posix()}; run from a "
                            "checkout of the repository, or pass --source DIR with your copy of the solutions")


def solution_notebooks(src: str | Path = DEFAULT_SRC) -> list[Path]:
    """The ``*.ipynb`` directly in ``src``, sorted; ``FileNotFoundError`` if there is none."""
    src = Path(src)
    if not src.is_dir():
        raise FileNotFoundError(f"assignment folder {src} does not exist; run from the repository root or "
                                "pass --source DIR")
    sources = sorted(p for p in src.glob("*.ipynb") if p.is_file())
    if not sources:
        raise FileNotFoundError(f"no .ipynb notebooks in {src}; pass --source DIR with the solution notebooks")
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
                                      "would be the solution (or it is a handout already); mark the code to "
                                      f"remove, or move the notebook out of {src}")
        students.append((dst / path.name, handout(nb, path.name)))
    dst.mkdir(parents=True, exist_ok=True)
    for target, student in students:
        nbformat.write(student, str(target))
    return [target for target, _ in students]
