"""The solutions stay private: a built wheel, and what `tinysr notebooks DEST` writes from it or from a
checkout, carry the chapters and the assignment *handouts*, never a solution region, a hidden check or a
model answer.

The wheel is built with `pip wheel --no-deps` from a copy of the working tree (so a build here never races
one in the checkout's build/ folder); setup.py makes the handouts with the standard library only."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from tinysr.assignments import BEGIN, END, HIDDEN_BEGIN, HIDDEN_END, STUB, handout
from tinysr.cli import main
from tinysr.commands import notebooks as cmd

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "notebooks" / "assignments"
SOLUTIONS = sorted(SRC.glob("*.ipynb"))
MARKERS = (BEGIN, END, HIDDEN_BEGIN, HIDDEN_END, "BEGIN HIDDEN TESTS", "BEGIN SOLUTION")


def _regions(source: str) -> list[str]:
    """The text of every solution and hidden-test region of one cell (markers excluded)."""
    out, inside = [], None
    for line in source.splitlines():
        if line.strip() in (BEGIN, HIDDEN_BEGIN):
            inside = []
        elif line.strip() in (END, HIDDEN_END):
            out.append("\n".join(inside or []))
            inside = None
        elif inside is not None:
            inside.append(line)
    return out


def _secrets() -> tuple[list[str], set[str]]:
    """Every region's text (solutions, hidden checks, model answers) and its distinctive lines: those that
    neither the handouts nor the chapters contain (a line like `return out` is everywhere)."""
    public = set()
    for path in SOLUTIONS:
        shown = handout(nbformat.read(str(path), as_version=4), path.name)
        public |= {line.strip() for c in shown.cells for line in c.source.splitlines()}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):          # chapters (read as they are)
        public |= {line.strip() for line in _readable(path.name, path.read_text(encoding="utf-8")).splitlines()}
    blocks = [r for path in SOLUTIONS for c in nbformat.read(str(path), as_version=4).cells
              for r in _regions(c.source) if r.strip()]
    lines = {line.strip() for b in blocks for line in b.splitlines()}
    return blocks, {line for line in lines - public if len(line) >= 16}


def _readable(name: str, text: str) -> str:
    """A notebook as its cells' text (JSON escapes quotes and newlines), anything else as it is."""
    if not name.endswith(".ipynb"):
        return text
    nb = json.loads(text)
    return text + "\n" + "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                                   for c in nb["cells"])


def _assert_private(files: dict[str, str], where: str) -> None:
    blocks, lines = _secrets()
    assert len(blocks) >= 25 and len(lines) >= 60, (len(blocks), len(lines))     # the check has teeth
    for name, text in files.items():
        text = _readable(name, text)
        if name.endswith(".ipynb"):                             # (the README and markers.py name them)
            assert not any(m in text for m in MARKERS), f"{where}: a marker in {name}"
        for block in blocks:
            assert block.strip() not in text, f"{where}: a solution/hidden region is in {name}:\n{block[:300]}"
        if not name.endswith(".py"):                                 # the library is the oracle: its code may agree
            leaked = sorted(line for line in lines if line in text)
            assert not leaked, f"{where}: solution lines in {name}: {leaked[:5]}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    tree = work / "src"
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pt", "_course", "_results")
    for name in ("setup.py", "pyproject.toml", "README.md"):
        tree.mkdir(exist_ok=True)
        shutil.copy2(ROOT / name, tree / name)
    for name in ("tinysr", "notebooks", "benchmarks/results"):
        shutil.copytree(ROOT / name, tree / name, ignore=ignore)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"),
                           str(tree)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return next((work / "dist").glob("tinysr-*.whl"))


def test_the_wheel_carries_handouts_and_no_solution(wheel):
    with zipfile.ZipFile(wheel) as z:
        files = {n: z.read(n).decode("utf-8", "replace") for n in z.namelist()}
    course = {n[len("tinysr/_course/"):] for n in files if n.startswith("tinysr/_course/")}
    chapters = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert course == chapters | {f"assignments/{p.name}" for p in SOLUTIONS} | {"assignments/README.md"}, course
    assert {f"tinysr/_results/{p.name}" for p in (ROOT / "benchmarks" / "results").iterdir()} <= set(files)
    for path in SOLUTIONS:
        text = files[f"tinysr/_course/assignments/{path.name}"]
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
        assert STUB in _readable(path.name, text)
        assert nb.metadata["tinysr"] == nbformat.read(str(path), as_version=4).metadata["tinysr"]
    _assert_private(files, "the wheel")


def _written(dest: Path) -> dict[str, str]:
    return {str(p.relative_to(dest)): p.read_text(encoding="utf-8") for p in dest.rglob("*") if p.is_file()}


def test_tinysr_notebooks_from_the_wheel_writes_no_solution(wheel, tmp_path, monkeypatch, capsys):
    with zipfile.ZipFile(wheel) as z:
        z.extractall(tmp_path / "site", [n for n in z.namelist() if n.startswith("tinysr/_course/")])
    packaged = tmp_path / "site" / "tinysr" / "_course"
    monkeypatch.setattr(cmd, "PACKAGED", packaged)
    monkeypatch.setattr(cmd, "CHECKOUT", tmp_path / "no-checkout")
    assert main(["notebooks", str(tmp_path / "course"), "--json"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert len(files) == len(list(packaged.rglob("*.*")))
    for path in SOLUTIONS:                                  # the packaged handouts, copied as they are
        assert (tmp_path / "course" / "assignments" / path.name).read_bytes() == \
            (packaged / "assignments" / path.name).read_bytes()
    _assert_private(_written(tmp_path / "course"), "tinysr notebooks DEST (wheel)")


def test_tinysr_notebooks_from_a_checkout_writes_no_solution(tmp_path, capsys):
    assert main(["notebooks", str(tmp_path / "course")]) == 0
    assert re.search(r"copied \d+ chapters, 5 assignment handouts", capsys.readouterr().out)
    _assert_private(_written(tmp_path / "course"), "tinysr notebooks DEST (checkout)")
