"""Stopping a long run between two steps: Ctrl-C, SIGTERM or a notebook's Stop button set a :class:`StopFlag` that
the loops check after every step; they then checkpoint and stop (:meth:`StopFlag.stop`). A second Ctrl-C stops at
once, keeping the last checkpoint."""
from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import torch

from .distributed import any_rank

__all__ = ["StopFlag", "stop_signals"]


class StopFlag:
    """Set by Ctrl-C, SIGTERM or a notebook's Stop button; loops check it between steps."""

    def __init__(self) -> None:
        self.hit, self.why = False, ""

    def set(self, why: str = "stop requested") -> None:
        self.hit, self.why = True, why

    def __bool__(self) -> bool:
        return self.hit

    def agree(self, world: int, device: torch.device | str) -> None:
        """Under torchrun, set on every rank when it is set on any (all ranks call it at the same step)."""
        if world > 1 and any_rank(bool(self), device) and not self:
            self.set("another rank was stopped")

    def stop(self, what: str, step: int, out: object = None) -> NoReturn:
        """Raise the ``KeyboardInterrupt`` a stopped run ends with (its checkpoint is saved), saying how to resume."""
        raise KeyboardInterrupt(f"{what} stopped after step {step} ({self.why}); the checkpoint is saved: resume "
                                f"with --resume (resume=True){f' --out {out}' if out else ''}")

    def call(self, callbacks, step: int, record: dict) -> None:
        """``cb(step, record)`` for each callback; one that raises ``KeyboardInterrupt`` stops the run (set)."""
        try:
            for cb in callbacks:
                cb(step, record)
        except KeyboardInterrupt:
            self.set("stopped by a callback")


@contextmanager
def stop_signals(flag: StopFlag | None = None) -> Iterator[StopFlag]:
    """Turn SIGINT/SIGTERM into ``flag`` for the duration of a run (main thread only; elsewhere, e.g. a
    widget callback thread, only ``flag.set()`` stops the loop). A second SIGINT raises
    ``KeyboardInterrupt`` at once."""
    flag = flag if flag is not None else StopFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def on_signal(signum, frame):
        if flag.hit and signum == signal.SIGINT:
            raise KeyboardInterrupt("second Ctrl-C: stopped at once (the last checkpoint is kept)")
        flag.set("Ctrl-C" if signum == signal.SIGINT else "SIGTERM")

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
