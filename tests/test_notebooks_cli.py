"""``tinysr notebooks DEST``: the course copied out of the package (chapters as they are, assignment handouts
without solutions, the README), never over an existing file; ``--book`` renders executed notebooks to HTML."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from tinysr.cli import main
from tinysr.commands import notebooks as cmd

REPO_NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_copies_chapters_handouts_and_readme(tmp_path, capsys):
    dest = tmp_path / "course"
    assert main(["notebooks", str(dest), "--json"]) == 0
    files = {Path(f).relative_to(dest).as_posix() for f in json.loads(capsys.readouterr().out)["files"]}
    chapters = sorted(p.name for p in REPO_NOTEBOOKS.glob("*.ipynb"))
    solutions = sorted(p.name for p in (REPO_NOTEBOOKS / "assignments").glob("*.ipynb"))
    assert len(chapters) >= 8 and len(solutions) >= 5
    assert files == set(chapters) | {f"assignments/{n}" for n in solutions} | {"assignments/README.md"}
    for name in chapters:
        assert (dest / name).read_bytes() == (REPO_NOTEBOOKS / name).read_bytes()
    for name in solutions:
        text = (dest / "assignments" / name).read_text()
        solution = (REPO_NOTEBOOKS / "assignments" / name).read_text()
        assert "### BEGIN SOLUTION" in solution and "### BEGIN SOLUTION" not in text
        assert "HIDDEN TESTS" not in text and "your code here" in text
        nbformat.validate(nbformat.reads(text, as_version=4))


def test_refuses_to_overwrite_and_writes_nothing(tmp_path, capsys):
    dest = tmp_path / "course"
    (dest / "assignments").mkdir(parents=True)
    mine = dest / "assignments" / "README.md"
    mine.write_text("my notes")
    assert main(["notebooks", str(dest)]) == 2
    err = capsys.readouterr().err
    assert "README.md already exist" in err and "nothing was written" in err, err
    assert mine.read_text() == "my notes" and sorted(p.name for p in dest.rglob("*")) == ["README.md", "assignments"]


def test_finds_the_packaged_course_before_the_checkout(tmp_path, monkeypatch):
    packaged = tmp_path / "_course"
    packaged.mkdir()
    assert cmd.course_dir() == cmd.CHECKOUT                    # editable install: the checkout's notebooks/
    (packaged / "00_x.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    monkeypatch.setattr(cmd, "PACKAGED", packaged)
    assert cmd.course_dir() == packaged                         # a wheel: tinysr/_course
    monkeypatch.setattr(cmd, "CHECKOUT", tmp_path / "nowhere")
    monkeypatch.setattr(cmd, "PACKAGED", tmp_path / "neither")
    with pytest.raises(FileNotFoundError, match="no course notebooks"):
        cmd.course_dir()


def test_book_renders_executed_notebooks_with_an_index_and_reports_failures(tmp_path):
    src = tmp_path / "src"
    (src / "assignments").mkdir(parents=True)
    good = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Chapter zero"),
                                           nbformat.v4.new_code_cell("print(6 * 7)")])
    bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")])
    nbformat.write(good, str(src / "00_good.ipynb"))
    nbformat.write(bad, str(src / "assignments" / "a1_bad.ipynb"))
    entries = cmd.render_book(tmp_path / "book", src=src, timeout=120)
    assert [(e["html"], e["title"], e["error"] is None) for e in entries] == [
        ("00_good.html", "Chapter zero", True), ("assignments/a1_bad.html", "a1_bad", False)]
    assert "ZeroDivisionError" in entries[1]["error"]
    assert "42" in (tmp_path / "book" / "00_good.html").read_text()              # rendered with its output
    index = (tmp_path / "book" / "index.html").read_text()
    assert "href='00_good.html'" in index and "href='assignments/a1_bad.html'" in index and "failed" in index
    with pytest.raises(FileExistsError, match="nothing was written"):
        cmd.render_book(tmp_path / "book", src=src)


def test_book_renders_a_wheels_handouts_without_running_them(tmp_path):
    """A wheel has handouts, not solutions: --book renders them as they are (they fail by design)."""
    from tinysr.assignments import build

    src = tmp_path / "src"
    (src / "assignments").mkdir(parents=True)
    handout = next(p for p in build(REPO_NOTEBOOKS / "assignments", tmp_path / "h") if p.name.startswith("a4_"))
    handout.replace(src / "assignments" / handout.name)
    entries = cmd.render_book(tmp_path / "book", src=src, timeout=60)
    assert [(e["ran"], e["error"]) for e in entries] == [(False, None)], entries
    assert "handout, not run" in (tmp_path / "book" / "index.html").read_text()


def test_a_full_disk_leaves_no_truncated_notebook(tmp_path, monkeypatch, capsys):
    """`tinysr notebooks DEST` on a full disk: the copy that failed leaves no half-written notebook, and the one
    line says the disk is full (it blamed the source before)."""
    import errno
    import shutil

    from tinysr.cli import main

    real, calls = shutil.copyfile, []

    def full_disk(src, dst, *a, **k):
        calls.append(dst)
        if len(calls) == 2:                            # the second notebook: half of it, then ENOSPC
            with open(dst, "wb") as fh:
                fh.write(open(src, "rb").read()[:100])
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real(src, dst, *a, **k)

    monkeypatch.setattr(shutil, "copyfile", full_disk)
    dest = tmp_path / "course"
    assert main(["notebooks", str(dest)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "disk is full" in err[0]
    written = sorted(p.name for p in dest.rglob("*") if p.is_file())
    assert len(written) == 1 and not any(name.endswith(".tmp") for name in written)   # the first, whole; no temp
