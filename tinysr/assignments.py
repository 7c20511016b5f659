"""Student versions of the assignment notebooks, made by stripping the marked solutions (nbgrader style).

The solution notebooks in ``notebooks/assignments/`` are the source of truth: they run, and their check
cells pass (``make test`` executes them with nbval). A solution is the lines of a cell between two
marker lines::

    def psnr_y(img, img2, crop_border):
        # signature, docstring and comments above the region stay
        ### BEGIN SOLUTION
        ... the teacher's code ...
        ### END SOLUTION

In the student version the region, markers included, becomes ``raise NotImplementedError("your code
here")`` at the indentation of its ``### BEGIN SOLUTION`` line, so signatures, docstrings and check
cells are kept and every check that uses the function fails until the student writes it. In a markdown
cell the region becomes ``YOUR ANSWER HERE``. Outputs and execution counts are cleared.

Markers must come in pairs inside one cell, unnested; anything else raises
:class:`SolutionMarkerError` naming the notebook, the cell and the line. A notebook with no region is
refused too (its "student version" would be the solution).

CLI (from the repository root)::

    python -m tinysr.assignments build [--src notebooks/assignments] [--out build/assignments]

The default output is **outside** ``notebooks/`` on purpose: ``make test`` runs every notebook under
``notebooks/`` with nbval, and unsolved student versions fail by design. ``build/`` is git-ignored.
"""
from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Sequence

