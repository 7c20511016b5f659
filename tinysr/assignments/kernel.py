"""Run a list of cells in a fresh Jupyter kernel of this Python environment, with one time limit for all.

This is what nbval and nbclient do, in the few lines the grader needs (``jupyter_client`` and
``ipykernel`` come with the ``dev`` extra): every cell is run even after an error (a failing check must
not hide the next one), stdin is off (``input()`` raises instead of hanging), and when the time limit is
reached the kernel is killed, that cell is reported as stopped and the remaining ones as not run. The
kernel's working directory is a fresh temporary folder, so student code does not write next to the
submissions.
"""
from __future__ import annotations

import os
import queue
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Sequence

__all__ = ["CellOutcome", "Runner", "run_in_kernel"]


@dataclass(frozen=True)
class CellOutcome:
    """How one cell ended: ``status`` is "ok", "error", "timeout" (interrupted at the time limit) or
    "not run" (after a timeout or a dead kernel); ``ename``/``evalue`` describe an error."""

    status: str
    ename: str = ""
    evalue: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def describe(self) -> str:
        if self.status == "error":
            return f"{self.ename}: {self.evalue}" if self.evalue else self.ename
        return {"ok": "passed", "timeout": "stopped at the time limit",
                "not run": "not run (time limit reached or kernel died before it)"}[self.status]


Runner = Callable[[Sequence[str], float], list[CellOutcome]]   # (cell sources, seconds) -> one outcome each


def _kernel_manager():
    import ipykernel.kernelspec
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    class _ThisEnvironment(KernelSpecManager):           # the kernel runs sys.executable, like nbval's
        def get_kernel_spec(self, kernel_name):          # --nbval-current-env
            return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES,
                                          **ipykernel.kernelspec.get_kernel_dict())

    return KernelManager(kernel_name="tinysr-grader", kernel_spec_manager=_ThisEnvironment())


def _run_one(km, kc, code: str, deadline: float) -> CellOutcome:
    msg_id = kc.execute(code, allow_stdin=False, store_history=True)
    error = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return CellOutcome("timeout")
        try:
            msg = kc.get_iopub_msg(timeout=min(remaining, 2.0))
        except queue.Empty:
            if not km.is_alive():
                return CellOutcome("error", "DeadKernelError", "the kernel died while running this cell")
            continue
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "error":
            error = CellOutcome("error", content.get("ename", "Error"), str(content.get("evalue", ""))[:500])
        elif kind == "status" and content.get("execution_state") == "idle":
            return error or CellOutcome("ok")


def run_in_kernel(sources: Sequence[str], timeout: float = 600.0, *, startup_timeout: float = 120.0,
                  env: dict[str, str] | None = None) -> list[CellOutcome]:
    """Run ``sources`` in order in a new kernel; return one :class:`CellOutcome` per cell. ``timeout``
    (seconds, > 0) bounds the whole run after the kernel is up; ``env`` defaults to this process's
    environment (so ``TINYSR_PRESET`` and ``TINYSR_DATA`` reach the notebook)."""
    if not timeout > 0:
        raise ValueError(f"timeout={timeout!r}: give the seconds a submission may run, > 0")
    km = _kernel_manager()
    with tempfile.TemporaryDirectory(prefix="tinysr-grade-") as cwd:
        km.transport, km.ip = "ipc", os.path.join(cwd, "kernel")   # local sockets: nothing on the network
        environment = dict(os.environ if env is None else env)
        environment.setdefault("MPLBACKEND", "Agg")
        environment.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        km.start_kernel(cwd=cwd, env=environment)
        kc = km.client()
        kc.start_channels()
        outcomes: list[CellOutcome] = []
        try:
            kc.wait_for_ready(timeout=startup_timeout)
            deadline = time.monotonic() + timeout
            for code in sources:
                outcome = _run_one(km, kc, code, deadline)
                outcomes.append(outcome)
                if outcome.status == "timeout" or outcome.ename == "DeadKernelError":
                    break
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    outcomes += [CellOutcome("not run")] * (len(sources) - len(outcomes))
    return outcomes
