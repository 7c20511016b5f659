"""The data entry points: ``tinysr download`` and ``data_scripts/download.py`` are one command (same plan,
same messages), ``data_scripts/prepare.py`` runs :mod:`tinysr.data.download.prepare`; and the LR files it makes.

The downloader itself (transfers, checksums, extraction, layout) is tested in ``tests/test_download.py``.
The entry points run here as subprocesses, from an empty working folder with ``$TINYSR_DATA`` unset, so
their default root is ``./datasets`` there; nothing reaches the network (the offline case points at a
closed port on 127.0.0.1).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinysr.data.download import prepare

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "data_scripts"
ENTRY_POINTS = {"script": [sys.executable, str(SCRIPTS / "download.py")],
                "cli": [sys.executable, "-m", "tinysr", "download"]}
PROG = {"script": "download.py", "cli": "tinysr download"}


def _run(entry: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TINYSR_DATA"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")   # this checkout's tinysr
    return subprocess.run([*ENTRY_POINTS[entry], *args], capture_output=True, text=True, timeout=120, cwd=cwd,
                          env=env)


def _closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------------------- download
@pytest.mark.parametrize("args", [("official", "--dry-run"), ("benchmarks", "--dry-run"),
                                  ("all", "--dry-run", "--parts", "Set14", "valid_x4", "--mirror", "http://m/x")])
def test_script_and_cli_print_the_same_plan(tmp_path, args):
    script, tool = _run("script", *args, cwd=tmp_path), _run("cli", *args, cwd=tmp_path)
    assert script.returncode == tool.returncode == 0, (script.stderr, tool.stderr)
    assert script.stdout == tool.stdout
    lines = tool.stdout.splitlines()
    assert lines[0] == "dry run: nothing is downloaded or written (root: datasets)"
    assert len(lines) > 2 and all("Traceback" not in p.stderr for p in (script, tool))
    if args[0] == "official":
        assert "  -> datasets/official/RFDN_beta21_ps128_20210128_1000.pt  (3.98 MB, sha256)" in lines
    if args[0] == "benchmarks":
        assert lines[-1].startswith("  extract, then arrange Set5, Set14, B100, Urban100 as datasets/benchmarks/")
    assert not (tmp_path / "datasets").exists()            # a dry run writes nothing


@pytest.mark.parametrize("entry", ["cli", "script"])
def test_bad_target_name_is_one_line_exit_2(tmp_path, entry):
    r = _run(entry, "benchmark", "--dry-run", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [f"{PROG[entry]}: error: unknown dataset 'benchmark'; choose from "
                                             "div2k, flickr2k, benchmarks, official, all"]


@pytest.mark.parametrize("entry", ["cli", "script"])
def test_offline_message_and_exit_code(tmp_path, entry):
    port = _closed_port()
    root = tmp_path / "data"
    r = _run(entry, "official", "--parts", "dlsr", "--root", str(root), "--mirror", f"http://127.0.0.1:{port}",
             "--retries", "0", "--timeout", "5", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    dest = root / "official" / "RFDN_beta21_ps128_20210128_1000.pt"
    url = f"http://127.0.0.1:{port}/RFDN_beta21_ps128_20210128_1000.pt"
    assert (f"cannot reach 127.0.0.1:{port}: you appear to be offline; download {url} by hand into {dest} "
            f"and re-run") in r.stderr
    assert r.stderr.count("cannot reach") == 1
    assert r.stderr.strip().splitlines()[-1].startswith(f"{PROG[entry]}: cannot reach")   # the last word


# -------------------------------------------------------------------------------------------- prepare
def test_prepare_writes_lr_layout(tmp_path):
    from tinysr.data import load_image, save_image
    from tinysr.resize import imresize

    hr_dir = tmp_path / "Set" / "HR"
    hr_dir.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (29, 37, 3), dtype=np.uint8)
    gray = rng.integers(0, 256, (18, 21), dtype=np.uint8)
    save_image(rgb, hr_dir / "rgb.png")
    save_image(gray, hr_dir / "gray.png")
    assert prepare.main([str(hr_dir), "--scales", "2,3", "--write-hr", "-q"]) == 0
    out = tmp_path / "Set"
    for s in (2, 3):
        lr = load_image(out / "LR_bicubic" / f"X{s}" / f"rgbx{s}.png", mode="keep")
        assert lr.shape == (29 // s, 37 // s, 3)
        np.testing.assert_array_equal(lr, imresize(rgb[: 29 // s * s, : 37 // s * s], 1 / s))
        lr_gray = load_image(out / "LR_bicubic" / f"X{s}" / f"grayx{s}.png", mode="keep")
        assert lr_gray.shape == (18 // s, 21 // s)                      # still single-channel
        np.testing.assert_array_equal(lr_gray, imresize(gray[: 18 // s * s, : 21 // s * s], 1 / s))
        assert load_image(out / f"HR_mod{s}" / "rgb.png", mode="keep").shape == (29 // s * s, 37 // s * s, 3)
    counts = prepare.prepare_lr(hr_dir, [2, 3], write_hr=True, quiet=True)      # idempotent
    assert counts == {"images": 2, "written": 0, "skipped": 8}


def test_prepare_clear_errors(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        prepare.prepare_lr(tmp_path / "nope", [2])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        prepare.prepare_lr(tmp_path / "empty", [2])
    assert prepare.main([str(tmp_path / "empty")]) == 2
    assert "holds no images" in capsys.readouterr().err
    with pytest.raises(ValueError, match="scales"):
        prepare.parse_scales("2,x")
    with pytest.raises(ValueError, match=">= 2"):
        prepare.parse_scales("1")


def test_prepare_script_runs_the_library(tmp_path):
    from tinysr.data.images import save_image

    hr_dir = tmp_path / "Set" / "HR"
    save_image(np.random.default_rng(1).integers(0, 256, (12, 10, 3), dtype=np.uint8), hr_dir / "a.png")
    r = subprocess.run([sys.executable, str(SCRIPTS / "prepare.py"), str(hr_dir), "--scales", "2", "-q"],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("1 images: 1 files written, 0 already there -> ")
    assert (tmp_path / "Set" / "LR_bicubic" / "X2" / "ax2.png").is_file()


def test_prepare_reproduces_genuine_set5(benchmarks_dir, tmp_path):
    """prepare_lr's LR files equal the published MATLAB-made Set5 LR files, pixel for pixel."""
    from tinysr.data import load_image

    hr_dir = benchmarks_dir / "Set5" / "HR"
    prepare.prepare_lr(hr_dir, [2, 3, 4], out=tmp_path, quiet=True)
    for s in (2, 3, 4):
        genuine_dir = benchmarks_dir / "Set5" / "LR_bicubic" / f"X{s}"
        for hr in sorted(hr_dir.glob("*.png")):
            ours = load_image(tmp_path / "LR_bicubic" / f"X{s}" / f"{hr.stem}x{s}.png", mode="keep")
            genuine = load_image(genuine_dir / f"{hr.stem}x{s}.png", mode="keep")
            assert ours.shape == genuine.shape, (hr.stem, s)
            assert np.array_equal(ours, genuine), f"{hr.stem} x{s}: {np.count_nonzero(ours != genuine)} differ"
