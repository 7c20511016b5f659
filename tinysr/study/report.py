"""``study.md`` and its figure ``study.png``: the study's numbers written plainly, with the verdict first.

The figure plots parameters (retraining width) against the judged score (PSNR over every evaluation image):
random networks as grey dots, each budget's searched networks as their mean with one standard deviation over
seeds (and each seed as a small dot), the published genotypes at the study's depth as labelled stars (at their
own depth: hollow stars), each budget's 15% window shaded. The statistics are always recomputed from the runs
(:func:`study_numbers`), so a study.json written by an older tinysr gets today's statistics and words.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..utils import atomic_write_text
from .stats import score
from .summary import study_stats
from .verdict import verdict_sentence

__all__ = ["plot_study", "plot_scores", "write_study_md", "study_numbers", "verdict_lines"]


def study_numbers(study: Mapping[str, Any]) -> dict[str, Any]:
    """The statistics of a study.json, recomputed from its runs with this tinysr (:func:`study_stats`)."""
    return study_stats(study["runs"], study["budgets"])


def verdict_lines(study: Mapping[str, Any], numbers: Mapping[str, Any] | None = None) -> list[str]:
    """One sentence per budget, from the numbers (:func:`tinysr.study.verdict.verdict_sentence`): "beats"
    only when the permutation test says so; budgets with fewer than 2 searched or 2 random networks say that no
    test was possible. ``numbers``: the study's :func:`study_numbers`, when the caller has them already."""
    stats, lines = numbers or study_numbers(study), []
    for b in study["budgets"]:
        st = stats["budgets"][str(b)]
        if st["verdict"] is None:
            lines.append(f"At {b:,} parameters: {st['searched']['n']} searched and {st['random']['n']} random "
                         "networks -- too few for a test (at least 2 of each).")
        else:
            lines.append(verdict_sentence(st["verdict"], b))
    return lines


def plot_study(study: Mapping[str, Any], save: str | Path | None = None):
    """The Pareto figure of a study.json (module docstring); returns the matplotlib figure."""
    from matplotlib.figure import Figure  # heavy, and only needed here; no pyplot state, no backend choice
    from matplotlib.ticker import FuncFormatter

    runs, window = study["runs"], study["window"]
    stats = study_numbers(study)
    fig = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = fig.subplots()
    rand = [r for r in runs if r["kind"] == "random"]
    if rand:
        ax.scatter([r["params"] for r in rand], [score(r) for r in rand], s=22, c="#9a9a9a", label="random")
    for i, b in enumerate(study["budgets"]):
        ax.axvspan(b * (1 - window), b * (1 + window), color=f"C{i}", alpha=0.08, lw=0)
        found = [r for r in runs if r["kind"] == "searched" and r["budget"] == b]
        if not found:
            continue
        st = stats["budgets"][str(b)]["searched"]
        xs = [r["params"] for r in found]
        ax.scatter(xs, [score(r) for r in found], s=10, c=f"C{i}", alpha=0.6)
        ax.errorbar(sum(xs) / len(xs), st["mean"], yerr=st["std"] or 0.0, fmt="o", ms=8, capsize=4, c=f"C{i}",
                    mec="black", label=f"searched, budget {b:,} ({st['n']} seeds: each, and mean ± 1 std)")
    published = [r for r in runs if r["kind"].startswith("published")]
    for same, face, label in ((True, "C3", f"published cells ({study['cells']} cells, same width and recipe)"),
                              (False, "none", "published cells at their own depth")):
        # by depth, as study_stats splits them (a study from before the split has kind "published" at 6 cells)
        for k, r in enumerate(r for r in published if (r["genotype"].get("cells") == study["cells"]) == same):
            ax.scatter([r["params"]], [score(r)], marker="*", s=160, c=face, ec="C3", zorder=3,
                       label=None if k else label)
            ax.annotate(r["id"].removeprefix("published-"), (r["params"], score(r)), fontsize=8,
                        xytext=(5, 4), textcoords="offset points")
    ax.set_xscale("log")
    kilo = FuncFormatter(lambda v, _: f"{v / 1000:g}k")
    ax.xaxis.set_major_formatter(kilo)
    ax.xaxis.set_minor_formatter(kilo)
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set_xlabel(f"parameters (width {study['width']}, x{study['scale']})")
    ax.set_ylabel(f"PSNR-Y over {' + '.join(study['sets'])} (dB)")
    ax.set_title("searched vs random vs published (shaded: each budget's window)", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="best")
    if save is not None:
        fig.savefig(save, dpi=120, bbox_inches="tight")
    return fig


