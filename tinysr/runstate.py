"""One run-folder mechanism for every long run (search, retraining, ``tinysr run``, the study).

A run folder holds::

    run.json      tinysr version and git commit, torch, device, world size, command line, start/end time
    data.json     which images went to weight steps, architecture steps and validation
    config.json   the settings -- written together with the FIRST checkpoint, never before, so a fresh run
                  killed before its first checkpoint cannot be resumed as an older one
    history.json  the records of the run (``step``, ``epoch``, ``loss``, ``psnr``, ``w_lr``, ...)
    checkpoint.pt the complete state (named state dicts), written atomically
    <results>     e.g. genotype.json, model.pt

A folder that already holds a run is never overwritten: :class:`RunFolder` refuses unless the run is
resumed (``resume=True``, the CLI's ``--resume``) or explicitly replaced (``overwrite=True``,
``--overwrite``, which deletes only tinysr's own files of this run, and a sub-folder only when this kind of run
writes it and it holds a tinysr ``run.json``). Resuming checks the kind of the checkpoint, the config and the
genotype, and names the keys that changed. Ctrl-C (SIGINT) and SIGTERM become a flag the
loops check between steps (:func:`stop_signals`); a second Ctrl-C stops at once.
"""
from __future__ import annotations

import json
import math
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from .config import Config
from .config.overrides import ADDED_FIELDS
from .utils import atomic_save, atomic_write_text, safe_load

__all__ = ["Meter", "RunFolder", "RunExistsError", "ResumeMismatchError", "config_diff", "git_commit", "RUN_FILES"]

#: Files tinysr writes in a run folder (``--overwrite`` deletes these, and the run's own sub-folders, nothing else).
RUN_FILES = ("run.json", "data.json", "config.json", "history.json", "checkpoint.pt", "genotype.json",
             "model.pt", "last.pt", "results.json", "report.md", "study.json", "study.md", "timings.json")
#: Sub-folders a run of each kind writes (``tinysr run``: its stages and figures; a study: one folder per job).
RUN_DIRS = {"run": ("search", "train", "evaluate", "figures"), "study": ("runs",), "study-run": ("search", "train")}


class RunExistsError(FileExistsError):
    """The output folder already holds a run and neither resume nor overwrite was asked for."""


class ResumeMismatchError(ValueError):
    """A resume was asked for with other settings, another genotype or another kind of run."""


class Meter:
    """Running sums of per-step losses kept on the device (no host sync per step), read at log time. The
    non-finite guard is deferred too: :meth:`read` raises ``FloatingPointError`` naming the first bad step."""

    def __init__(self) -> None:
        self.sums, self.counts = {}, {}                 # name -> running sum (tensor) / number of steps
        self.bad: Any = None          # first non-finite step, as a 0-dim tensor (-1: none), or None

    def add(self, parts: Mapping[str, torch.Tensor], step: int) -> None:
        vals = [v for v in parts.values() if isinstance(v, torch.Tensor)]
        for k, v in parts.items():
            self.sums[k] = self.sums.get(k, 0.0) + v
            self.counts[k] = self.counts.get(k, 0) + 1
        if vals:
            ok = torch.stack([v.detach().reshape(()).isfinite() for v in vals]).all()
            bad = self.bad if self.bad is not None else torch.full((), -1, dtype=torch.long, device=ok.device)
            self.bad = torch.where(ok | (bad >= 0), bad, torch.full_like(bad, step))

    def read(self, advice: str = "") -> dict[str, float]:
        """The means since the last read (and reset); raises on a non-finite loss."""
        out = {k: float(self.sums[k]) / self.counts[k] for k in sorted(self.sums)}
        if self.bad is not None and int(self.bad) >= 0:
            broken = [k for k, v in out.items() if not math.isfinite(v)] or list(out)
            raise FloatingPointError(f"{', '.join(broken)} became non-finite at step {int(self.bad)}: the run "
                                     f"diverged. {advice or 'Lower the learning rate.'}")
        self.sums, self.counts = {}, {}
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"sums": {k: v.detach().cpu() if isinstance(v, torch.Tensor) else v for k, v in self.sums.items()},
                "counts": dict(self.counts),
                "bad": None if self.bad is None else int(self.bad)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.sums = dict(state["sums"])
        self.counts = dict(state["counts"])
        self.bad = None if state["bad"] is None else torch.tensor(state["bad"])


def _flatten(d: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(d, Mapping):
        out: dict[str, Any] = {}
        for k, v in d.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: d}


