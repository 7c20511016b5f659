"""The study's jobs: which networks are trained (:func:`plan_jobs`) and one job run end to end (:func:`run_job`).

A job is a JSON-able spec ``{"id", "kind", "budget", "seed", "config", "genotype", "oneshot"}``:

- ``searched-b<B>-s<seed>``: a search with ``search.budget_params = B`` and ``seed``, then the derived
  genotype retrained at the retraining width (``train.channels``, 0: ``search.channels``) with the same
  config. Before retraining it measures, on the first evaluation set, the supernet's PSNR and that of the
  derived network with the supernet's own weights (:func:`~tinysr.study.oneshot.inherit_weights`, weights
  dropped and folded), and the one-shot estimate of each random network of that budget by this seed's
  supernet (``oneshot``: their ids and genotypes; every supernet ranks the same networks);
- ``random-b<B>-<i>``: the i-th genotype drawn uniformly from the space within 15% of B
  (:func:`~tinysr.study.sampling.sample_in_budget`, RNG seed ``1000003 * B + seed``), retrained once;
- ``published-<name>``: the published ``dlsr`` / ``dlsr_para`` cells at the study's depth and retraining width
  (their first ``cells - 2`` connections: the same depth and width as the searched and random networks);
  ``published-<name>-own-depth``: the same at the published depth (6 cells), kind ``published_own_depth``,
  reported apart (a deeper network is not a better search).

**Seed policy**: searched networks use seeds ``seed, seed + 1, ..., seed + K - 1`` (``seed`` of the
preset, 0 by default); random and published networks are retrained once, with the first seed. The recipe
(``train.*``) is the same for every job. Random and published configs differ from the searched ones only
in ``search.*`` fields, which retraining does not read (published: no budget).

A job writes ``runs/<id>/{search,train}/`` (resumable run folders) and, when done, ``result.json`` (its
entry, :func:`run_job`'s return value).
"""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from ..complexity import count_params, multi_adds
from ..config import Config, override
from ..evaluate import evaluate
from ..genotype import GENOTYPES, Genotype
from ..runstate import RunFolder
from ..runtime.devices import get_device
from ..search import run_search
from ..train import run_train
from .oneshot import inherit_weights
from .sampling import in_window, sample_in_budget

__all__ = ["PUBLISHED", "plan_jobs", "run_job", "width_of", "at_depth"]

PUBLISHED = ("dlsr", "dlsr_para")


def width_of(cfg: Config) -> int:
    """The width every network is retrained (and sized) at."""
    return cfg.train.channels or cfg.search.channels


def plan_jobs(cfg: Config, budgets: Sequence[int], seeds: int, n_random: int, *,
              own_depth: bool = True) -> list[dict[str, Any]]:
    """Every job of a study of ``cfg`` (searched first: they take longest), deterministic in its arguments;
    ``own_depth=False`` leaves out the published cells at their own depth.
    Raises ``ValueError`` for an empty or infeasible budget list, ``seeds < 1`` or a search without a
    budget penalty (``search.lambda_cost = 0``)."""
    if not budgets or any(int(b) <= 0 for b in budgets) or len(set(budgets)) != len(budgets):
        raise ValueError(f"--budgets needs distinct parameter counts > 0, e.g. --budgets 60000,100000; got {budgets}")
    if seeds < 1 or n_random < 0:
        raise ValueError(f"--seeds must be >= 1 and --random >= 0; got {seeds} and {n_random}")
    if cfg.search.budget_multi_adds:
        raise ValueError("the study's budgets are parameter counts: drop search.budget_multi_adds")
    if cfg.search.lambda_cost <= 0:
        raise ValueError("search.lambda_cost=0: the budget penalty has no weight, so the budget would not steer the "
                         "search; set one, e.g. --set search.lambda_cost=2 (see tinysr.space.cost)")
    width, cells, scale = width_of(cfg), cfg.search.cells, cfg.data.scale
    seed_list = [cfg.seed + k for k in range(seeds)]
    first = seed_list[0]
    searched, randoms = [], []
    for b in map(int, budgets):
        drawn = sample_in_budget(b, n_random, width, cells, scale, seed=1000003 * b + cfg.seed) if n_random else []
        cfg_b = override(cfg, {"search.budget_params": b})
        rand = [_spec(f"random-b{b}-{i}", "random", b, first, override(cfg_b, {"seed": first}), g)
                for i, g in enumerate(drawn)]
        for s in seed_list:
            spec = _spec(f"searched-b{b}-s{s}", "searched", b, s, override(cfg_b, {"seed": s}), None)
            spec["oneshot"] = [{"id": r["id"], "genotype": r["genotype"]} for r in rand]
            searched.append(spec)
        randoms += rand
    plain = override(cfg, {"seed": first, "search.budget_params": 0, "search.lambda_cost": 0.0})
    published = [_spec(f"published-{name}", "published", None, first, plain, at_depth(GENOTYPES[name], cells, width))
                 for name in PUBLISHED]
    own = [_spec(f"published-{name}-own-depth", "published_own_depth", None, first, plain,
                 replace(GENOTYPES[name], channels=width)) for name in PUBLISHED
           if own_depth and GENOTYPES[name].cells != cells]
    return searched + randoms + published + own