def plot_scores(study: Mapping[str, Any], budget: int, noise_db: float | None = None):
    """The scores of one budget on one axis, a row per kind (random, searched, published at the study's depth):
    each network a dot, each row's mean a bar, and -- to read the differences against -- the detectable
    difference from the random mean and, when given, one network's retraining noise (``noise_db``, a judge's
    noise floor) as a band around it. Returns the matplotlib figure."""
    from matplotlib.figure import Figure  # heavy, and only needed here

    stats = study_numbers(study)
    st = stats["budgets"][str(budget)]
    rows = [("random", [score(r) for r in study["runs"] if r["kind"] == "random" and r["budget"] == budget]),
            ("searched", [score(r) for r in study["runs"] if r["kind"] == "searched" and r["budget"] == budget]),
            ("published", [v["score"] for v in stats["published"].values()])]
    rows = [(k, v) for k, v in rows if v]
    fig = Figure(figsize=(7.5, 1.0 + 0.7 * len(rows)), layout="constrained")
    ax = fig.subplots()
    for y, (_, values) in enumerate(rows):
        ax.scatter(values, [y] * len(values), s=28, c=f"C{y}", alpha=0.75, zorder=3)
        mean = sum(values) / len(values)
        ax.plot([mean, mean], [y - 0.3, y + 0.3], c=f"C{y}", lw=2.5, zorder=4)
    v = st["verdict"]
    if v is not None:
        ax.axvspan(v["random_mean"], v["random_mean"] + v["mde_db"], color="0.85", zorder=1,
                   label=f"detectable difference ({v['mde_db']:.3f} dB, 80% power)")
    if noise_db is not None and rows[0][0] == "random":
        m = sum(rows[0][1]) / len(rows[0][1])
        ax.errorbar([m], [-0.45], xerr=[noise_db], fmt="none", c="black", capsize=4,
                    label=f"one network's retraining noise (±{noise_db:.3f} dB)")
    ax.set_yticks(range(len(rows)), [f"{k} ({len(v)})" for k, v in rows])
    ax.set_ylim(-0.8, len(rows) - 0.5)
    ax.set_xlabel(f"{stats['score']} (dB)")
    ax.set_title(f"budget {budget:,}: each network a dot, each mean a bar", fontsize=10)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncols=2, frameon=False)
    return fig


def _f(x: Any, fmt: str = ".2f") -> str:
    return "-" if x is None else format(x, fmt)


def _where(study: Mapping[str, Any]) -> str:
    if not study["benchmarks"]:
        return ("the **built-in eval photos** (no benchmarks given; LR made with the MATLAB-exact bicubic): the "
                "numbers are not comparable with the paper's tables")
    where = ("the data root's benchmarks" if study["benchmarks"] == "auto"
             else f"the benchmarks in `{study['benchmarks']}`")
    return (f"{where} ({', '.join(study['sets'])}, x{study['scale']}) with the published protocol (the sets' "
            "bicubic LR files; PSNR/SSIM on Y, `scale` pixels shaved)")


def _gap_and_oneshot(study: Mapping[str, Any], stats: Mapping[str, Any]) -> list[str]:
    md = ["## Discretisation gap", "",
          "PSNR on the first set of the supernet (final weights) and of the derived network with the supernet's "
          "own weights, before retraining (each chosen op's candidate weights, the kept predecessors' slices of "
          "each fusion conv; *dropped*: architecture weights dropped, *folded*: alpha/beta weights folded in; "
          "`tinysr.study.oneshot`). Gap = supernet - inherited (dropped). The last column is the judged score.", "",
          "| run | supernet | inherited (dropped) | inherited (folded) | gap | retrained (judged) |",
          "|---|---|---|---|---|---|"]
    for b in study["budgets"]:
        for g in stats["budgets"][str(b)]["gap"]["runs"]:
            md.append(f"| {g['id']} | {_f(g['supernet_psnr'])} | {_f(g['inherited_psnr'])} | "
                      f"{_f(g['inherited_folded_psnr'])} | {_f(g['gap'])} | {_f(g['retrained_psnr'])} |")
    md += ["", "## One-shot estimates vs the judge, per supernet", "",
           "Each random network of a budget evaluated (first set) with weights inherited from one searched "
           "supernet, against its judged score: Kendall's tau-b with a bootstrap 95% interval over the networks, "
           "for each supernet on its own (estimates of different supernets are never pooled: each ranks with its "
           "own weights).", ""]
    for b in study["budgets"]:
        for o in stats["budgets"][str(b)]["oneshot"]:
            ci = "" if not o["ci95"] else f" (95% interval {o['ci95'][0]:+.2f} to {o['ci95'][1]:+.2f})"
            md.append(f"- budget {b:,}, supernet of {o['supernet']}: tau = {_f(o['kendall_tau'], '+.3f')}{ci} "
                      f"over {o['n']} networks")
    return md


