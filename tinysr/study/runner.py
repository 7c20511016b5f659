"""The study loop: run every job (in this process, in ``jobs`` spawned processes, or shared by ``torchrun``
ranks), then collect ``study.json``, ``study.md`` and ``study.png``; and rerun one job from a study.json.

Layout of ``out``: ``run.json``, ``plan.json`` (the job specs; a resume must plan the same jobs),
``runs/<id>/`` (one run folder per job, done when its ``result.json`` exists), ``study.json``, ``study.md``,
``study.png``. ``resume=True`` skips finished jobs and resumes unfinished ones from their checkpoints.

Parallel: ``jobs=J > 1`` runs the jobs in a pool of J processes (multiprocessing ``spawn``), each with
``torch.set_num_threads(max(1, cores // J))``. Under ``torchrun`` (``WORLD_SIZE``/``RANK`` set) job i runs on
rank ``i % world``, on ``cuda:LOCAL_RANK`` when there is a GPU; rank 0 waits for every ``result.json`` (a
failed job leaves ``failed.json``, which stops it with that job's error) and writes the outputs. Each job
itself runs as one process (``WORLD_SIZE`` is hidden from its retraining, which would otherwise start DDP).
Thread counts can change the last bits of a float result: each entry records its ``threads``, and a rerun
uses the same number.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import platform
import shlex
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from ..config import Config
from ..runstate import ResumeMismatchError, RunFolder, config_diff
from ..runtime.devices import get_device
from ..utils import atomic_write_text
from .jobs import plan_jobs, run_job, width_of
from .report import write_study_md
from .reuse import reuse_finished
from .sampling import WINDOW
from .summary import verdict_and_stats

__all__ = ["run_study", "rerun", "rerun_command", "run_specs"]

POLL_S = 5.0


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _job_threads(jobs: int) -> int:
    """Threads per job of a study run with ``jobs`` parallel processes (this process's own count for one)."""
    return max(1, _cores() // jobs) if jobs > 1 else torch.get_num_threads()


@contextmanager
def _one_process() -> Iterator[None]:
    """Hide torchrun's WORLD_SIZE/RANK from a job: each job is a single-process run."""
    saved = {k: os.environ.get(k) for k in ("WORLD_SIZE", "RANK")}
    os.environ.update(WORLD_SIZE="1", RANK="0")
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _job(spec: Mapping[str, Any], root: Path, sets: Mapping[str, list], resume: bool, device: str | None) -> dict:
    folder = root / "runs" / spec["id"]
    try:
        with _one_process():
            entry = run_job(spec, folder, sets, resume=resume, device=device)
    except BaseException as exc:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(json.dumps({"id": spec["id"], "error": f"{type(exc).__name__}: {exc}"}) + "\n",
                          folder / "failed.json")
        raise
    (folder / "failed.json").unlink(missing_ok=True)
    print(f"study: {spec['id']} done in {entry['wall_s']:.0f} s", file=sys.stderr, flush=True)
    return entry


_WORKER: dict[str, Any] = {}


def _orphan_watch(parent: int, every_s: float = 2.0) -> None:
    """Return once this process's parent is no longer ``parent`` (it died and the process was re-parented), after
    sending SIGTERM to this process: a pool worker whose study was killed checkpoints at the end of its step and
    stops, instead of training on for hours that nobody will collect."""
    while os.getppid() == parent:
        time.sleep(every_s)
    os.kill(os.getpid(), signal.SIGTERM)


def _init_worker(threads: int, root: str, sets: Mapping[str, list], resume: bool, device: str | None) -> None:
    threading.Thread(target=_orphan_watch, args=(os.getppid(),), daemon=True, name="orphan-watch").start()
    torch.set_num_threads(threads)
    _WORKER.update(root=Path(root), sets=sets, resume=resume, device=device)


def _work(spec: Mapping[str, Any]) -> str:
    _job(spec, _WORKER["root"], _WORKER["sets"], _WORKER["resume"], _WORKER["device"])
    return spec["id"]


def run_specs(todo: list[dict], root: Path, sets: Mapping[str, list], jobs: int, resume: bool,
              device: str | None) -> None:
    """Run job specs into ``root/runs/<id>/`` (each done when its ``result.json`` exists): in this process, or in
    a spawn pool of ``jobs`` processes with ``cores // jobs`` threads each."""
    if jobs <= 1 or len(todo) <= 1:
        for spec in todo:
            _job(spec, root, sets, resume, device)
        return
    threads = _job_threads(jobs)
    ctx = mp.get_context("spawn")
    with ctx.Pool(min(jobs, len(todo)), initializer=_init_worker,
                  initargs=(threads, str(root), sets, resume, device)) as pool:
        for _ in pool.imap_unordered(_work, todo):
            pass


def _wait_for(specs: Sequence[Mapping[str, Any]], root: Path) -> None:
    """Rank 0: wait until every job's result.json exists; a failed.json written since this start (newer
    than plan.json) stops with that job's error."""
    last, since = 0.0, (root / "plan.json").stat().st_mtime
    while True:
        missing = [s["id"] for s in specs if not (root / "runs" / s["id"] / "result.json").exists()]
        if not missing:
            return
        for job_id in missing:
            failed = root / "runs" / job_id / "failed.json"
            if failed.exists() and failed.stat().st_mtime >= since:
                error = json.loads(failed.read_text())["error"]
                raise RuntimeError(f"study job {job_id} failed on another rank: {error}")
        if time.monotonic() - last > 60:
            print(f"study: waiting for {len(missing)} jobs of other ranks ({', '.join(missing[:3])}...)",
                  file=sys.stderr, flush=True)
            last = time.monotonic()
        time.sleep(POLL_S)


def _plan_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    """What differs between two plans, short: the changed arguments, else the first job that differs and its keys;
    ``None`` when nothing does (a config field added since the old plan counts as what its runs did)."""
    new = json.loads(json.dumps(new))
    args = [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in ("budgets", "seeds", "random")
            if old.get(k) != new.get(k)]
    if args:
        return "; ".join(args)
    jobs_old, jobs_new = old.get("jobs", []), new.get("jobs", [])
    if len(jobs_old) != len(jobs_new):
        return f"{len(jobs_old)} jobs -> {len(jobs_new)} jobs"
    for a, b in zip(jobs_old, jobs_new):
        diff = config_diff(a, b)
        if diff:
            return f"job {b.get('id')}: " + "; ".join(diff[:3])
    return None


def rerun_command(study_json: str | Path, run_id: str, benchmarks: str | Path | None) -> str:
    """The command that reruns ``run_id`` of a study.json."""
    parts = ["tinysr", "study", "--from", str(study_json), "--rerun", run_id, "--out", f"rerun-{run_id}", "--json"]
    return shlex.join(parts + (["--benchmarks", str(benchmarks)] if benchmarks is not None else []))


def _machine(folder: RunFolder) -> dict[str, Any]:
    info = {k: v for k, v in (folder.read_json("run.json") or {}).items() if k not in ("command", "start", "end")}
    info.update(cpu=platform.processor() or platform.machine(), cores=_cores(),
                gpu=torch.cuda.get_device_name() if torch.cuda.is_available() else None)
    return info


def _collect(cfg: Config, plan: Mapping[str, Any], root: Path, folder: RunFolder, sets: Mapping[str, list],
             benchmarks: str | Path | None, jobs: int, world: int, command: str | None,
             study_json: Path) -> dict[str, Any]:
    """The study.json content from the finished jobs of ``plan`` (all of them, or those done so far)."""
    specs = plan["jobs"]
    runs = [json.loads((root / "runs" / s["id"] / "result.json").read_text()) for s in specs
            if (root / "runs" / s["id"] / "result.json").exists()]
    for r in runs:
        r["rerun"] = rerun_command(study_json, r["id"], benchmarks)
    return {"command": command or shlex.join(sys.argv), "machine": _machine(folder), "preset": cfg.name,
            "budgets": plan["budgets"], "seeds": [cfg.seed + k for k in range(plan["seeds"])],
            "random": plan["random"], "window": WINDOW, "width": width_of(cfg), "cells": cfg.search.cells,
            "scale": cfg.data.scale, "sets": list(sets), "benchmarks": None if benchmarks is None else str(benchmarks),
            "jobs": jobs, "world_size": world, "complete": len(runs) == len(specs), "jobs_done": len(runs),
            "jobs_planned": len(specs), **verdict_and_stats(runs, plan["budgets"]), "runs": runs}


def run_study(cfg: Config, budgets: Sequence[int], seeds: int, n_random: int, *, out: str | Path,
              sets: Mapping[str, list], benchmarks: str | Path | None = None, jobs: int = 1, resume: bool = False,
              device: str | None = None, command: str | None = None,
              own_depth: bool = True, reuse: Sequence[str | Path] = (), partial: bool = False) -> dict[str, Any] | None:
    """Run the study (module docstring) and return the study.json content (``None`` on torchrun ranks
    other than 0). ``sets``: the loaded evaluation sets (``tinysr.pipeline.load_sets``); ``benchmarks``: the
    folder they came from (``None``: the built-in eval photos), recorded for reruns. ``reuse``: study or judge
    folders whose finished retrainings of the same network, recipe, seed and thread count are copied instead
    of trained again (:mod:`tinysr.study.reuse`). ``partial=True`` runs nothing: it collects the jobs of the
    study in ``out`` (same plan) finished so far into ``study-partial.json`` and ``.md`` (``"complete"``,
    ``"jobs_done"`` and ``"jobs_planned"`` say how much it holds), also while the study still runs."""
    specs = plan_jobs(cfg, budgets, seeds, n_random, own_depth=own_depth)
    world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    if device is None and world > 1 and torch.cuda.is_available():
        device = f"cuda:{os.environ.get('LOCAL_RANK', rank)}"
    root = Path(out)
    plan = {"budgets": list(map(int, budgets)), "seeds": seeds, "random": n_random, "jobs": specs}
    if partial:
        return _partial(cfg, plan, root, sets, benchmarks, jobs, world, command)
    folder = RunFolder(root, "study", resume=resume, overwrite=None, active=rank == 0)
    if rank == 0:
        old = folder.read_json("plan.json")
        change = _plan_change(old, plan) if resume and old is not None else None
        if change is not None:
            raise ResumeMismatchError(f"cannot resume {root}: the study's plan changed ({change}); "
                                      "resume with the same --preset, --budgets, --seeds, --random and --set values")
        if reuse:
            reused = reuse_finished(specs, root, reuse, _job_threads(jobs))
            print(f"study: reused {len(reused)} finished retrainings from {', '.join(Path(d).name for d in reuse)}",
                  file=sys.stderr, flush=True)
        folder.write_json("plan.json", plan)
        folder.start(get_device(device), world)
    else:                             # rank > 0: start once rank 0 has checked the folder and written the plan
        while not (root / "plan.json").exists():
            time.sleep(POLL_S)
        if json.loads((root / "plan.json").read_text()) != json.loads(json.dumps(plan)):
            raise ResumeMismatchError(f"rank {rank}: {root / 'plan.json'} plans other jobs than this rank's "
                                      "arguments; start every rank with the same arguments")
    mine = [s for i, s in enumerate(specs) if i % world == rank]
    todo = [s for s in mine if not (root / "runs" / s["id"] / "result.json").exists()]
    print(f"study: {len(specs)} jobs, {len(mine) - len(todo)} of this process's {len(mine)} already done",
          file=sys.stderr, flush=True)
    run_specs(todo, root, sets, jobs, resume, device)
    if rank != 0:
        return None
    _wait_for(specs, root)
    study = _collect(cfg, plan, root, folder, sets, benchmarks, jobs, world, command, root / "study.json")
    folder.write_json("study.json", study)
    write_study_md(root, study)
    folder.finish()
    return study


def _partial(cfg: Config, plan: Mapping[str, Any], root: Path, sets: Mapping[str, list],
             benchmarks: str | Path | None, jobs: int, world: int, command: str | None) -> dict[str, Any]:
    """``run_study(partial=True)``: the finished jobs so far, written beside the study without touching it."""
    folder = RunFolder(root, "study", resume=True, overwrite=None, active=False)
    old = folder.read_json("plan.json")
    if old is None:
        raise FileNotFoundError(f"{root} holds no study (no plan.json): --partial collects a study started there")
    change = _plan_change(old, plan)
    if change is not None:
        raise ResumeMismatchError(f"{root} plans another study ({change}); give --partial the study's own "
                                  "--preset, --budgets, --seeds, --random and --set values")
    study = _collect(cfg, plan, root, folder, sets, benchmarks, jobs, world, command, root / "study-partial.json")
    atomic_write_text(json.dumps(study, indent=1) + "\n", root / "study-partial.json")
    write_study_md(root, study, name="study-partial")
    return study


def rerun(study_json: str | Path, run_id: str, *, out: str | Path, sets: Mapping[str, list],
          device: str | None = None) -> dict[str, Any]:
    """Rerun job ``run_id`` of a study.json from its stored config, genotype and one-shot targets into
    run folder ``out``, with the thread count it recorded; return its entry (the keys of study.json's)."""
    study = json.loads(Path(study_json).read_text())
    entries = {r["id"]: r for r in study["runs"]}
    if run_id not in entries:
        raise ValueError(f"--rerun {run_id!r} is not a run of {study_json}; its runs: {', '.join(entries)}")
    e = entries[run_id]
    spec = {k: e[k] for k in ("id", "kind", "budget", "seed", "config")}
    spec["genotype"] = None if e["kind"] == "searched" else e["genotype"]
    spec["oneshot"] = [{"id": o["id"], "genotype": o["genotype"]} for o in e["oneshot"]]
    threads = torch.get_num_threads()
    torch.set_num_threads(int(e.get("threads") or threads))
    try:
        with _one_process():
            entry = run_job(spec, out, sets, device=device)
    finally:
        torch.set_num_threads(threads)
    entry["rerun"] = e["rerun"]
    return entry
