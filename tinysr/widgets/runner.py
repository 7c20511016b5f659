"""A form with Run and Stop: runs that can be stopped, never overlap, and show their results in the notebook.

What a click does, and why:

- **Run** starts the run in a worker thread and returns, so the kernel keeps handling widget messages
  (JupyterLab 4.6 may deliver them on a kernel thread of its own): that is what lets **Stop** work. Stop
  sets a :class:`tinysr.runstate.StopFlag` that the search/training loop checks between steps (SIGINT and
  Kernel > Interrupt reach only the main thread, so they cannot stop a run in a thread); the loop saves a
  checkpoint and the panel says where.
- While a run goes, Run is disabled, and a second click (a double click sends two) is ignored.
- One panel run at a time per kernel (a module-level lock): a second panel's Run waits, saying which
  run it waits for; Stop cancels the wait. :meth:`RunPanel.run` (the same run, blocking, for a cell) takes
  the same lock.
- Each run writes to a fresh temporary run folder (``tempfile.mkdtemp``; run folders refuse to be
  overwritten, so a repeated run never collides with the last one); ``panel.folder`` is the last one.
- Whatever a clicked run and its ``on_done`` callbacks print (results, the ETA of a long run, a
  traceback) goes to the panel's ``Output`` widget (:mod:`tinysr.widgets.capture`); a blocking
  :meth:`RunPanel.run` prints into its cell as usual.
- The status line shows the steps done, the elapsed time and an estimate of the time left.
- However a run ends (done, stopped, an error, an interrupt of a blocking :meth:`run`), the buttons and
  the lock are restored, so the panel can run again; after a kernel restart, re-running the cell that
  makes the panels gives fresh ones (the lock lives in the kernel and is new too).
"""
from __future__ import annotations

import html
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as W
from matplotlib.figure import Figure

from .. import config as C
from ..runtime.eta import format_duration
from ..runtime.stop import StopFlag
from .capture import to_output
from .figures import LiveFigure, search_figure
from .form import SEARCH_FIELDS, ConfigPanel

__all__ = ["RunPanel", "RUN_LOCK", "running_panel"]

#: One panel run at a time in this kernel. Re-entrant, so an ``on_done`` callback may run another panel.
RUN_LOCK = threading.RLock()
_holder: list[str] = []            # labels of the runs holding RUN_LOCK (nested: on_done running another)


def running_panel() -> str | None:
    """The label of the panel run holding :data:`RUN_LOCK` (``None`` when no panel runs)."""
    return _holder[-1] if _holder else None


def _error(exc: BaseException) -> str:
    return f"<b style='color:#c00'>{type(exc).__name__}: {html.escape(str(exc))}</b>"