def write_study_md(root: str | Path, study: Mapping[str, Any], name: str = "study") -> Path:
    """Write ``<name>.md`` and ``<name>.png`` into ``root``; returns the path of the Markdown file."""
    root = Path(root)
    plot_study(study, save=root / f"{name}.png")
    cfg = study["runs"][0]["config"] if study["runs"] else {}
    s, t = cfg.get("search", {}), cfg.get("train", {})
    stats = study_numbers(study)
    m = study["machine"]
    md = ["# Is the search any good? Searched vs random vs published at equal budget", "",
          *([f"**PARTIAL: {study.get('jobs_done')} of the {study.get('jobs_planned')} planned runs are finished.** "
             "Every number below is on those runs only; the study is not done.", ""]
            if study.get("complete") is False else []),
          f"Command: `{study['command']}`  ", f"Machine: {m.get('cpu') or m.get('host')}, {m.get('cores')} cores, "
          f"GPU {m.get('gpu')}, torch {m.get('torch')}, commit {m.get('git_commit')}", "",
          f"Preset `{study['preset']}`: supernet {s.get('channels')} channels x {study['cells']} cells, search "
          f"{s.get('epochs')} x {s.get('steps_per_epoch')} steps with budget penalty lambda {s.get('lambda_cost')}; "
          f"every network retrained at width {study['width']} for {t.get('epochs')} x {t.get('steps_per_epoch')} "
          f"steps (x{study['scale']}). Evaluated on {_where(study)}. The judged score of a network is its "
          f"{stats['score']} (dB).", "",
          f"Seed policy: searched networks use seeds {study['seeds']}; random and published networks are retrained "
          f"once with seed {study['seeds'][0]}. Random networks: drawn uniformly from the search space (ops and "
          f"connections), kept when their parameter count is within {study['window']:.0%} of the budget.", "",
          "## Verdict", "", *[f"- {line}" for line in verdict_lines(study, stats)], "",
          "The p-value is a one-sided permutation test of searched > random; the interval a bootstrap; the "
          "detectable difference is the true difference this design finds with 80% power (`tinysr.study.verdict`).",
          "", f"![params vs PSNR]({name}.png)", ""]
    for kind, what in (("published", f"at the study's depth ({study['cells']} cells) and width"),
                       ("published_own_depth", "at their own depth (a deeper network, not a better search)")):
        if stats[kind]:
            md.append(f"Published cells {what}: " + ", ".join(
                f"{k.removeprefix('published-')} {v['score']:.3f} dB ({v['params']:,} params, {v['cells']} cells)"
                for k, v in stats[kind].items()) + ".")
    md += ["", *_gap_and_oneshot(study, stats)]
    names = study["sets"]
    md += ["", "## Runs", "",
           "| id | kind | budget | params | in window | judged | " + " | ".join(names) + " | wall s |",
           "|---|---|---|---|---|---|" + "---|" * len(names) + "---|"]
    for r in study["runs"]:
        cells = " | ".join(f"{r['sets'][n]['psnr']:.2f} / {r['sets'][n]['ssim']:.4f}" for n in names)
        md.append(f"| {r['id']} | {r['kind']} | {_f(r['budget'], ',')} | {r['params']:,} | "
                  f"{'-' if r['in_window'] is None else 'yes' if r['in_window'] else 'no'} | {score(r):.3f} | "
                  f"{cells} | "
                  f"{r['wall_s']:.0f} |")
    md += ["", "PSNR (dB) / SSIM per set. Rerun any row and compare: `tinysr study --from study.json --rerun ID "
           "--out DIR --json` (each entry of study.json holds its exact command in `rerun`)."]
    reused = [r for r in study["runs"] if r.get("reused_from")]
    if reused:
        md += ["", f"{len(reused)} of the {len(study['runs'])} runs were not trained by this study: the same network, "
               "recipe, seed and thread count had been retrained in another folder (`--reuse`), whose result was "
               "copied (" + ", ".join(f"{r['id']} <- {r['reused_from']}" for r in reused) + "); the wall times "
               "are those of the original training. A rerun retrains such a run from this study's config."]
    path = root / f"{name}.md"
    atomic_write_text("\n".join(md) + "\n", path)
    return path
