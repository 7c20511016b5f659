"""The whole method in one call: search -> derive -> retrain -> evaluate -> report.

Each stage writes into its own run folder inside ``out`` (``search/``, ``train/``, ``evaluate/``), so with
``resume=True`` an interrupted run continues where it stopped: a finished stage is read back from its
checkpoint, an unfinished one resumes. ``out`` itself is a run folder too (``run.json``): a folder that
holds a run is never overwritten without ``overwrite=True``. Every input (the benchmark sets, the training
folder) is checked before the search starts. ``report.md`` and ``figures/`` sum the run up beside the
bicubic baseline and the published models.

Without ``benchmarks`` the network is evaluated on the built-in eval photos (LR made with the
MATLAB-exact ``imresize``), and the report says so.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .complexity import count_params, multi_adds
from .config import Config
from .data.datasets import BenchmarkImage, load_benchmark, load_folder
from .data.paths import describe_roots, find_benchmarks
from .data.photos import builtin_photos
from .data.splits import lr_hr_pairs
from .evaluate import evaluate, evaluate_bicubic
from .report import write_report
from .runstate import RunFolder
from .runtime.devices import get_device
from .search import SearchResult, run_search
from .train import TrainResult, run_train

__all__ = ["run_pipeline", "builtin_eval_set", "RunResult", "BUILTIN_SET", "load_sets"]

BUILTIN_SET = "builtin-eval"


def builtin_eval_set(scale: int) -> dict[str, list]:
    """The built-in eval photos as a benchmark set ``{"builtin-eval": [BenchmarkImage, ...]}``."""
    pairs = lr_hr_pairs(builtin_photos("eval"), scale)
    return {BUILTIN_SET: [BenchmarkImage(stem=stem, hr=hr, lr=lr, gray=False) for stem, (lr, hr) in pairs.items()]}


def load_sets(benchmarks: str | Path | None, sets: tuple[str, ...], scale: int) -> dict[str, list]:
    """Load (and so check: layout, LR sizes) every evaluation set now, before any training. ``benchmarks``: a
    folder, ``"auto"`` (the data rule's ``benchmarks/``: a path that is the same on every machine, so files that
    record it stay portable) or ``None`` (the built-in eval photos)."""
    if benchmarks is None:
        return builtin_eval_set(scale)
    if str(benchmarks) == "auto":
        found = find_benchmarks(sets[0])
        if found is None:
            raise FileNotFoundError(f"--benchmarks auto: no benchmarks/{sets[0]} in the data roots "
                                    f"({describe_roots()}); "
                                    "fetch them with `tinysr download benchmarks` or pass --benchmarks DIR")
        benchmarks = found
    if not Path(benchmarks).is_dir():
        raise FileNotFoundError(f"--benchmarks {benchmarks}: no such folder (it should hold Set5/, Set14/, B100/ "
                                "in the EDSR layout; get them with `tinysr download benchmarks`)")
    return {name: load_benchmark(benchmarks, name, scale) for name in sets}


@dataclass
class RunResult:
    """Everything the report needs about one ``tinysr run``."""

    cfg: Config
    searched: SearchResult
    trained: TrainResult
    entry: dict[str, Any]                 # the evaluate --json entry: scale, params, multi_adds, sets
    bicubic: dict[str, Any]
    sets: dict[str, list]                 # the loaded evaluation sets
    real_benchmarks: bool
    timings: dict[str, float] = field(default_factory=dict)


def run_pipeline(cfg: Config, *, out: str | Path, benchmarks: str | Path | None = None, resume: bool = False,
                 overwrite: bool = False, device: str | None = None, progress: bool = True) -> dict[str, Any]:
    """Run every stage; return ``{"results": [entry]}`` (the ``evaluate --json`` shape) plus
    ``"bicubic"``, ``"genotype"`` and ``"timings"`` (seconds per stage, this invocation)."""
    folder = RunFolder(out, "run", resume=resume, overwrite=overwrite)
    sets = load_sets(benchmarks, tuple(cfg.eval.sets), cfg.data.scale)
    if cfg.data.source not in ("builtin", "auto") and not Path(cfg.data.source).is_dir():
        load_folder(cfg.data.source)                     # raises the loader's clear error
    folder.start(get_device(device))
    scale, timings = cfg.data.scale, {}

    t0 = time.perf_counter()
    searched = run_search(cfg, out=folder.file("search"), resume=resume, device=device, progress=progress)
    timings["search"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    trained = run_train(searched.genotype, cfg, out=folder.file("train"), resume=resume, device=device,
                        progress=progress)
    timings["train"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    model = trained.model
    names = list(sets)
    entry = evaluate(model, sets, names, scale, device=get_device(device), tile=cfg.eval.tile, per_image=True)
    entry = {"scale": scale, "params": count_params(model), "multi_adds": multi_adds(model, scale), **entry}
    bicubic = evaluate_bicubic(sets, names, scale)
    timings["evaluate"] = time.perf_counter() - t0
    folder.file("evaluate").mkdir(exist_ok=True)
    folder.write_json("evaluate/results.json", {"results": [entry], "bicubic": [bicubic]})

    t0 = time.perf_counter()
    result = RunResult(cfg, searched, trained, entry, bicubic, sets, benchmarks is not None, timings)
    write_report(folder.path, result)
    timings["report"] = time.perf_counter() - t0
    folder.write_json("timings.json", timings)
    folder.finish(timings=timings)
    compact = {"scale": entry["scale"], "params": entry["params"], "multi_adds": entry["multi_adds"],
               "sets": {k: {m: v[m] for m in ("psnr", "ssim", "images")} for k, v in entry["sets"].items()}}
    return {"results": [compact], "bicubic": [bicubic], "genotype": searched.genotype.to_dict(),
            "timings": {k: round(v, 1) for k, v in timings.items()}}
