"""``make test-device`` catches a device mistake: a tiny notebook that calls a moved network on a host
tensor fails under the emulated GPU, run the way the target runs the course (nbval, current environment,
``TINYSR_EMULATE_DEVICE=1``), and the same notebook with the input moved by ``tinysr.to_device`` passes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbval")

SETUP = ("import torch, tinysr\n"
         "device = tinysr.get_device()\n"
         "net = torch.nn.Conv2d(3, 3, 3, padding=1).to(device)\n"
         "x = torch.rand(1, 3, 16, 16)")
CALLS = {"host_input": "y = net(x)",
         "moved_input": "y = net(tinysr.to_device(x, tinysr.get_device()))\nassert y.device == device"}


def _notebook(path: Path, call: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell(call)]
    nbformat.write(nb, path)


def test_the_emulated_device_fails_a_notebook_that_forgets_a_move(tmp_path):
    for name, call in CALLS.items():
        _notebook(tmp_path / f"{name}.ipynb", call)
    env = {**os.environ, "TINYSR_EMULATE_DEVICE": "1", "TINYSR_PRESET": "smoke", "OMP_WAIT_POLICY": "PASSIVE"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
                          "--nbval-current-env", "host_input.ipynb", "moved_input.ipynb"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "1 failed, 3 passed" in out, out            # both setup cells and the moved call pass
    assert "FAILED host_input.ipynb::Cell 1" in out and "FAILED moved_input" not in out, out
    assert "Expected all tensors to be on the same device" in out and "cpu:0 (emulated GPU)" in out, out
