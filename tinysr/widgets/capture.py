"""What a panel's worker thread prints goes to that panel's ``Output`` widget; everything else is untouched.

Why not ``with output:``? An Output widget captures the kernel messages whose parent is the message being
handled, and JupyterLab stops routing them once the kernel has said the message is handled (an "idle"
status). A run in a worker thread outlives its click's handler, so its prints (the results, the ETA of a
long run, an ``on_done`` callback's lines, a traceback) would land in JupyterLab's log console. Instead,
while a worker runs, ``sys.stdout`` and ``sys.stderr`` are stand-ins that send the lines written *by that
thread* to its Output widget (``append_stdout`` / ``append_stderr``, the ways ipywidgets documents for
threads) and pass every other thread's writes to the stream they replaced. The stand-ins are removed when
the last worker ends.
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ipywidgets as W

__all__ = ["ThreadOutput", "to_output"]

_lock = threading.Lock()


class ThreadOutput:
    """A stand-in for ``sys.<name>``: writes of registered threads go, a line at a time, to their Output
    widget; the others to ``inner``."""

    def __init__(self, inner: Any, name: str) -> None:
        self.inner, self.name = inner, name
        self.targets: dict[int, W.Output] = {}
        self.pending: dict[int, str] = {}

    def write(self, text: str) -> int:
        me = threading.get_ident()
        out = self.targets.get(me)
        if out is None:
            return self.inner.write(text)
        buffered = self.pending.get(me, "") + text
        head, newline, tail = buffered.rpartition("\n")
        self.pending[me] = tail
        if newline:
            self._emit(out, head + newline)
        return len(text)

    def _emit(self, out: W.Output, text: str) -> None:
        (out.append_stdout if self.name == "stdout" else out.append_stderr)(text)

    def flush_thread(self, ident: int) -> None:
        rest = self.pending.pop(ident, "")
        if rest and ident in self.targets:
            self._emit(self.targets[ident], rest)

    def flush(self) -> None:
        self.inner.flush()

    def __getattr__(self, name: str) -> Any:          # fileno, isatty, encoding, ... of the real stream
        return getattr(self.inner, name)


@contextmanager
def to_output(output: W.Output) -> Iterator[None]:
    """While the block runs, what this thread prints to stdout or stderr goes to ``output``."""
    me = threading.get_ident()
    streams = []
    with _lock:
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if not isinstance(stream, ThreadOutput):
                stream = ThreadOutput(stream, name)
                setattr(sys, name, stream)
            stream.targets[me] = output
            streams.append(stream)
    try:
        yield
    finally:
        with _lock:
            for name, stream in zip(("stdout", "stderr"), streams):
                stream.flush_thread(me)
                stream.targets.pop(me, None)
                if not stream.targets and getattr(sys, name) is stream:
                    setattr(sys, name, stream.inner)
