"""Bad inputs the CLI must answer with one line (exit 2, no traceback) instead of doing something else."""
from __future__ import annotations

import json
import signal
import subprocess
import sys

import numpy as np
import pytest

from tinysr.genotype import Genotype


@pytest.mark.parametrize("sets, field", [
    (["search.order=2nd"], "search.order"), (["search.warmup_epochs=6", "search.epochs=6"], "search.warmup_epochs"),
    (["search.channels=0"], "search.channels"), (["train.grad_clip=-1"], "train.grad_clip"),
    (["train.w_lr=inf"], "train.w_lr"), (["train.epochs=0"], "train.epochs"), (["search.epochs=0"], "search.epochs"),
])
def test_bad_settings_are_rejected_up_front(tmp_path, sets, field, run_cli):
    args = ["search", "--preset", "smoke", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]
    for s in sets:
        args += ["--set", s]
    r = run_cli(*args)
    assert r.returncode == 2 and "Traceback" not in r.stderr and field in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_profile_repeats_zero_is_an_error(run_cli):
    r = run_cli("profile", "--genotype", "dlsr_tiny", "--repeats", "0")
    assert r.returncode == 2 and "--repeats" in r.stderr and "Traceback" not in r.stderr


def test_huge_channel_count_is_refused_before_allocating():
    with pytest.raises(ValueError, match="channels"):
        Genotype(("conv_1x1",) * 3, ((1, 2),), channels=48000, cells=3)


def test_rewired_official_weights_warn(official_dir, benchmarks_dir, tmp_path, run_cli):
    g = {"ops": ["conv_1x1", "sep_conv_7x7", "sep_conv_5x5"], "inputs": [[1, 2], [1, 3], [2, 4], [4, 5]],
         "channels": 48, "cells": 6}
    path = tmp_path / "rewired.json"
    path.write_text(json.dumps(g))
    r = run_cli("evaluate", "--official", str(official_dir / "RFDN_beta21_ps128_20210128_1000.pt"),
                "--genotype", str(path),
            "--scale", "2", "--benchmarks", str(benchmarks_dir), "--sets", "Set5", "--json")
    assert r.returncode == 0, r.stderr
    assert "warning" in r.stderr and "'dlsr'" in r.stderr