def at_depth(genotype: Genotype, cells: int, width: int) -> Genotype:
    """``genotype``'s ops and the connections of its first ``cells`` cells, at ``width`` (a published 6-cell
    genotype cut to the study's depth: cell k's inputs only name earlier cells, so the cut is valid)."""
    if cells > genotype.cells:
        raise ValueError(f"cannot deepen a {genotype.cells}-cell genotype to {cells} cells")
    return replace(genotype, inputs=genotype.inputs[:cells - 2], cells=cells, channels=width)


def _spec(id_: str, kind: str, budget: int | None, seed: int, cfg: Config, g: Genotype | None) -> dict[str, Any]:
    return {"id": id_, "kind": kind, "budget": budget, "seed": seed, "config": cfg.to_dict(),
            "genotype": g.to_dict() if g is not None else None, "oneshot": []}


def _psnr(model: torch.nn.Module, sets: Mapping[str, list], name: str, cfg: Config, dev: torch.device) -> float:
    res = evaluate(model.eval(), sets, [name], cfg.data.scale, device=dev, tile=cfg.eval.tile)
    return float(res["sets"][name]["psnr"])


def _supernet_numbers(net, derived: Genotype, spec: Mapping[str, Any], sets: Mapping[str, list], cfg: Config,
                      dev: torch.device) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The discretisation gap of a finished search (its ``derived`` genotype, at the supernet's width, against
    the supernet) and the one-shot estimates, on the first set."""
    name = next(iter(sets))
    net.eval()
    numbers = {"set": name, "genotype": derived.to_dict(), "supernet_psnr": _psnr(net, sets, name, cfg, dev),
               "inherited_psnr": _psnr(inherit_weights(net, derived), sets, name, cfg, dev),
               "inherited_folded_psnr": _psnr(inherit_weights(net, derived, fold=True), sets, name, cfg, dev)}
    numbers["gap"] = numbers["supernet_psnr"] - numbers["inherited_psnr"]
    oneshot = [{"id": o["id"], "genotype": o["genotype"],
                "psnr": _psnr(inherit_weights(net, Genotype.from_dict(o["genotype"])), sets, name, cfg, dev)}
               for o in spec.get("oneshot", [])]
    return numbers, oneshot


def run_job(spec: Mapping[str, Any], out: str | Path, sets: Mapping[str, list], *, resume: bool = False,
            device: str | None = None, progress: bool = False) -> dict[str, Any]:
    """Run one job into run folder ``out`` and return its entry (also written to ``out/result.json``):
    the spec's ``id``, ``kind``, ``budget``, ``seed``, ``config`` plus ``genotype`` (as retrained),
    ``params`` and ``multi_adds`` (at the retraining width), ``in_window``, ``sets`` (PSNR / SSIM / images
    per evaluation set, the published protocol), ``best_val_psnr``, ``supernet`` (searched: the gap numbers,
    else ``None``), ``oneshot``, ``wall_s`` (this invocation), ``threads`` and ``device``.
    ``sets``: loaded evaluation sets, ``{"Set5": [BenchmarkImage, ...]}``; the first one is used for the
    gap and the one-shot estimates."""
    t0 = time.perf_counter()
    cfg = Config.from_dict(spec["config"])
    dev = get_device(device)
    folder = RunFolder(out, "study-run", resume=resume, overwrite=None)
    folder.start(dev, job=spec["id"])
    supernet, oneshot = None, []
    if spec["kind"] == "searched":
        result = run_search(cfg, out=folder.file("search"), resume=resume, device=device, progress=progress)
        supernet, oneshot = _supernet_numbers(result.net, result.genotype, spec, sets, cfg, dev)
        genotype = replace(result.genotype, channels=width_of(cfg))
        del result
    else:
        genotype = Genotype.from_dict(spec["genotype"])
    trained = run_train(genotype, cfg, out=folder.file("train"), resume=resume, device=device, progress=progress)
    model = trained.model.eval()
    scores = evaluate(model, sets, list(sets), cfg.data.scale, device=dev, tile=cfg.eval.tile)["sets"]
    params = count_params(model)
    entry = {"id": spec["id"], "kind": spec["kind"], "budget": spec["budget"], "seed": spec["seed"],
             "genotype": model.genotype.to_dict(), "params": params,
             "multi_adds": multi_adds(model.cpu(), cfg.data.scale),
             "in_window": in_window(params, spec["budget"]) if spec["budget"] else None,
             "sets": {k: {m: v[m] for m in ("psnr", "ssim", "images")} for k, v in scores.items()},
             "best_val_psnr": trained.best_psnr, "supernet": supernet, "oneshot": oneshot,
             "wall_s": round(time.perf_counter() - t0, 2), "threads": torch.get_num_threads(),
             "device": str(dev), "config": spec["config"]}
    folder.write_json("result.json", entry)
    folder.finish()
    return entry
