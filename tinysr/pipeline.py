"""The whole method in one call: search -> derive -> retrain -> evaluate -> report.

Each stage writes into its own sub-folder of ``out`` (``search/``, ``train/``, ``evaluate/``), so with
``resume=True`` an interrupted run continues where it stopped: a finished stage is read back, an
unfinished one resumes from its checkpoint. ``report.md`` and ``figures/`` sum the run up beside the
bicubic baseline and the published models.

Without ``benchmarks`` the network is evaluated on the built-in eval photos (LR made with the
MATLAB-exact ``imresize``), and the report says so.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from .config import Config
from .utils import atomic_write_text, get_device

BUILTIN_SET = "builtin-eval"


def builtin_eval_set(scale: int) -> dict[str, list]:
    """The built-in eval photos as a benchmark set ``{"builtin-eval": [BenchmarkImage, ...]}``."""
    from .data import BenchmarkImage, builtin_photos, modcrop
    from .resize import imresize

    items = []
    for stem, img in sorted(builtin_photos("eval").items()):
        hr = modcrop(img, scale)
        items.append(BenchmarkImage(stem=stem, hr=hr, lr=imresize(hr, 1 / scale), gray=False))
    return {BUILTIN_SET: items}


def run_pipeline(cfg: Config, *, out: str | Path, benchmarks: str | Path | None = None, resume: bool = False,
                 device: str | None = None, progress: bool = True) -> dict[str, Any]:
    """Run every stage; return ``{"results": [entry]}`` (the ``evaluate --json`` shape) plus
    ``"bicubic"``, ``"genotype"`` and ``"timings"`` (seconds per stage, this invocation)."""
    from .complexity import count_params, multi_adds
    from .evaluate import evaluate, evaluate_bicubic
    from .search import run_search
    from .train import run_train

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scale = cfg.data.scale
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    searched = run_search(cfg, out=out / "search", resume=resume, device=device, progress=progress)
    timings["search"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    trained = run_train(searched.genotype, cfg, out=out / "train", resume=resume, device=device, progress=progress)
    timings["train"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    model = trained.model
    sets_source: Any = benchmarks if benchmarks is not None else builtin_eval_set(scale)
    sets = list(cfg.eval.sets) if benchmarks is not None else [BUILTIN_SET]
    entry = evaluate(model, sets_source, sets, scale, device=get_device(device), tile=cfg.eval.tile, per_image=True)
    entry = {"scale": scale, "params": count_params(model), "multi_adds": multi_adds(model, scale), **entry}
    bicubic = evaluate_bicubic(sets_source, sets, scale)
    timings["evaluate"] = time.perf_counter() - t0
    (out / "evaluate").mkdir(exist_ok=True)
    atomic_write_text(json.dumps({"results": [entry], "bicubic": [bicubic]}, indent=1) + "\n",
                      out / "evaluate" / "results.json")

    t0 = time.perf_counter()
    from .report import write_report

    write_report(out, cfg, searched, trained, entry, bicubic, sets_source, benchmarks is not None, timings)
    timings["report"] = time.perf_counter() - t0
    atomic_write_text(json.dumps(timings, indent=1) + "\n", out / "timings.json")
    compact = {"scale": entry["scale"], "params": entry["params"], "multi_adds": entry["multi_adds"],
               "sets": {k: {m: v[m] for m in ("psnr", "ssim", "images")} for k, v in entry["sets"].items()}}
    return {"results": [compact], "bicubic": [bicubic], "genotype": searched.genotype.to_dict(),
            "timings": {k: round(v, 1) for k, v in timings.items()}}

