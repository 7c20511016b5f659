"""``study.md`` and its figure ``study.png``: the study's numbers written plainly, with the verdict first.

The figure plots parameters (retraining width) against the first set's PSNR: random networks as grey
dots, each budget's searched networks as their mean with one standard deviation over seeds (and each
seed as a small dot), the published genotypes as labelled stars, each budget's 15% window shaded.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from ..utils import atomic_write_text
from .stats import first_set

__all__ = ["plot_study", "write_study_md"]


def plot_study(study: Mapping[str, Any], save: str | Path | None = None):
    """The Pareto figure of a study.json (module docstring); returns the matplotlib figure."""
    from matplotlib.figure import Figure   # heavy, and only needed here; no pyplot state, no backend choice
    from matplotlib.ticker import FuncFormatter

    runs, window = study["runs"], study["window"]
    fig = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = fig.subplots()
    rand = [r for r in runs if r["kind"] == "random"]
    if rand:
        ax.scatter([r["params"] for r in rand], [first_set(r) for r in rand], s=22, c="#9a9a9a", label="random")
    for i, b in enumerate(study["budgets"]):
        ax.axvspan(b * (1 - window), b * (1 + window), color=f"C{i}", alpha=0.08, lw=0)
        found = [r for r in runs if r["kind"] == "searched" and r["budget"] == b]
        if not found:
            continue
        st = study["stats"]["budgets"][str(b)]["searched"]
        xs = [r["params"] for r in found]
        ax.scatter(xs, [first_set(r) for r in found], s=10, c=f"C{i}", alpha=0.6)
        ax.errorbar(sum(xs) / len(xs), st["mean"], yerr=st["std"] or 0.0, fmt="o", ms=8, capsize=4, c=f"C{i}",
                    mec="black", label=f"searched, budget {b:,} ({st['n']} seeds)")
    for k, r in enumerate(r for r in runs if r["kind"] == "published"):
        ax.scatter([r["params"]], [first_set(r)], marker="*", s=160, c="C3", ec="black", zorder=3,
                   label=None if k else "published genotypes (same width and recipe)")
        ax.annotate(r["id"].removeprefix("published-"), (r["params"], first_set(r)), fontsize=8,
                    xytext=(5, 4), textcoords="offset points")
    ax.set_xscale("log")
    kilo = FuncFormatter(lambda v, _: f"{v / 1000:g}k")
    ax.xaxis.set_major_formatter(kilo)
    ax.xaxis.set_minor_formatter(kilo)
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set_xlabel(f"parameters (width {study['width']}, x{study['scale']})")
    ax.set_ylabel(f"PSNR-Y on {study['stats']['set']} (dB)")
    ax.set_title("searched vs random vs published (shaded: each budget's window)", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="best")
    if save is not None:
        fig.savefig(save, dpi=120, bbox_inches="tight")
    return fig


def _f(x: Any, fmt: str = ".2f") -> str:
    return "-" if x is None else format(x, fmt)


def _verdict(study: Mapping[str, Any]) -> list[str]:
    lines, beats, compared = [], 0, 0
    for b in study["budgets"]:
        st = study["stats"]["budgets"][str(b)]
        s, r = st["searched"], st["random"]
        spread = f" ± {_f(s['std'])} dB over {s['n']} seeds" if s["std"] is not None else " dB (one seed)"
        head = (f"- **Budget {b:,}**: searched {_f(s['mean'])}{spread}, {', '.join(f'{p:,}' for p in s['params'])} "
                f"params ({s['in_window']} of {s['n']} within the window)")
        if not r["n"]:
            lines.append(head + "; no random networks, so no comparison.")
            continue
        compared += 1
        pct = s["percentile_of_mean"]
        beats += pct > 50
        word = "beats" if pct > 50 else "does NOT beat"
        lines.append(f"{head}; random median {_f(r['median'])} dB (best {_f(r['max'])}, n = {r['n']}): the "
                     f"searched mean is at the {pct:.0f}th percentile of the random networks, so the search "
                     f"{word} random here.")
    if compared:
        lines.append(f"\nOverall the search beats the median random network at {beats} of {compared} budget(s)"
                     f"{'' if beats == compared else ' -- where it does not, random sampling did as well or better'}."
                     " With few seeds and few random networks these are rough estimates, not significance tests.")
    return lines


def write_study_md(root: str | Path, study: Mapping[str, Any]) -> Path:
    """Write ``study.md`` and ``study.png`` into ``root``; returns the path of study.md."""
    root = Path(root)
    plot_study(study, save=root / "study.png")
    cfg = study["runs"][0]["config"] if study["runs"] else {}
    s, t = cfg.get("search", {}), cfg.get("train", {})
    stats, first = study["stats"], study["stats"]["set"]
    where = (f"the benchmarks in `{study['benchmarks']}` ({', '.join(study['sets'])}) with the published protocol "
             "(the sets' bicubic LR files; PSNR/SSIM on Y, `scale` pixels shaved)" if study["benchmarks"] else
             "the **built-in eval photos** (no benchmarks given; LR made with the MATLAB-exact bicubic): the numbers "
             "are not comparable with the paper's tables")
    md = ["# Is the search any good? Searched vs random vs published at equal budget", "",
          f"Command: `{study['command']}`  ", f"Machine: {study['machine'].get('host')}, {study['machine'].get('cores')} "
          f"cores, GPU {study['machine'].get('gpu')}, torch {study['machine'].get('torch')}, "
          f"commit {study['machine'].get('git_commit')}", "",
          f"Preset `{study['preset']}`: supernet {s.get('channels')} channels x {study['cells']} cells, search "
          f"{s.get('epochs')} x {s.get('steps_per_epoch')} steps with budget penalty lambda {s.get('lambda_cost')}; "
          f"every network retrained at width {study['width']} for {t.get('epochs')} x {t.get('steps_per_epoch')} "
          f"steps (x{study['scale']}). Evaluated on {where}. Statistics use {first}.", "",
          f"Seed policy: searched networks use seeds {study['seeds']}; random and published networks are retrained "
          f"once with seed {study['seeds'][0]}. Random networks: drawn uniformly from the search space (ops and "
          f"connections), kept when their parameter count is within {study['window']:.0%} of the budget.", "",
          "## Verdict", "", *_verdict(study), "", "![params vs PSNR](study.png)", "",
          "## Discretisation gap", "",
          "PSNR on the first set of the supernet (final weights) and of the derived network with the supernet's "
          "own weights, before retraining (each chosen op's candidate weights, the kept predecessors' slices of "
          "each fusion conv; *dropped*: architecture weights dropped, *folded*: alpha/beta weights folded in; "
          "`tinysr.study.oneshot`). Gap = supernet - inherited (dropped).", "",
          "| run | supernet | inherited (dropped) | inherited (folded) | gap | retrained |", "|---|---|---|---|---|---|"]
    for b in study["budgets"]:
        for g in stats["budgets"][str(b)]["gap"]["runs"]:
            md.append(f"| {g['id']} | {_f(g['supernet_psnr'])} | {_f(g['inherited_psnr'])} | "
                      f"{_f(g['inherited_folded_psnr'])} | {_f(g['gap'])} | {_f(g['retrained_psnr'])} |")
    md += ["", "## One-shot estimates vs retraining", "",
           "Each random network evaluated with weights inherited from its budget's first searched supernet, "
           "against its retrained PSNR: Kendall's tau-b (1: the supernet ranks networks as retraining does, "
           "0: no better than chance).", ""]
    for b in study["budgets"]:
        o = stats["budgets"][str(b)]["oneshot"]
        md.append(f"- budget {b:,}: tau = {_f(o['kendall_tau'], '.3f')} over {o['n']} networks "
                  f"(supernet of {o['supernet']})")
    md.append(f"- all budgets pooled: tau = {_f(stats['oneshot_pooled']['kendall_tau'], '.3f')} over "
              f"{stats['oneshot_pooled']['n']} networks")
    names = study["sets"]
    md += ["", "## Runs", "", "| id | kind | budget | params | in window | " + " | ".join(names) + " | wall s |",
           "|---|---|---|---|---|" + "---|" * len(names) + "---|"]
    for r in study["runs"]:
        cells = " | ".join(f"{r['sets'][n]['psnr']:.2f} / {r['sets'][n]['ssim']:.4f}" for n in names)
        md.append(f"| {r['id']} | {r['kind']} | {_f(r['budget'], ',')} | {r['params']:,} | "
                  f"{'-' if r['in_window'] is None else 'yes' if r['in_window'] else 'no'} | {cells} | "
                  f"{r['wall_s']:.0f} |")
    md += ["", "PSNR (dB) / SSIM per set. Rerun any row and compare: `tinysr study --from study.json --rerun ID "
           "--out DIR --json` (each entry of study.json holds its exact command in `rerun`)."]
    path = root / "study.md"
    atomic_write_text("\n".join(md) + "\n", path)
    return path