class RunPanel(ConfigPanel):
    """A :class:`ConfigPanel` with a heading, Run and Stop buttons, a progress bar, a status line, a live
    figure and an output area (see the module docstring). Subclasses say what to run (``_call``), how
    many steps it has (``_total``), what to draw (``draw``) and how to sum a result up (``_summary``).

    ``runs_dir``: where the temporary run folders go (default: the system's temporary folder)."""

    label = "Run"
    title = "Run"
    kind = "run"
    draw: Callable[..., Figure] = staticmethod(search_figure)

    def __init__(self, cfg: C.Config | None = None, fields: Sequence[str] = SEARCH_FIELDS, *,
                 allow_paper: bool | None = None, runs_dir: str | Path | None = None) -> None:
        super().__init__(cfg, fields, allow_paper=allow_paper)
        self.heading = W.HTML(f"<h3 style='margin:0.3em 0'>{html.escape(self.title)}</h3>")
        fixed = dict(layout=W.Layout(flex="0 0 auto"))
        self.button = W.Button(description=self.label, button_style="primary", icon="play", **fixed)
        self.stop_button = W.Button(description="Stop", button_style="warning", icon="stop", disabled=True,
                                    tooltip="stop after the current step (a checkpoint is kept)", **fixed)
        self.progress = W.IntProgress(value=0, min=0, max=1, description="progress", **fixed)
        self.status = W.HTML(value="", layout=W.Layout(flex="1 1 auto"))
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%", display="none"))
        self.output = W.Output(layout=W.Layout(max_height="20em", overflow="auto"))
        for w, name in ((self.button, "run"), (self.stop_button, "stop"), (self.progress, "progress"),
                        (self.status, "status"), (self.image, "figure"), (self.output, "output")):
            w.add_class(f"tinysr-{name}")      # stable hooks for styling and for the browser test
        self.button.on_click(self._on_click)
        self.stop_button.on_click(self._on_stop)
        self.runs_dir = runs_dir
        self.callbacks: list[Callable[[int, dict], None]] = []   # extra run callbacks of every run
        self.result: Any = None
        self.results: list[Any] = []      # every finished run of this panel, in order
        self.folder: Path | None = None   # the run folder of the latest run
        self.flag: StopFlag | None = None
        self.thread: threading.Thread | None = None
        self._done: list[Callable[[Any], None]] = []
        self._claim = threading.Lock()    # held while this panel runs: the double-click guard

    def on_done(self, fn: Callable[[Any], None]) -> None:
        """Call ``fn(result)`` after each successful run (e.g. hand a searched genotype to a TrainPanel);
        what it prints shows in the panel's output area."""
        self._done.append(fn)

    @property
    def running(self) -> bool:
        """True from a click (or :meth:`run`) until the run has ended, however it ends."""
        return self._claim.locked()

    def _extra(self) -> list[W.Widget]:
        return []

    def _form(self) -> W.Widget:
        controls = W.HBox([self.button, self.stop_button, self.progress, self.status])
        return W.VBox([self.heading, *self._extra(), super()._form(), controls, self.image, self.output])

    # -- clicks ------------------------------------------------------------------------------------
    def _on_click(self, _button: W.Button | None = None) -> None:
        """Run's handler: start the run in a worker thread (see the module docstring); ignore the click
        when this panel is already running."""
        if not self._claim.acquire(blocking=False):
            return                         # a double click, or a click that raced the disabled state
        self._start()
        self.thread = threading.Thread(target=self._in_thread, daemon=True, name=f"tinysr {self.label}")
        self.thread.start()

    def _on_stop(self, _button: W.Button | None = None) -> None:
        """Stop's handler: ask the run (or the wait for another panel's run) to end after this step."""
        if self.flag is not None and self.running:
            self.flag.set("Stop button")
            self.status.value = "stopping after the current step ..."

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a run started by a click to end; True when it has (False: ``timeout`` seconds passed)."""
        if self.thread is not None:
            self.thread.join(timeout)
        return not self.running

    def _in_thread(self) -> None:
        with to_output(self.output):
            try:
                self._locked_run((), {})
            except KeyboardInterrupt as exc:
                self.status.value = f"stopped: {html.escape(str(exc) or 'interrupted')}"
            except Exception as exc:  # a button callback has nowhere else to report: the panel shows it
                self.status.value = _error(exc)
                traceback.print_exc()
            finally:
                self._finish()

    def run(self, callbacks: Sequence[Callable] = (), **kwargs: Any) -> Any:
        """Run with ``self.config()`` in this thread and return the result (what a cell calls; blocks). It
        waits for another panel's run like a click does; a run of this same panel raises RuntimeError."""
        if not self._claim.acquire(blocking=False):
            raise RuntimeError(f"{self.label!r} is already running in this panel; wait for it (panel.wait()) "
                               "or press Stop")
        self._start()
        try:
            return self._locked_run(callbacks, kwargs)
        except KeyboardInterrupt as exc:
            self.status.value = f"stopped: {html.escape(str(exc) or 'interrupted')}"
            raise
        except Exception as exc:
            self.status.value = _error(exc)
            raise
        finally:
            self._finish()

    # -- one run -----------------------------------------------------------------------------------
    def _start(self) -> None:
        self.flag = StopFlag()
        self.button.disabled, self.stop_button.disabled = True, False

    def _finish(self) -> None:
        self.button.disabled, self.stop_button.disabled = False, True
        self._claim.release()

    def _take_lock(self, flag: StopFlag) -> None:
        if not RUN_LOCK.acquire(blocking=False):
            self.status.value = (f"waiting: {html.escape(str(running_panel()))} (another panel) is running in this "
                                 "kernel, one run at a time; this run starts when it ends (Stop cancels)")
            while not RUN_LOCK.acquire(timeout=0.1):
                if flag:
                    raise KeyboardInterrupt("cancelled while waiting for the other panel's run")
        _holder.append(self.label)

    def _locked_run(self, callbacks: Sequence[Callable], kwargs: dict) -> Any:
        flag = self.flag if self.flag is not None else StopFlag()
        self._take_lock(flag)
        try:
            cfg = self.config()
            total = max(self._total(cfg), 1)
            self.progress.max, self.progress.value = total, 0
            self.folder = Path(tempfile.mkdtemp(prefix=f"tinysr-{self.kind}-", dir=self.runs_dir))
            note = " (the released multi-day schedule: the time left shows after the first steps)" \
                if cfg.name == "paper" else ""
            self.status.value = f"running: {cfg.name} preset, {total:,} steps{note} ..."
            live, t0 = LiveFigure(self.draw, image=self.image), time.perf_counter()

            def follow(step: int, record: dict) -> None:
                done = min(int(record.get("step", step)), total)
                self.progress.value = done
                live(step, record)
                spent = time.perf_counter() - t0
                left = f", about {format_duration(spent / done * (total - done))} to go" if done < total else ""
                self.status.value = f"step {done:,}/{total:,}, {format_duration(spent)}{left}"

            result = self._call(cfg, callbacks=[follow, *self.callbacks, *callbacks], progress=False,
                                out=self.folder, stop=flag, **kwargs)
            self.result = result
            self.results.append(result)
            self.progress.value = total
            summary = self._summary(result)
            self.status.value = f"done in {format_duration(time.perf_counter() - t0)}: {html.escape(summary)}"
            print(f"{self.label} #{len(self.results)} ({cfg.name} preset): {summary}; run folder {self.folder}")
            for fn in self._done:
                fn(result)
            return result
        finally:
            _holder.pop()
            RUN_LOCK.release()

    def _total(self, cfg: C.Config) -> int:
        raise NotImplementedError

    def _call(self, cfg: C.Config, **kwargs: Any) -> Any:
        raise NotImplementedError

    def _summary(self, result: Any) -> str:
        return str(result)
