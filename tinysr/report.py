"""``report.md`` and its figures for a pipeline run (see :mod:`tinysr.pipeline`)."""
from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt

from .config import Config
from .published import PUBLISHED_X2, published_points


def _save(fig, path: Path) -> str:
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return f"figures/{path.name}"


def make_figures(out: Path, searched, trained, entry: dict, sets_source: Any, scale: int) -> dict[str, str]:
    """Draw the run's figures into ``out/figures``; return name -> relative path."""
    from . import viz
    from .data import load_benchmark
    from .inference import super_resolve
    from .metrics import calculate_psnr
    from .resize import imresize

    fig_dir = out / "figures"
    fig_dir.mkdir(exist_ok=True)
    figs = {"genotype": _save(viz.draw_genotype(searched.genotype), fig_dir / "genotype.png")}
    if searched.history:
        figs["alphas"] = _save(viz.plot_alpha_history(searched.history), fig_dir / "alphas.png")
        figs["betas"] = _save(viz.plot_beta_history(searched.history), fig_dir / "betas.png")
        figs["search_curves"] = _save(viz.plot_curves(searched.history, keys=("w_loss", "arch_loss", "psnr_arch")),
                                      fig_dir / "search_curves.png")
    if trained.history:
        figs["train_curves"] = _save(viz.plot_curves(trained.history, keys=("loss", "val_psnr")),
                                     fig_dir / "train_curves.png")
    first = next(iter(entry["sets"]))
    point = {"name": "tinysr (this run)", "params": entry["params"], "multi_adds": entry["multi_adds"],
             "psnr": entry["sets"][first]["psnr"]}
    published = published_points(first) if scale == 2 else []
    figs["pareto"] = _save(viz.plot_pareto([point], published, title=f"{first} x{scale}"), fig_dir / "pareto.png")
    items = sets_source[first] if isinstance(sets_source, dict) else load_benchmark(sets_source, first, scale)
    item = max(items, key=lambda it: it.hr.shape[0] * it.hr.shape[1])
    sr = super_resolve(trained.model, item.lr, scale)
    bic = imresize(item.lr, scale)
    images = {"HR": item.hr, "bicubic": bic, "tinysr": sr}
    psnr = {"bicubic": calculate_psnr(bic, item.hr, scale), "tinysr": calculate_psnr(sr, item.hr, scale)}
    figs["crops"] = _save(viz.plot_sr_crops(images, psnr=psnr, title=f"{first}/{item.stem} x{scale}"),
                          fig_dir / "crops.png")
    return figs


def write_report(out: Path, cfg: Config, searched, trained, entry: dict, bicubic: dict, sets_source: Any,
                 real_benchmarks: bool, timings: dict[str, float]) -> Path:
    """Write ``out/report.md`` (and figures); return its path."""
    import torch

    scale = cfg.data.scale
    figs = make_figures(out, searched, trained, entry, sets_source, scale)
    g = searched.genotype
    lines = [f"# tinysr run: preset `{cfg.name}`, x{scale}, seed {cfg.seed}", ""]
    lines += [f"Device: {'cuda' if torch.cuda.is_available() else 'cpu'} ({platform.processor() or platform.machine()}), "
              f"torch {torch.__version__}. Data: {cfg.data.source} photos.", ""]
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
              f"lambda {cfg.search.lambda_cost}).", "", f"![genotype]({figs['genotype']})", ""]
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
    lines += ["## Search and training", ""]
    for key in ("alphas", "betas", "search_curves", "train_curves"):
        if key in figs:
            lines += [f"![{key}]({figs[key]})", ""]
    lines += ["## Timings", "", "| stage | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in timings.items()]
    lines += [f"| total | {sum(timings.values()):.1f} |", "",
              "Stage folders: `search/`, `train/`, `evaluate/results.json` (per-image numbers).", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path

