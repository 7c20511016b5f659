"""Shared fixtures. Real data comes from ``$TINYSR_SHARED`` (never a hard-coded path): unset, tests that
need it skip; under CI (``CI=true``) an unset ``TINYSR_SHARED`` is a failure."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# Idle OpenMP threads sleep instead of spinning: on a loaded 2-core machine spinning makes small torch ops
# tens of times slower. Set before torch is imported by any test module.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _shared() -> Path:
    value = os.environ.get("TINYSR_SHARED")
    if not value:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but TINYSR_SHARED is not set: export TINYSR_SHARED=$(realpath ../shared)")
        pytest.skip("TINYSR_SHARED is not set (export TINYSR_SHARED=$(realpath ../shared) to run this test)")
    path = Path(value)
    if not (path / "data").is_dir():
        pytest.fail(f"TINYSR_SHARED={value} has no data/ folder; point it at the shared/ directory")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _shared()


@pytest.fixture(scope="session")
def benchmarks_dir(shared_dir: Path) -> Path:
    """``$TINYSR_SHARED/data/benchmarks`` with Set5, Set14, B100 (HR + genuine LR_bicubic X2/X3/X4)."""
    return shared_dir / "data" / "benchmarks"


@pytest.fixture(scope="session")
def official_dir(shared_dir: Path) -> Path:
    """``$TINYSR_SHARED/data/official``: the DLSR authors' released x2 checkpoints."""
    return shared_dir / "data" / "official"


class CliResult:
    """What ``tinysr ...`` returned and printed, run in this process: ``returncode``, ``stdout``, ``stderr``."""

    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def run_cli(capsys):
    """``run_cli("train", "--preset", "smoke", ...)``: the CLI's ``main`` in this process (no interpreter start-up,
    no second torch import), with its exit status and output. Tests about signals, exit codes of the process or
    torchrun start a subprocess instead."""
    from tinysr.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    return run
