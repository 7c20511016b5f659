"""An estimated time for long runs, measured from the run's own first steps and refined as it goes, and the
progress bar beside it (:class:`Progress`).

A run expected to take over :data:`THRESHOLD_S` (30 minutes) says so on stderr before its first epoch ends:
``search: about 73.2 h to go (0.268 s/step over the first 10 steps, 985,000 steps)``. The estimate is
printed again at each epoch end while the remaining time is still over the threshold.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Eta", "Progress", "THRESHOLD_S", "format_duration"]

THRESHOLD_S = 30 * 60


def format_duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


class Eta:
    """Call :meth:`step` after every step (``done`` = steps finished); prints when the run is long."""

    def __init__(self, what: str, total: int, start: int = 0, *, first: int = 10, enabled: bool = True,
                 stream: TextIO | None = None) -> None:
        self.what, self.total, self.start, self.first, self.enabled = what, total, start, first, enabled
        self.stream = stream or sys.stderr
        self.t0 = time.perf_counter()
        self.said = False
        self.last: float | None = None       # the latest estimate of the remaining seconds

    def step(self, done: int, end_of_epoch: bool = False) -> None:
        steps = done - self.start
        if not self.enabled or steps <= 0:
            return
        if not (steps == self.first or (end_of_epoch and (self.said or steps < self.first))):
            return
        per_step = (time.perf_counter() - self.t0) / steps
        self.last = per_step * (self.total - done)
        if self.last > THRESHOLD_S or (self.said and end_of_epoch and self.last > 0):
            self.said = True
            print(f"{self.what}: about {format_duration(self.last)} to go ({per_step:.3f} s/step over {steps} "
                  f"steps, {self.total:,} steps in all); Ctrl-C stops and keeps a checkpoint to --resume",
                  file=self.stream, flush=True)


class Progress:
    """A run's progress bar (tqdm on stderr, ``bar=False`` hides it) and its :class:`Eta`, as one context:
    ``advance(done, end_of_epoch)`` after every step, ``show(loss=..., psnr=...)`` at a record."""

    def __init__(self, what: str, total: int, start: int = 0, *, enabled: bool = True, bar: bool = True) -> None:
        from tqdm.auto import tqdm  # heavy, and only for a run

        self.bar = tqdm(total=total, initial=start, desc=what, disable=not (bar and enabled), file=sys.stderr,
                        leave=False)
        self.eta = Eta(what, total, start, enabled=enabled)

    def advance(self, done: int, end_of_epoch: bool = False) -> None:
        self.bar.update(1)
        self.eta.step(done, end_of_epoch)

    def show(self, **values: float) -> None:
        self.bar.set_postfix(**{k: f"{v:.2f}" for k, v in values.items()})

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()
