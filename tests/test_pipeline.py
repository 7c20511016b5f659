"""`tinysr run`: all stages, report files, and resume after a hard kill during retraining."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tinysr.cli import main

MICRO = ["--set", "search.channels=8", "--set", "search.cells=3", "--set", "search.hr_patch=32",
         "--set", "search.epochs=1", "--set", "search.steps_per_epoch=2", "--set", "search.warmup_epochs=0",
         "--set", "train.epochs=3", "--set", "train.steps_per_epoch=2", "--set", "train.hr_patch=32",
         "--set", "train.val_images=1"]

KILLER = textwrap.dedent("""
    import os, signal, sys
    import tinysr.train as train
    original = train.run_train
    def killing_run_train(*args, **kwargs):
        def die(step, record):
            if record["epoch"] == 2:
                os.kill(os.getpid(), signal.SIGKILL)   # a hard kill: no handler, no cleanup
        return original(*args, callbacks=[die], **kwargs)
    train.run_train = killing_run_train
    from tinysr.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def _run_cli(args, capsys):
    assert main(args) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_run_writes_report_and_resumes_after_kill(tmp_path, capsys):
    base = ["run", "--preset", "smoke", "--seed", "1", "--json", *MICRO]
    full = _run_cli(base + ["--out", str(tmp_path / "full")], capsys)
    entry = full["results"][0]
    assert entry["scale"] == 2 and entry["params"] > 0 and entry["multi_adds"] > 0
    assert entry["sets"]["builtin-eval"]["images"] == 3
    for name in ("report.md", "timings.json", "search/genotype.json", "train/model.pt",
                 "evaluate/results.json", "figures/genotype.png", "figures/pareto.png", "figures/crops.png"):
        assert (tmp_path / "full" / name).exists(), name
    report = (tmp_path / "full" / "report.md").read_text()
    assert "built-in eval photos" in report and "figures/pareto.png" in report

    cut = tmp_path / "cut"
    killed = subprocess.run([sys.executable, "-c", KILLER, *base, "--out", str(cut)],
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert (cut / "search" / "genotype.json").exists() and not (cut / "report.md").exists()
    assert len(json.loads((cut / "train" / "history.json").read_text())) == 2
    resumed = _run_cli(base + ["--out", str(cut), "--resume"], capsys)
    assert resumed == full
    assert (cut / "train" / "history.json").read_text() == (tmp_path / "full" / "train" / "history.json").read_text()


def test_run_on_real_benchmarks(tmp_path, capsys, benchmarks_dir):
    out = _run_cli(["run", "--preset", "smoke", "--json", *MICRO, "--set", "eval.sets=Set5",
                    "--benchmarks", str(benchmarks_dir), "--out", str(tmp_path)], capsys)
    assert out["results"][0]["sets"]["Set5"]["images"] == 5
    assert "Set5" in (tmp_path / "report.md").read_text()
