"""Run folders: never overwritten, config.json only with the first checkpoint, resume checks that name what
changed, the checkpoint's kind, file modes, stopping by signal, and the CLI's one-line errors."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from tinysr.config import override, preset
from tinysr.runstate import Meter, ResumeMismatchError, RunExistsError, RunFolder, config_diff
from tinysr.search import run_search

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}


def cli(*args, cwd=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "tinysr", *args], capture_output=True, text=True, env=ENV,
                          cwd=cwd, timeout=timeout)


def tiny_search(**extra):
    return override(preset("smoke"), {"search.epochs": 2, "search.steps_per_epoch": 2, "search.warmup_epochs": 1,
                                      **extra})


def test_second_train_refuses_and_keeps_model(tmp_path, run_cli):
    out = tmp_path / "D"
    first = run_cli("train", "--genotype", "dlsr_tiny", "--preset", "smoke", "--out", str(out))
    assert first.returncode == 0, first.stderr
    before = (out / "model.pt").read_bytes()
    second = run_cli("train", "--genotype", "dlsr_tiny", "--preset", "smoke", "--out", str(out))
    assert second.returncode == 2
    assert "Traceback" not in second.stderr and "--resume" in second.stderr and "--overwrite" in second.stderr
    assert (out / "model.pt").read_bytes() == before
    third = run_cli("train", "--genotype", "dlsr_tiny", "--preset", "smoke", "--out", str(out), "--overwrite")
    assert third.returncode == 0, third.stderr


def test_config_json_comes_with_the_first_checkpoint(tmp_path):
    folder = RunFolder(tmp_path / "r", "search")
    folder.start("cpu")
    assert (tmp_path / "r" / "run.json").exists() and not (tmp_path / "r" / "config.json").exists()
    cfg = preset("smoke")
    folder.save({"x": {"a": torch.zeros(1)}}, [], 1, cfg)
    assert json.loads((tmp_path / "r" / "config.json").read_text())["name"] == "smoke"
    run = json.loads((tmp_path / "r" / "run.json").read_text())
    assert {"tinysr", "torch", "device", "world_size", "command", "start", "end"} <= set(run)


def test_resume_names_changed_keys_and_genotype(tmp_path):
    cfg = preset("smoke")
    RunFolder(tmp_path, "train").save({}, [], 1, cfg, {"ops": ["conv_1x1"]})
    with pytest.raises(ResumeMismatchError, match=r"train\.w_lr: 0\.001 -> 0\.5"):
        RunFolder(tmp_path, "train", resume=True).load(override(cfg, {"train.w_lr": 0.5}))
    with pytest.raises(ResumeMismatchError, match="genotype changed"):
        RunFolder(tmp_path, "train", resume=True).load(cfg, {"ops": ["conv_3x3"]})
    with pytest.raises(ResumeMismatchError, match="holds a train checkpoint"):
        RunFolder(tmp_path, "search", resume=True).load(cfg)
    assert RunFolder(tmp_path, "train", resume=True).load(cfg, {"ops": ["conv_1x1"]})["step"] == 1
    with pytest.raises(RunExistsError):
        RunFolder(tmp_path, "train")
    assert config_diff({"a": {"b": 1}}, {"a": {"b": 2}}) == ["a.b: 1 -> 2"]
    # a field added after the run was saved (search.single_path) counts as what the older run did
    now = preset("smoke").to_dict()
    old = json.loads(json.dumps(now))
    del old["search"]["single_path"]
    assert config_diff(old, now) == []
    now["search"]["single_path"] = True
    assert config_diff(old, now) == ["search.single_path: False -> True"]   # the older run's behaviour


def test_out_that_is_a_file_is_a_clear_error(tmp_path, run_cli):
    f = tmp_path / "file"
    f.write_text("mine")
    r = run_cli("search", "--preset", "smoke", "--out", str(f))
    assert r.returncode == 2 and "Traceback" not in r.stderr and "folder" in r.stderr
    assert f.read_text() == "mine"


def test_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        folder = RunFolder(tmp_path / "m", "search")
        folder.save({}, [], 1, preset("smoke"))
    finally:
        os.umask(old)
    for name in ("checkpoint.pt", "history.json", "config.json"):
        assert (tmp_path / "m" / name).stat().st_mode & 0o777 == 0o644, name


def test_meter_names_the_first_bad_step():
    m = Meter()
    m.add({"loss": torch.tensor(1.0)}, 0)
    m.add({"loss": torch.tensor(float("nan"))}, 1)
    m.add({"loss": torch.tensor(2.0)}, 2)
    with pytest.raises(FloatingPointError, match="step 1"):
        m.read("lower it")


def test_divergence_is_one_line_on_the_cli(tmp_path, run_cli):
    r = run_cli("train", "--genotype", "dlsr_tiny", "--preset", "smoke", "--out", str(tmp_path / "d"),
            "--set", "train.w_lr=1e30", "--set", "train.grad_clip=0")
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "diverged" in r.stderr and "train.w_lr" in r.stderr


def test_device_that_is_not_there_is_one_line(run_cli):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    r = run_cli("search", "--preset", "smoke", "--device", "cuda", "--out", "/tmp/tinysr-nocuda-test-unused")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "CUDA" in r.stderr


def test_sigterm_saves_a_checkpoint_and_resume_gives_the_same_result(tmp_path):
    args = ["search", "--preset", "smoke", "--seed", "2", "--set", "search.epochs=3",
            "--set", "search.steps_per_epoch=20"]
    full = cli(*args, "--out", str(tmp_path / "full"))
    assert full.returncode == 0, full.stderr
    proc = subprocess.Popen([sys.executable, "-m", "tinysr", *args, "--out", str(tmp_path / "cut")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    deadline = time.time() + 120
    while not (tmp_path / "cut" / "run.json").exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 0:
        pytest.skip("the search finished before the signal arrived (machine too fast for this test)")
    assert proc.returncode == 130 and "--resume" in err and "Traceback" not in err
    assert (tmp_path / "cut" / "checkpoint.pt").exists()
    resumed = cli(*args, "--out", str(tmp_path / "cut"), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    for name in ("genotype.json", "history.json"):
        assert (tmp_path / "cut" / name).read_text() == (tmp_path / "full" / name).read_text(), name


def test_search_resume_after_stop_flag_is_identical(tmp_path):
    from tinysr.runtime.stop import StopFlag

    cfg = tiny_search()
    ref = run_search(cfg, out=tmp_path / "ref", progress=False)
    flag = StopFlag()

    def stop_after_first(step, rec):
        if step == 1:
            flag.set("test")

    with pytest.raises(KeyboardInterrupt, match="resume"):
        run_search(cfg, out=tmp_path / "cut", progress=False, callbacks=[stop_after_first], stop=flag)
    again = run_search(cfg, out=tmp_path / "cut", progress=False, resume=True)
    assert again.genotype == ref.genotype
    assert (tmp_path / "cut" / "history.json").read_text() == (tmp_path / "ref" / "history.json").read_text()
    for a, b in zip(again.net.alphas(), ref.net.alphas()):
        assert torch.equal(a, b)


def test_init_contradicting_genotype_or_width_is_an_error(tmp_path):
    from tinysr.genotype import GENOTYPES
    from tinysr.model import DLSRNet, save_model
    from tinysr.train import build_model

    path = tmp_path / "m.pt"
    save_model(DLSRNet(GENOTYPES["dlsr_tiny"], 2), path)
    cfg = preset("smoke")
    with pytest.raises(ValueError, match="drop --genotype"):
        build_model("dlsr_para", override(cfg, {"train.channels": 0}), init=path)
    with pytest.raises(ValueError, match="cannot change width"):
        build_model(None, override(cfg, {"train.channels": 8}), init=path)
    assert build_model(None, override(cfg, {"train.channels": 0, "data.scale": 3}), init=path).scale == 3


def test_train_uses_every_image_of_a_folder(tmp_path, run_cli):
    from tinysr.data import builtin_photos
    from tinysr.data.images import save_image

    data = tmp_path / "six"
    data.mkdir()
    for name, img in list(builtin_photos("train+arch").items())[:6]:
        save_image(img[:96, :96], data / f"{name}.png")
    out = tmp_path / "D"
    r = run_cli("train", "--genotype", "dlsr_tiny", "--preset", "smoke", "--data", str(data), "--out", str(out))
    assert r.returncode == 0, r.stderr
    info = json.loads((out / "data.json").read_text())
    assert sorted(info["train"]) == sorted(p.stem for p in data.iterdir())
    assert info["val"] and not set(info["val"]) & set(info["train"])


def test_overwrite_keeps_another_runs_folder_and_a_users_folder(tmp_path, capsys):
    """`tinysr search --out runs/search; tinysr train ... --out runs --overwrite` keeps runs/search (another run of
    tinysr's), and a user's own `train/` folder (no tinysr run.json) survives a pipeline's --overwrite."""
    from tinysr.cli import main

    smoke = ["--preset", "smoke", "--set", "search.epochs=2", "--set", "train.epochs=1"]
    assert main(["search", *smoke, "--out", str(tmp_path / "runs" / "search")]) == 0
    genotype = tmp_path / "runs" / "search" / "genotype.json"
    for _ in range(2):                                   # the second time over the first training: --overwrite
        assert main(["train", "--genotype", str(genotype), *smoke, "--out", str(tmp_path / "runs"), "--overwrite"]) == 0
        assert genotype.is_file() and (tmp_path / "runs" / "search" / "run.json").is_file()
    mine = tmp_path / "pipe" / "train"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("my own notes")
    (tmp_path / "pipe" / "run.json").write_text('{"kind": "run"}')   # the folder held a tinysr run before
    assert main(["run", *smoke, "--out", str(tmp_path / "pipe"), "--overwrite"]) == 0
    assert (mine / "notes.txt").read_text() == "my own notes"
    capsys.readouterr()
