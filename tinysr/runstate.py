"""What every long run (search, retraining) shares: Ctrl-C between steps, NaN guard, resume checks.

A run folder holds ``config.json`` and an atomically written ``checkpoint.pt`` with the complete state;
resuming compares the saved config with the requested one so a run never silently continues with other
settings.
"""
from __future__ import annotations

import json
import math
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .config import Config


@contextmanager
def deferred_interrupt() -> Iterator[dict[str, bool]]:
    """Turn Ctrl-C (SIGINT, also a Jupyter "interrupt kernel") into a flag that the loop checks between
    steps, so the checkpoint written on interrupt is never taken in the middle of an update."""
    flag = {"hit": False}
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum, frame):  # noqa: ARG001
        flag["hit"] = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def check_finite(value: float, what: str, step: int, lr: float, knob: str) -> None:
    """Stop with a clear error when a loss is NaN/inf: the step, the value and the usual fix."""
    if not math.isfinite(value):
        raise FloatingPointError(
            f"{what} became {value} at step {step}: training diverged. The usual cause is a learning rate "
            f"that is too high (now {lr:g}); lower it, e.g. --set {knob}={lr / 10:g}, or clip gradients harder.")


def check_same_config(folder: Path, cfg: Config, sections: tuple[str, ...]) -> None:
    """Raise ``ValueError`` if ``folder/config.json`` differs from ``cfg`` in any of ``sections``."""
    saved = json.loads((folder / "config.json").read_text())
    now = cfg.to_dict()
    for section in sections:
        if saved.get(section) != json.loads(json.dumps(now[section])):
            raise ValueError(f"cannot resume in {folder}: it was made with different settings "
                             f"({section}: {saved.get(section)} != {now[section]}). Use the same preset and "
                             "--set values, or a new --out folder.")
