"""``report.md`` and its figures for a pipeline run (see :mod:`tinysr.pipeline`)."""
from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import torch

from . import viz
from .data.published import PUBLISHED_X2, published_points
from .data.splits import resolve_source
from .deploy.inference import super_resolve
from .metrics import calculate_psnr
from .ops import PRIMITIVES
from .resize import imresize
from .runtime.shipped import shipped_path
from .search import budget_of
from .study.report import verdict_lines
from .utils import atomic_write_text

__all__ = ["write_report", "make_figures"]


def _save(fig, path: Path) -> str:
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return f"figures/{path.name}"


def make_figures(out: Path, r: Any) -> dict[str, str]:
    """Draw the figures of ``r`` (a :class:`tinysr.pipeline.RunResult`; typed ``Any``: pipeline imports this module)
    into ``out/figures``; return name -> relative path."""
    searched, trained, entry, scale = r.searched, r.trained, r.entry, r.cfg.data.scale

    fig_dir = out / "figures"
    fig_dir.mkdir(exist_ok=True)
    figs = {"genotype": _save(viz.draw_genotype(searched.genotype), fig_dir / "genotype.png")}
    if searched.history:
        figs["alphas"] = _save(viz.plot_alpha_history(searched.history), fig_dir / "alphas.png")
        figs["betas"] = _save(viz.plot_beta_history(searched.history), fig_dir / "betas.png")
        figs["search_curves"] = _save(viz.plot_curves(searched.history, keys=("loss", "arch_loss", "psnr")),
                                      fig_dir / "search_curves.png")
    if trained.history:
        figs["train_curves"] = _save(viz.plot_curves(trained.history, keys=("loss", "psnr")),
                                     fig_dir / "train_curves.png")
    first = next(iter(entry["sets"]))
    point = {"name": "tinysr (this run)", "params": entry["params"], "multi_adds": entry["multi_adds"],
             "psnr": entry["sets"][first]["psnr"]}
    published = published_points(first) if scale == 2 else []
    figs["pareto"] = _save(viz.plot_pareto([point], published, title=f"{first} x{scale}"), fig_dir / "pareto.png")
    items = r.sets[first]
    item = max(items, key=lambda it: it.hr.shape[0] * it.hr.shape[1])
    sr = super_resolve(trained.model, item.lr, scale)
    bic = imresize(item.lr, scale)
    images = {"HR": item.hr, "bicubic": bic, "tinysr": sr}
    psnr = {"bicubic": calculate_psnr(bic, item.hr, scale), "tinysr": calculate_psnr(sr, item.hr, scale)}
    figs["crops"] = _save(viz.plot_sr_crops(images, psnr=psnr, title=f"{first}/{item.stem} x{scale}"),
                          fig_dir / "crops.png")
    return figs


