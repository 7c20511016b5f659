"""Static checks of the notebooks (they are *run* by nbval: ``make test``).

- every notebook under ``notebooks/`` (assignments included) is committed with outputs cleared and no
  execution counts, so diffs stay readable and no stale or stochastic numbers are stored, and every cell has
  a unique id;
- the 9 numbered chapters ``00_`` .. ``08_`` exist, open with learning objectives and end with a Summary and
  Exercises;
- no notebook redefines a function or class that the library already has (notebooks import ``tinysr``);
- each chapter's first code cell reads the preset once, at the top, through the guard that refuses ``paper``
  unless the cell opts in (``cfg = tinysr.course_preset(allow_paper=False)``);
- no notebook points at the course machinery's ``shared/docs`` folder (the project must stand without it).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ALL = sorted(NOTEBOOKS.rglob("*.ipynb"))
ALL = [p for p in ALL if ".ipynb_checkpoints" not in p.parts]
NUMBERED = sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
CHAPTERS = [f"{i:02d}_" for i in range(9)]


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


# Entry-point plumbing whose generic names (``run``, ``main``, ``build``) a notebook may well reuse.
NOT_LIBRARY = {"cli.py", "__main__.py", "assignments", "commands"}


def _library_names() -> set[str]:
    """Public top-level functions and classes of the ``tinysr`` package (CLI plumbing excepted)."""
    names: set[str] = set()
    for py in (ROOT / "tinysr").rglob("*.py"):
        if NOT_LIBRARY & set(py.relative_to(ROOT / "tinysr").parts):
            continue
        tree = ast.parse(py.read_text(), filename=str(py))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                    and not node.name.startswith("_"):
                names.add(node.name)
    return names


def test_there_are_notebooks():
    assert ALL, f"no notebooks found under {NOTEBOOKS}"


@pytest.mark.parametrize("path", ALL, ids=_rel)
def test_outputs_cleared(path: Path):
    nb = _read(path)
    dirty = [f"cell {i} ({'outputs' if c.get('outputs') else 'execution_count'})"
             for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, (f"{_rel(path)} is saved with outputs: {', '.join(dirty)}. Clear them before committing "
                       "(Jupyter: Edit > Clear Outputs of All Cells, or `jupyter nbconvert --clear-output --inplace`)")


@pytest.mark.parametrize("path", ALL, ids=_rel)
def test_cells_have_ids(path: Path):
    """nbformat 4.5 cells carry a unique ``id``; without one, Jupyter and nbformat invent a new id on every
    save (noisy diffs) and warn that a future nbformat refuses the file. Read raw: nbformat.read fills them in."""
    import json

    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    ids = [c.get("id") for c in cells]
    missing = [i for i, v in enumerate(ids) if not v]
    assert not missing and len(set(ids)) == len(ids), (f"{_rel(path)}: cells {missing} have no id, or ids repeat; "
                                                       "open and save it in JupyterLab")


def test_numbered_chapters_exist():
    found = {prefix: [p.name for p in NUMBERED if p.name.startswith(prefix)] for prefix in CHAPTERS}
    missing = [prefix for prefix, names in found.items() if not names]
    doubled = {prefix: names for prefix, names in found.items() if len(names) > 1}
    assert not missing, f"missing numbered notebooks: {', '.join(p + '*.ipynb' for p in missing)} in {_rel(NOTEBOOKS)}"
    assert not doubled, f"more than one notebook per chapter number: {doubled}"


def _markdown(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]


@pytest.mark.parametrize("path", NUMBERED, ids=_rel)
def test_chapter_structure(path: Path):
    nb = _read(path)
    md = _markdown(nb)
    near_top = [src for i, src in md if i < 3]
    assert any("objectives" in src.lower() for src in near_top), \
        f"{_rel(path)}: no 'Learning objectives' markdown in the first 3 cells"
    for section in ("Summary", "Exercises"):
        heading = re.compile(rf"^#+\s*{section}\b", re.IGNORECASE | re.MULTILINE)
        assert any(heading.search(src) for _, src in md), f"{_rel(path)}: no '## {section}' heading"


@pytest.mark.parametrize("path", NUMBERED, ids=_rel)
def test_first_code_cell_reads_preset(path: Path):
    nb = _read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{_rel(path)} has no code cell"
    assert "tinysr.course_preset(" in code[0].source, \
        f"{_rel(path)}: the first code cell must read the preset once (cfg = tinysr.course_preset(allow_paper=False))"


# top-level definitions only: a method (``def forward`` of a notebook's own nn.Module) redefines nothing
DEFINITION = re.compile(r"^(?:async\s+def|def|class)\s+([A-Za-z_]\w*)", re.MULTILINE)


@pytest.mark.parametrize("path", ALL, ids=_rel)
def test_no_library_code_redefined(path: Path):
    library = _library_names()
    nb = _read(path)
    clashes = [f"cell {i}: {name}" for i, c in enumerate(nb.cells) if c.cell_type == "code"
               for name in DEFINITION.findall(c.source) if name in library]
    assert not clashes, (f"{_rel(path)} redefines library code ({', '.join(clashes)}); import it from tinysr "
                         "instead, or give a notebook-only helper another name")


@pytest.mark.parametrize("path", ALL, ids=_rel)
def test_no_shared_docs_reference(path: Path):
    nb = _read(path)
    hits = [f"cell {i}" for i, c in enumerate(nb.cells) if "shared/docs" in c.source or "PAPER.md" in c.source]
    assert not hits, (f"{_rel(path)} mentions shared/docs or PAPER.md ({', '.join(hits)}): neither is part of the "
                      "project; explain the fact in the notebook or point at the project's own docs/ (docs/paper.md)")


def test_no_module_cites_a_file_users_do_not_have():
    """The paper's facts live in docs/paper.md in the project's own words; no module points at PAPER.md."""
    package = Path(__file__).resolve().parents[1] / "tinysr"
    hits = [str(p.relative_to(package)) for p in package.rglob("*.py") if "PAPER.md" in p.read_text()]
    assert not hits, f"these modules cite PAPER.md, which users do not have: {hits}; cite docs/paper.md"


def test_the_paper_guard_stops_a_chapter(monkeypatch):
    """Each chapter's first cell refuses TINYSR_PRESET=paper unless it opts in (run as the kernel would: its
    IPython lines, the guarded `%pip install`, transformed the way IPython does)."""
    from IPython.core.inputtransformer2 import TransformerManager

    from tinysr.config import ConfigError

    monkeypatch.setenv("TINYSR_PRESET", "paper")
    for path in NUMBERED:
        first = TransformerManager().transform_cell(next(c for c in _read(path).cells if c.cell_type == "code").source)
        with pytest.raises(ConfigError, match="allow_paper=True"):
            exec(compile(first, str(path), "exec"), {})
        exec(compile(first.replace("allow_paper=False", "allow_paper=True"), str(path), "exec"), {})
