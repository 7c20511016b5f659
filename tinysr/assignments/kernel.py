"""Run a list of cells in a fresh Jupyter kernel of this Python environment, with one time limit for all.

This is what nbval and nbclient do, in the few lines the grader needs (``jupyter_client`` and
``ipykernel`` come with the ``dev`` extra): every cell is run even after an error (a failing check must
not hide the next one), stdin is off (``input()`` raises instead of hanging), and when the time limit is
reached the kernel is killed, that cell is reported as stopped and the remaining ones as not run. The
kernel's working directory is a fresh temporary folder (or ``cwd``), so student code does not write next
to the submissions.

For grading, :func:`run_in_kernel` also takes a ``prelude`` (run first in every kernel, not reported: the
sandbox's audit hook, :mod:`.sandbox`), an ``events`` callback whose lines are attached to the cell that
was running (:attr:`CellOutcome.blocked`), and ``recover``: when a cell kills the kernel (``exit()``,
``os._exit``, a crash) or runs past ``cell_timeout``, a fresh kernel replays the cells that had succeeded
and the run goes on after that cell -- one student cell costs its own task, not the notebook. The total
time limit still bounds everything, replays included.
"""
from __future__ import annotations

import os
import queue
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["CellOutcome", "Runner", "run_in_kernel"]

MAX_RESTARTS = 3


@dataclass(frozen=True)
class CellOutcome:
    """How one cell ended: ``status`` is "ok", "error", "timeout" (interrupted at the time limit) or
    "not run" (after a timeout or a dead kernel, which ``evalue`` says); ``ename``/``evalue`` describe an error;
    ``blocked`` the sandbox's refusals while it ran (``"event<TAB>path"``)."""

    status: str
    ename: str = ""
    evalue: str = ""
    blocked: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def cut_by(self) -> str:
        """What stopped this cell short: "timeout", "kernel died" or "" (it ran to its end)."""
        if self.status == "timeout" or (self.status == "not run" and self.evalue == TIME_UP):
            return "timeout"
        if self.ename == "DeadKernelError" or (self.status == "not run" and self.evalue == DIED):
            return "kernel died"
        return ""

    def describe(self) -> str:
        if self.status == "error":
            return f"{self.ename}: {self.evalue}" if self.evalue else self.ename
        return {"ok": "passed", "timeout": "stopped at the time limit",
                "not run": f"not run ({self.evalue or 'an earlier cell stopped the run'})"}[self.status]


TIME_UP, DIED = "the time limit was reached before it", "the kernel died before it"


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


@contextmanager
def _kernel(cwd: str, env: dict[str, str], prelude: str | None, startup_timeout: float) -> Iterator[tuple]:
    km = _kernel_manager()
    km.transport, km.ip = "ipc", os.path.join(cwd, f".kernel-{time.monotonic_ns()}")  # local sockets only
    km.start_kernel(cwd=cwd, env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=startup_timeout)
        if prelude:
            done = _run_one(km, kc, prelude, time.monotonic() + startup_timeout)
            if not done.ok:
                raise RuntimeError(f"the grader's prelude failed in the kernel: {done.describe()}")
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@contextmanager
def _folder(cwd: str | os.PathLike | None) -> Iterator[str]:
    if cwd is not None:
        yield str(cwd)
        return
    with tempfile.TemporaryDirectory(prefix="tinysr-grade-") as work:
        yield work


def run_in_kernel(sources: Sequence[str], timeout: float = 600.0, *, startup_timeout: float = 120.0,
                  env: dict[str, str] | None = None, cwd: str | os.PathLike | None = None,
                  prelude: str | None = None, events: Callable[[], list[str]] | None = None,
                  recover: bool = False, cell_timeout: float | None = None) -> list[CellOutcome]:
    """Run ``sources`` in order in a new kernel; return one :class:`CellOutcome` per cell. ``timeout``
    (seconds, > 0) bounds the whole run after the first kernel is up; ``env`` defaults to this process's
    environment (so ``TINYSR_PRESET`` and ``TINYSR_DATA`` reach the notebook); ``cwd`` defaults to a new
    temporary folder. ``prelude``, ``events``, ``recover`` and ``cell_timeout``: see the module docstring."""
    if not timeout > 0:
        raise ValueError(f"timeout={timeout!r}: give the seconds a submission may run, > 0")
    environment = dict(os.environ if env is None else env)
    environment.setdefault("MPLBACKEND", "Agg")
    environment.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    outcomes: list[CellOutcome | None] = [None] * len(sources)
    succeeded: list[int] = []
    deadline, i, restarts, why = None, 0, 0, TIME_UP
    with _folder(cwd) as work:
        while i < len(sources):
            with _kernel(work, environment, prelude, startup_timeout) as (km, kc):
                deadline = deadline or time.monotonic() + timeout
                for j in succeeded:                            # after a restart: rebuild the state
                    if _run_one(km, kc, sources[j], deadline).status == "timeout":
                        break
                if events is not None:
                    events()                                   # replayed refusals were reported already
                while i < len(sources):
                    limit = min(deadline, time.monotonic() + cell_timeout) if cell_timeout else deadline
                    out = _run_one(km, kc, sources[i], limit)
                    if events is not None:
                        out = CellOutcome(out.status, out.ename, out.evalue, tuple(events()))
                    outcomes[i] = out
                    i += 1
                    if out.ok:
                        succeeded.append(i - 1)
                    if out.status == "timeout" or out.ename == "DeadKernelError":
                        why = TIME_UP if out.status == "timeout" else DIED
                        break
            if not recover or restarts >= MAX_RESTARTS or time.monotonic() >= deadline:
                why = TIME_UP if time.monotonic() >= deadline else why
                break
            restarts += 1
    return [o or CellOutcome("not run", evalue=why) for o in outcomes]