def config_diff(saved: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """``["search.w_lr: 0.001 -> 0.0005", ...]`` for every dotted key whose value differs. A field added to the
    config after ``saved`` was written counts as what such a config did (``ADDED_FIELDS``), so a run started by an
    older tinysr resumes when nothing it did has changed."""
    a, b = _flatten(json.loads(json.dumps(saved))), _flatten(json.loads(json.dumps(now)))
    for k in set(b) - set(a):
        added = [v for name, v in ADDED_FIELDS.items() if k == name or k.endswith("." + name)]   # also in a plan
        if added:
            a[k] = added[0]
    return [f"{k}: {a.get(k, '(absent)')!r} -> {b.get(k, '(absent)')!r}" for k in sorted(set(a) | set(b))
            if a.get(k) != b.get(k)]


def _version() -> str:
    try:
        return metadata.version("tinysr")
    except metadata.PackageNotFoundError:
        return "unknown"


def git_commit(short: bool = False) -> str | None:
    """The commit of the checkout this tinysr runs from (``short``: git's abbreviated form); ``None`` outside a
    git checkout (an installed wheel) or without git."""
    try:
        here = Path(__file__).resolve().parent
        out = subprocess.run(["git", "-C", str(here), "rev-parse", *(["--short"] if short else []), "HEAD"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


class RunFolder:
    """The run folder ``path`` of one run of ``kind`` (``search``, ``train``, ``run``, ``study``).

    ``overwrite=None``: the caller offers no ``--overwrite`` (its messages do not suggest one).
    ``active=False`` (ranks other than 0 under torchrun) makes every write a no-op, but the checks and
    :meth:`load` still work, so every rank refuses, or resumes, alike; ``path=None`` keeps nothing at all.
    Raises :class:`RunExistsError` when ``path`` holds a run and neither ``resume`` nor ``overwrite``."""

    def __init__(self, path: str | Path | None, kind: str, *, resume: bool = False, overwrite: bool | None = False,
                 active: bool = True) -> None:
        self.path = Path(path) if path is not None else None
        self.kind, self.resume = kind, resume
        self.active = active and self.path is not None
        if self.path is None:
            return
        if self.path.exists() and not self.path.is_dir():
            raise NotADirectoryError(f"--out {self.path} is a file, not a folder; choose a folder name")
        held = self.holds_run()
        if held and overwrite and active:
            self._clear()
        elif held and not resume and not overwrite:
            raise RunExistsError(f"{self.path} already holds a run ({', '.join(held[:3])}); nothing was changed. "
                                 "Continue it with --resume or start elsewhere with --out OTHER_DIR"
                                 + ("" if overwrite is None else ", or replace it with --overwrite"))
        if active:
            self.path.mkdir(parents=True, exist_ok=True)

    # -- the folder ----------------------------------------------------------------------------------
    def holds_run(self) -> list[str]:
        """The tinysr files already in the folder, and the sub-folders a run of this kind writes that hold a run
        of their own (empty: a fresh folder). Another run's folder inside -- ``runs/search`` beside a training
        into ``runs`` -- is not this run's."""
        if self.path is None or not self.path.is_dir():
            return []
        return [n for n in RUN_FILES if (self.path / n).is_file()] + self._own_dirs()

    def _own_dirs(self) -> list[str]:
        """This kind's sub-folders that tinysr made for this run: holding their own ``run.json``, or (``figures``)
        beside this folder's ``run.json`` of the same kind."""
        mine = (self.read_json("run.json") or {}).get("kind") == self.kind
        return [n for n in RUN_DIRS.get(self.kind, ()) if (self.path / n).is_dir()
                and ((self.path / n / "run.json").is_file() or (n == "figures" and mine))]

    def _clear(self) -> None:
        """``--overwrite``: delete tinysr's files of this run and this run's own sub-folders, nothing else (a
        user's folder of the same name without a tinysr ``run.json`` stays)."""
        dirs = self._own_dirs()
        for name in RUN_FILES:
            (self.path / name).unlink(missing_ok=True)
        for name in dirs:
            shutil.rmtree(self.path / name)

    def file(self, name: str) -> Path:
        """The path of ``name`` in the run folder (a file, or a stage's sub-folder)."""
        return self.path / name

    # -- metadata ------------------------------------------------------------------------------------
    def start(self, device: torch.device | str, world_size: int = 1, **extra: Any) -> None:
        """Write ``run.json`` (on resume: keep the first start, add this one to ``resumed``)."""
        if not self.active:
            return
        now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        info = {"kind": self.kind, "tinysr": _version(), "git_commit": git_commit(), "torch": torch.__version__,
                "python": platform.python_version(), "host": platform.node(), "device": str(device),
                "world_size": world_size, "command": " ".join(sys.argv), "start": now, "end": None, **extra}
        old = self.read_json("run.json")
        if self.resume and old:
            info["start"] = old.get("start", now)
            info["resumed"] = old.get("resumed", []) + [now]
        self.write_json("run.json", info)

    def finish(self, **extra: Any) -> None:
        if not self.active:
            return
        info = self.read_json("run.json") or {}
        info.update(end=time.strftime("%Y-%m-%dT%H:%M:%S%z"), **extra)
        self.write_json("run.json", info)

    def write_data(self, data: Mapping[str, Any]) -> None:
        """``data.json``: e.g. ``{"train": [...names], "arch": [...], "val": [...]}``."""
        self.write_json("data.json", data)

    def write_json(self, name: str, obj: Any) -> None:
        if self.active:
            atomic_write_text(json.dumps(obj, indent=1) + "\n", self.path / name)

    def read_json(self, name: str) -> Any:
        p = self.path / name if self.path is not None else None
        return json.loads(p.read_text()) if p is not None and p.is_file() else None

    # -- checkpoints -----------------------------------------------------------------------------------
    def restore(self, cfg: Config, objects: Mapping[str, Any], world: int = 1,
                genotype: Mapping[str, Any] | None = None) -> tuple[list[dict[str, Any]], int, dict[str, Any]]:
        """Resume: every object's ``load_state_dict`` from the checkpoint, and torch's global generator; returns
        ``(history, step, states)`` (``([], 0, {})`` for a fresh run). A checkpoint of another world size is
        refused: each global batch was split across that many ranks."""
        state = self.load(cfg, genotype)
        if state is None:
            return [], 0, {}
        states = state["states"]
        if states.get("world_size", 1) != world:
            raise ValueError(f"{self.path} was checkpointed by {states.get('world_size', 1)} process(es); resume it "
                             f"with the same number (now {world}), since each global batch is split across them")
        for name, obj in objects.items():
            obj.load_state_dict(states[name])
        torch.set_rng_state(states["torch_rng"])
        return state["history"], state["step"], states

    def checkpoint(self, objects: Mapping[str, Any], history: list[dict[str, Any]], step: int, cfg: Config,
                   world: int = 1, genotype: Mapping[str, Any] | None = None, **extra: Any) -> None:
        """:meth:`save` every object's ``state_dict``, torch's global generator, the world size and ``extra``."""
        self.save({**{name: obj.state_dict() for name, obj in objects.items()}, "torch_rng": torch.get_rng_state(),
                   "world_size": world, **extra}, history, step, cfg, genotype)

    def save(self, states: Mapping[str, Any], history: list[dict[str, Any]], step: int, cfg: Config,
             genotype: Mapping[str, Any] | None = None) -> None:
        """Atomically write ``checkpoint.pt`` (``states`` plus step, kind, config, genotype) and
        ``history.json``; ``config.json`` goes with the first checkpoint."""
        if not self.active:
            return
        atomic_save({"kind": self.kind, "step": step, "states": dict(states), "history": history,
                     "config": cfg.to_dict(), "genotype": genotype}, self.path / "checkpoint.pt")
        self.write_json("history.json", history)
        if not (self.path / "config.json").exists():
            atomic_write_text(cfg.to_json() + "\n", self.path / "config.json")

    def load(self, cfg: Config, genotype: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """The checkpoint to resume from, or ``None`` when not resuming or when there is none yet.
        Refuses (``ResumeMismatchError``) another kind, other settings or another genotype, naming what
        changed."""
        if self.path is None or not self.resume or not (self.path / "checkpoint.pt").exists():
            return None
        state = safe_load(self.path / "checkpoint.pt")
        if not isinstance(state, dict) or "kind" not in state:
            raise ResumeMismatchError(f"{self.path / 'checkpoint.pt'} is not a tinysr checkpoint of this version; "
                                      "start a new run with --out OTHER_DIR or --overwrite")
        if state["kind"] != self.kind:
            raise ResumeMismatchError(f"{self.path} holds a {state['kind']} checkpoint, not a {self.kind} one: "
                                      f"resume it with `tinysr {state['kind']} --resume`, or use another --out")
        changed = config_diff(state["config"], cfg.to_dict())
        if changed:
            raise ResumeMismatchError(f"cannot resume {self.path}: the settings changed ({'; '.join(changed[:6])}). "
                                      "Resume with the same preset, --seed and --set values, or use a new --out")
        if genotype is not None and state.get("genotype") != json.loads(json.dumps(genotype)):
            diff = config_diff({"genotype": state.get("genotype") or {}}, {"genotype": genotype})
            raise ResumeMismatchError(f"cannot resume {self.path}: the genotype changed ({'; '.join(diff[:4])}). "
                                      "Resume with the same --genotype, or use a new --out")
        return state