def _decision(history: list[dict[str, Any]]) -> list[str]:
    """How decided the search ended: the top probability of softmax(alpha) per position."""
    recs = [h for h in history if "alpha" in h]
    if not recs:
        return []
    last = recs[-1]
    probs = last["alpha"] if not isinstance(last["alpha"][0][0], list) else last["alpha"][0]
    uniform = 1 / len(probs[0])
    rows = [f"| position | derived op | its probability | most probable op (uniform = {uniform:.3f}) |",
            "|---|---|---|---|"]
    for pos, (row, op) in enumerate(zip(probs, last["genotype"]["ops"]), start=1):
        top = max(range(len(row)), key=row.__getitem__)
        rows.append(f"| {pos} | {op} | {row[PRIMITIVES.index(op)]:.3f} | {PRIMITIVES[top]} ({row[top]:.3f}) |")
    tail = recs[len(recs) * 3 // 4:]
    stable = all(h["genotype"]["ops"] == last["genotype"]["ops"] for h in tail)
    verdict = ("The derived ops did not change over the last quarter of the search."
               if stable else "The derived ops still changed in the last quarter of the search: it did not settle.")
    weak = min(max(row) for row in probs) < 0.3
    if weak:
        verdict += " Some position's top probability is below 0.3: that choice is weakly decided."
    if last.get("argmax_ops") and list(last["argmax_ops"]) != list(last["genotype"]["ops"]):
        kind = "multi_adds" if "argmax_multi_adds" in last else "params"
        verdict += (f" The most probable ops ({', '.join(last['argmax_ops'])}: {last[f'argmax_{kind}']:,} "
                    f"{kind.replace('_', '-')}) do not meet the budget; the derived ops are the most probable that "
                    f"do ({last[f'derived_{kind}']:,}).")
    return ["## How decided the search is", "", *rows, "", verdict, ""]


def _data_text(cfg) -> str:
    source = resolve_source(cfg)
    return "the built-in photos (scikit-image, scikit-learn, matplotlib)" if source == "builtin" else f"`{source}`"


def _budget_text(cfg) -> str:
    kind, budget = budget_of(cfg)
    if not budget:
        return "no budget"
    return (f"a {budget:,}-{kind.replace('_', '-')} budget ({cfg.search.budget_mode}, "
            f"{cfg.search.budget_estimate} size, "
            f"lambda {cfg.search.lambda_cost:g})")


SHIPPED_STUDY = "study_laptop.json"


def _study_context(name: str = SHIPPED_STUDY) -> list[str]:
    """The verdict of the shipped laptop study (:mod:`tinysr.runtime.shipped`), in the words its numbers allow."""
    path = shipped_path(name)
    if path is None:
        return []
    study = json.loads(path.read_text())
    return ["## Searched vs random (the shipped laptop study)", "",
            f"From the shipped `{name}` (`tinysr study`, its own retraining recipe; the judged score is the mean "
            "PSNR-Y over every benchmark image):", "", *[f"- {line}" for line in verdict_lines(study)], ""]


def write_report(out: Path, r: Any) -> Path:
    """Write ``out/report.md`` (and figures) for one :class:`tinysr.pipeline.RunResult`; return its path."""
    cfg, searched, entry, bicubic, timings = r.cfg, r.searched, r.entry, r.bicubic, r.timings
    real_benchmarks, scale = r.real_benchmarks, cfg.data.scale
    figs = make_figures(out, r)
    g = searched.genotype
    lines = [f"# tinysr run: preset `{cfg.name}`, x{scale}, seed {cfg.seed}", ""]
    machine = platform.processor() or platform.machine()
    lines += [f"Device: {'cuda' if torch.cuda.is_available() else 'cpu'} ({machine}), "
              f"torch {torch.__version__}. Training data: {_data_text(cfg)}.", ""]
    if not real_benchmarks:
        lines += ["> Evaluated on the **built-in eval photos** (LR made with MATLAB-exact bicubic), not on the "
                  "standard benchmarks: pass `--benchmarks DIR` for Set5/Set14/B100.", ""]
    if cfg.train.bicubic_skip:
        lines += ["> The retrained network predicts a residual over a bicubic upsampling of its input "
                  "(`train.bicubic_skip=true`), a shortcut that makes short CPU runs converge; the released "
                  "DLSR has no such skip.", ""]
    lines += ["## Searched genotype", "", "```json", g.to_json(), "```", "",
              f"Published DLSR: `conv_1x1, sep_conv_7x7, sep_conv_5x5`, inputs `[1,2] [2,3] [2,4] [4,5]`. "
              f"Search: {cfg.search.channels} channels, {cfg.search.cells} cells, {cfg.search.epochs} epochs x "
              f"{cfg.search.steps_per_epoch} steps ({cfg.search.order} order, objective `{cfg.search.objective}`, "
              f"{_budget_text(cfg)}).", "", f"![genotype]({figs['genotype']})", ""]
    lines += _decision(searched.history)
    width = cfg.train.channels or g.channels
    lines += ["## Results", "",
              f"Retrained at {width} channels for {cfg.train.epochs} x {cfg.train.steps_per_epoch} steps: "
              f"**{entry['params']:,} params, {entry['multi_adds'] / 1e9:.2f} G Multi-Adds** (720p output).", "",
              "| set | tinysr PSNR / SSIM | bicubic PSNR / SSIM | gain (dB) | published DLSR |",
              "|---|---|---|---|---|"]
    dlsr = next(r for r in PUBLISHED_X2 if r["name"] == "DLSR")
    for name, v in entry["sets"].items():
        b = bicubic["sets"][name]
        pub = dlsr["sets"].get(name) if scale == 2 else None
        pub_s = f"{pub[0]:.2f} / {pub[1]:.4f}" if pub else "-"
        lines.append(f"| {name} | {v['psnr']:.2f} / {v['ssim']:.4f} | {b['psnr']:.2f} / {b['ssim']:.4f} | "
                     f"{v['psnr'] - b['psnr']:+.2f} | {pub_s} |")
    lines += ["", "PSNR and SSIM on Y (BT.601), `scale` pixels shaved, SR rounded to uint8 (the published protocol).",
              "", f"![pareto]({figs['pareto']})", "", f"![crops]({figs['crops']})", ""]
    lines += _study_context()
    lines += ["## Search and training", ""]
    for key in ("alphas", "betas", "search_curves", "train_curves"):
        if key in figs:
            lines += [f"![{key}]({figs[key]})", ""]
    lines += ["## Timings", "", "| stage | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in timings.items()]
    lines += [f"| total | {sum(timings.values()):.1f} |", "",
              "Stage folders: `search/`, `train/`, `evaluate/results.json` (per-image numbers).", ""]
    path = out / "report.md"
    atomic_write_text("\n".join(lines), path)
    return path

