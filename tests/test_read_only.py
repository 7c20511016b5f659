"""A folder the user cannot write (a read-only mount, another user's folder) is one line naming it, before any
work is done: ``data_scripts/prepare.py``, ``assignments build`` and ``assignments grade`` (which used to grade
every submission first and then lose every grade)."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tinysr.assignments.__main__ import main as assignments
from tinysr.data.images import save_image

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody can write: permissions for a normal user; for root (who ignores them) a read-only bind
    mount."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True).returncode == 0 and \
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], capture_output=True).returncode == 0
    if not mounted:
        subprocess.run(["umount", str(folder)], capture_output=True)
        pytest.skip("running as root without the right to mount: no folder here is read-only for root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def _one_line(err: str, folder: Path) -> None:
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert f"cannot write ({folder}" in err and "read-only" in err and "--out" in err


def test_prepare_into_a_read_only_folder(tmp_path, read_only):
    hr = tmp_path / "HR"
    save_image(np.zeros((24, 24, 3), np.uint8), hr / "a.png")
    r = subprocess.run([sys.executable, str(REPO / "data_scripts" / "prepare.py"), str(hr), "--out",
                        str(read_only / "p"), "-q"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    _one_line(r.stderr, read_only / "p")


def test_assignments_build_into_a_read_only_folder(read_only, capsys):
    assert assignments(["build", "--source", str(REPO / "notebooks" / "assignments"), "--out",
                        str(read_only / "h")]) == 2
    _one_line(capsys.readouterr().err, read_only / "h")


@pytest.mark.parametrize("where", ["out", "feedback"])
def test_grade_refuses_an_unwritable_output_before_grading(tmp_path, read_only, capsys, where):
    submission = tmp_path / "sub" / "a4.ipynb"
    submission.parent.mkdir()
    submission.write_bytes((REPO / "notebooks" / "assignments" / "a4_psnr_y.ipynb").read_bytes())
    out = read_only / "grades.csv" if where == "out" else tmp_path / "grades.csv"
    extra = ["--feedback", str(read_only / "fb")] if where == "feedback" else []
    assert assignments(["grade", str(submission), "--source", str(REPO / "notebooks" / "assignments"),
                        "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert "grading" not in err                     # refused before any submission ran
    _one_line(err, read_only if where == "out" else read_only / "fb")