__all__ = ["BEGIN", "END", "STUB", "MARKDOWN_STUB", "SolutionMarkerError", "strip_solutions", "count_solutions",
           "build", "main", "DEFAULT_SRC", "DEFAULT_OUT"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = 'raise NotImplementedError("your code here")'
MARKDOWN_STUB = "YOUR ANSWER HERE"
DEFAULT_SRC = Path("notebooks") / "assignments"
DEFAULT_OUT = Path("build") / "assignments"


class SolutionMarkerError(ValueError):
    """A solution region is unbalanced (a BEGIN without END, an END without BEGIN, nested) or missing."""


def _marker(line: str) -> str | None:
    text = line.strip()
    if text.startswith(BEGIN):
        return BEGIN
    if text.startswith(END):
        return END
    return None


def _strip_source(source: str, cell_type: str, where: str) -> tuple[str, int]:
    """Replace each solution region of one cell's source; return the new source and the region count."""
    out: list[str] = []
    regions = 0
    open_at: int | None = None         # 1-based line of the pending BEGIN
    for lineno, line in enumerate(source.splitlines(keepends=True), start=1):
        kind = _marker(line)
        if kind == BEGIN:
            if open_at is not None:
                raise SolutionMarkerError(f"{where}, line {lineno}: '{BEGIN}' inside the region opened at line "
                                          f"{open_at}; close it with '{END}' first (regions cannot nest)")
            open_at = lineno
            indent = line[:len(line) - len(line.lstrip())]
            newline = "\n" if line.endswith("\n") else ""
            out.append((indent + STUB if cell_type == "code" else indent + MARKDOWN_STUB) + newline)
        elif kind == END:
            if open_at is None:
                raise SolutionMarkerError(f"{where}, line {lineno}: '{END}' without a '{BEGIN}' before it in "
                                          "this cell; add the BEGIN marker or delete this line")
            open_at = None
            regions += 1
            if out and not line.endswith("\n"):   # END was the last line: no trailing newline after the stub
                out[-1] = out[-1].rstrip("\n")
        elif open_at is None:
            out.append(line)
    if open_at is not None:
        raise SolutionMarkerError(f"{where}, line {open_at}: '{BEGIN}' is never closed; add '{END}' in the "
                                  "same cell (a region cannot span cells)")
    return "".join(out), regions


def _strip(nb, name: str):
    student = copy.deepcopy(nb)
    regions = 0
    for index, cell in enumerate(student.cells):
        if cell.cell_type in ("code", "markdown"):
            src = cell.source if isinstance(cell.source, str) else "".join(cell.source)
            cell.source, n = _strip_source(src, cell.cell_type, f"{name}: cell {index} ({cell.cell_type})")
            regions += n
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return student, regions


def strip_solutions(nb, name: str = "notebook"):
    """A student copy of notebook ``nb`` (an ``nbformat`` v4 ``NotebookNode``; ``nb`` is not modified):
    every solution region replaced by the stub, outputs and execution counts cleared.

    ``name`` only labels errors: ``SolutionMarkerError("a1.ipynb: cell 4 (code), line 7: ...")``; cells are
    numbered from 0 over all cells, lines from 1."""
    return _strip(nb, name)[0]


def count_solutions(nb, name: str = "notebook") -> int:
    """Number of solution regions in ``nb`` (validates the markers as :func:`strip_solutions` does)."""
    return _strip(nb, name)[1]


def build(src: str | Path = DEFAULT_SRC, dst: str | Path = DEFAULT_OUT) -> list[Path]:
    """Write the student version of every ``*.ipynb`` directly in ``src`` to ``dst`` (same file names);
    return the written paths, sorted. Other files in ``dst`` are left alone.

    Every notebook is checked before anything is written, so a marker error leaves ``dst`` untouched.
    Raises ``FileNotFoundError`` (no ``src`` folder / no notebook in it), ``ValueError`` (``dst`` is ``src``:
    that would overwrite the solutions) and :class:`SolutionMarkerError`."""
    import nbformat

    src, dst = Path(src), Path(dst)
    if not src.is_dir():
        raise FileNotFoundError(f"assignment folder {src} does not exist; run from the repository root or "
                                "pass --src DIR")
    sources = sorted(p for p in src.glob("*.ipynb") if p.is_file())
    if not sources:
        raise FileNotFoundError(f"no .ipynb notebooks in {src}; pass --src DIR with the solution notebooks")
    if dst.resolve() == src.resolve():
        raise ValueError(f"output folder {dst} is the solution folder {src}: the student versions would "
                         "overwrite the solutions; pick another --out (default: build/assignments)")
    students = []
    for path in sources:
        nb = nbformat.read(str(path), as_version=4)
        student, regions = _strip(nb, path.name)
        if regions == 0:
            raise SolutionMarkerError(f"{path.name}: no '{BEGIN}' region in any cell, so the student version "
                                      f"would be the solution; mark the code to remove with '{BEGIN}' / "
                                      f"'{END}', or move the notebook out of {src}")
        nbformat.validate(student)
        students.append((dst / path.name, student))
    dst.mkdir(parents=True, exist_ok=True)
    for target, student in students:
        nbformat.write(student, str(target))
    return [target for target, _ in students]


def _regions_written(path: Path) -> int:
    import nbformat

    cells = nbformat.read(str(path), as_version=4).cells
    return sum(line.strip() in (STUB, MARKDOWN_STUB) for cell in cells for line in cell.source.splitlines())


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tinysr.assignments build [--src DIR] [--out DIR]``; prints one line per notebook written."""
    parser = argparse.ArgumentParser(prog="python -m tinysr.assignments",
                                     description="Make the student versions of the assignment notebooks "
                                                 "by stripping the '### BEGIN/END SOLUTION' regions.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="write student notebooks (solutions stripped, outputs cleared)")
    p.add_argument("--src", default=str(DEFAULT_SRC),
                   help=f"folder of solution notebooks (default: {DEFAULT_SRC})")
    p.add_argument("--out", default=str(DEFAULT_OUT),
                   help=f"folder for the student notebooks (default: {DEFAULT_OUT}; keep it outside "
                        "notebooks/, which `make test` executes)")
    args = parser.parse_args(argv)
    try:
        written = build(args.src, args.out)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        regions = _regions_written(path)
        print(f"wrote {path} ({regions} solution region{'s' if regions != 1 else ''} stripped)")
    print(f"{len(written)} student notebook{'s' if len(written) != 1 else ''} in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