@pytest.mark.parametrize("opset", ["0", "7", "99", "-1"])
def test_export_opset_out_of_range_is_one_line(tmp_path, opset, capsys):
    from tinysr.cli import main

    assert main(["export", "--pretrained", "dlsr_tiny", "--onnx", str(tmp_path / "m.onnx"), "--opset", opset]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--opset" in err and "11..20" in err and not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("jobs", ["0", "-1"])
def test_study_jobs_below_one_is_one_line(tmp_path, jobs, capsys):
    from tinysr.cli import main

    assert main(["study", "--preset", "smoke", "--budgets", "9000", "--jobs", jobs, "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--jobs" in err and not (tmp_path / "s").exists()


def test_a_png_header_claiming_ten_gigapixels_is_one_line(tmp_path, run_cli):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b""))
    r = run_cli("upscale", str(bomb), "--model", str(tmp_path / "none.pt"), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "bomb.png" in r.stderr or "none.pt" in r.stderr


def test_ctrl_c_says_what_happened(monkeypatch, capsys):
    import tinysr.commands.upscale as upscale_cmd
    from tinysr.cli import main

    def interrupted(args):
        raise KeyboardInterrupt                      # what a bare Ctrl-C raises: no message of its own
    monkeypatch.setattr(upscale_cmd, "run", interrupted)
    assert main(["upscale", "x.png", "--pretrained", "dlsr"]) == 130
    err = capsys.readouterr().err.strip()
    assert err.startswith("tinysr upscale: interrupted (Ctrl-C)") and "--resume" not in err


def test_a_second_ctrl_c_while_exiting_prints_no_traceback(tmp_path):
    """The program is interrupted, then Ctrl-C arrives again while it says goodbye and exits (here: from an atexit
    hook, the last thing the interpreter runs): it stays one line and exit status 130."""
    code = ("import atexit, os, signal, sys, time\n"
            "import tinysr.commands.upscale as u\n"
            "from tinysr.cli import main\n"
            "def interrupted(args):\n"
            "    raise KeyboardInterrupt\n"
            "u.run = interrupted\n"
            "atexit.register(lambda: (os.kill(os.getpid(), signal.SIGINT), time.sleep(0.5)))\n"
            "sys.argv = ['tinysr', 'upscale', 'x.png', '--pretrained', 'dlsr']\n"
            "sys.exit(main())\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 130 and "Traceback" not in r.stderr and "KeyboardInterrupt" not in r.stderr, r.stderr
    assert r.stderr.strip().startswith("tinysr upscale: interrupted (Ctrl-C)")


def test_an_in_process_call_gives_ctrl_c_back(monkeypatch, capsys):
    import tinysr.commands.upscale as upscale_cmd
    from tinysr.cli import main

    def interrupted(args):
        raise KeyboardInterrupt
    monkeypatch.setattr(upscale_cmd, "run", interrupted)
    before = signal.getsignal(signal.SIGINT)
    assert main(["upscale", "x.png", "--pretrained", "dlsr"]) == 130
    assert signal.getsignal(signal.SIGINT) is before


def test_a_full_disk_while_checkpointing_is_one_line_naming_resume(tmp_path, monkeypatch, capsys):
    """torch's zip writer reports a failed write as a RuntimeError ("enforce fail ... file write failed"); with the
    disk full, the CLI says so in one line and names --resume (the last checkpoint is kept)."""
    import os as _os

    import torch

    from tinysr.cli import main

    def failing_save(obj, f, *a, **k):
        raise RuntimeError("[enforce fail at inline_container.cc:778] . PytorchStreamWriter failed writing file "
                           "data/0: file write failed")

    class Full:
        f_bavail, f_frsize = 0, 4096

    monkeypatch.setattr(torch, "save", failing_save)
    monkeypatch.setattr(_os, "statvfs", lambda p: Full())
    code = main(["search", "--preset", "smoke", "--out", str(tmp_path / "s")])
    errors = [line.split("tinysr search:", 1)[1] for line in capsys.readouterr().err.splitlines()
              if "tinysr search:" in line]                # after the progress bar's carriage returns
    assert code == 2 and len(errors) == 1 and "disk is full" in errors[0] and "--resume" in errors[0], errors


@pytest.mark.parametrize("content", ["[1, 2]", '{"budgets": [1]}',
                                     '{"runs": [{"id": "random-b1-0", "kind": "random"}]}', "not json"])
def test_study_from_a_file_that_is_not_a_study_is_one_line(tmp_path, content, capsys):
    from tinysr.cli import main

    path = tmp_path / "study.json"
    path.write_text(content)
    assert main(["study", "--from", str(path), "--rerun", "random-b1-0", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and "study.json" in err


def test_out_of_memory_is_one_line_that_names_the_batch_size(tmp_path, monkeypatch, run_cli):
    """A huge batch_size: torch's CPU allocator fails (reproduced under ``ulimit -v`` with
    search.batch_size=100000); the CLI says so in one line, with the setting to lower, not a traceback."""
    import tinysr.search

    def no_memory(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate "
                           "memory: you tried to allocate 2764800000 bytes. Error code 12 (Cannot allocate memory)")

    monkeypatch.setattr(tinysr.search, "run_search", no_memory)
    r = run_cli("search", "--preset", "smoke", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == ("tinysr search: error: out of memory (one allocation of 2.6 GiB failed): try --set "
                                "search.batch_size=N or search.hr_patch=N smaller, or free memory (close other "
                                "programs or notebooks)")


def test_profile_of_a_network_too_big_for_memory_skips_only_the_latency(monkeypatch, run_cli, tmp_path):
    import tinysr.deploy.inference

    path = tmp_path / "wide.json"
    path.write_text(json.dumps({"ops": ["conv_1x1", "sep_conv_7x7", "sep_conv_5x5"],
                                "inputs": [[1, 2], [2, 3], [2, 4], [4, 5]], "channels": 1024, "cells": 6}))
    monkeypatch.setattr(tinysr.deploy.inference, "available_bytes", lambda: 2**30)
    r = run_cli("profile", "--genotype", path, "--json")
    assert r.returncode == 0 and "Traceback" not in r.stderr
    assert "latency skipped" in r.stderr and "C=1024" in r.stderr and "GiB available" in r.stderr
    result = json.loads(r.stdout)
    assert result["latency_s"] is None and result["params"] == 124_689_420


def test_an_image_too_small_for_the_network_is_named(tmp_path, official_dir, run_cli):
    from tinysr.data.images import save_image

    small = tmp_path / "tiny.png"
    save_image(np.zeros((10, 12, 3), np.uint8), small)
    r = run_cli("upscale", small, "--pretrained", "dlsr", "--out", tmp_path / "o")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{small}: LR input of 10x12 is too small" in r.stderr and "15x15" in r.stderr


@pytest.mark.parametrize("content, says", [("", "is empty"), ("tiny", "1 image(s) too small to validate a x2 network: "
                                                                     "t (20x20)"), ("text", "no images")])
def test_train_val_is_checked_before_the_first_step(tmp_path, content, says, run_cli):
    from tinysr.data.images import save_image

    val = tmp_path / "val"
    val.mkdir()
    if content == "tiny":
        save_image(np.zeros((20, 20, 3), np.uint8), val / "t.png")
    elif content == "text":
        (val / "a.txt").write_text("not an image")
    r = run_cli("train", "--genotype", "dlsr_tiny", "--preset", "smoke", "--val", val, "--out", tmp_path / "o")
    assert r.returncode == 2 and "Traceback" not in r.stderr and says in r.stderr and "--val" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1  # one line: no progress bar, no step ran
    assert not (tmp_path / "o" / "train" / "last.pt").exists()
