"""What the shipped measurements say, in sentences written from their numbers: the README's findings section.

Three shipped files answer the questions a reader of a NAS paper asks first: does the search beat random
networks of its budget (``study_powered.json``, chapter 08), how trustworthy is the retraining that judges them
(``judge_laptop.json``), and can anything cheaper than retraining rank them (``cheap_judges_laptop.json``,
chapter 09). The words follow the tests as everywhere in tinysr: "beats" only at p < 0.05
(:func:`tinysr.study.verdict_sentence`); a rank correlation "ranks" only when its whole 95% interval is above 0,
and a threshold is reached only by an interval (:mod:`tinysr.study.words`). A file made from an unfinished run
says PARTIAL first.

    python -m tinysr.study.findings              # print the section
    python -m tinysr.study.findings --readme README.md   # rewrite it between the findings markers

A test keeps the README's section equal to :func:`readme_section`, so no README sentence outlives its numbers.
"""
from __future__ import annotations

import argparse
import statistics
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..runtime.shipped import load_shipped
from .judge import AGREEMENT_MIN
from .report import study_numbers, verdict_lines
from .stats import percentile, score
from .words import agreement_sentence, chance_sentence, reproducibility_sentence

__all__ = ["README_BEGIN", "README_END", "findings_lines", "readme_section", "main"]

README_BEGIN, README_END = "<!-- findings:begin -->", "<!-- findings:end -->"


def _state(d: Mapping[str, Any], done: str, planned: str, what: str) -> str:
    """``**PARTIAL: k of n <what> finished.** `` for a file made from an unfinished run, else nothing."""
    return "" if d.get("complete", True) else f"**PARTIAL: {d[done]} of {d[planned]} {what} finished.** "


def _search_kind(search: Mapping[str, Any]) -> str:
    """Which forward the search computed, from its config's ``search`` section."""
    if search.get("single_path"):
        return "single path: the sampled op only"
    if search.get("gumbel") and search.get("gumbel_hard"):
        return "hard Gumbel samples, every op computed"
    return "Gumbel-softmax blend" if search.get("gumbel") else "softmax blend"


def _study_lines(study: Mapping[str, Any], name: str) -> list[str]:
    """The study's design, verdict, searched percentiles and published cells (one budget)."""
    if len(study["budgets"]) != 1:
        raise ValueError(f"{name}: the findings read a study of one budget; this one has {study['budgets']}")
    stats = study_numbers(study)
    (budget,) = study["budgets"]
    st = stats["budgets"][str(budget)]
    randoms = [score(r) for r in study["runs"] if r["kind"] == "random" and r["budget"] == budget]
    searched = next((r for r in study["runs"] if r["kind"] == "searched"), None)
    how = f" ({_search_kind(searched['config']['search'])})" if searched else ""
    lines = [f"{_state(study, 'jobs_done', 'jobs_planned', 'runs')}Searched vs random (`{name}`, chapter 08): "
             f"{st['searched']['n']} seeds of the `{study['preset']}` search{how} against {st['random']['n']} random "
             f"networks of {budget:,} parameters (within {study['window']:.0%}), every one retrained with one recipe "
             f"(the judge, below) and scored by its {stats['score']}.", *verdict_lines(study, stats)]
    if randoms and st["searched"]["n"]:
        pct = sorted(st["searched"]["percentile_per_seed"].values())
        lines.append(f"The searched networks sit at the {', '.join(f'{p:.0f}' for p in pct)} percentiles of the "
                     f"{len(randoms)} random ones (median {statistics.median(pct):.0f}).")
    same, own = stats["published"], stats["published_own_depth"]
    if same and randoms:
        lines.append("The published cells at the study's depth and width (their ops set their size, not the "
                     "budget): " + "; ".join(
                         f"{k.removeprefix('published-')} {v['score']:.3f} dB at {v['params']:,} parameters, "
                         f"percentile {percentile(v['score'], randoms):.0f} of the random ones"
                         for k, v in same.items()) + ".")
    if own:
        lines.append("At their own depth (deeper, so not comparable with the others): " + "; ".join(
            f"{k.removeprefix('published-').removesuffix('-own-depth')} {v['score']:.3f} dB ({v['cells']} cells, "
            f"{v['params']:,} parameters)"
            for k, v in own.items()) + ".")
    if not (same and own) and not study.get("complete", True):
        lines.append("The published cells, at the study's depth and at their own: not all retrained yet.")
    return lines


def _cheap_line(cheap: Mapping[str, Any]) -> str:
    """The cheap judges: each tau with its interval, judges that rank identically merged, the one-shot taus as a
    range, which intervals exclude 0 (uncorrected), and how many would by chance alone."""
    merged: dict[str, dict[str, Any]] = {}
    for n, v in cheap["proxies"].items():           # params and multi_adds rank one budget's networks alike
        twin = next((m for m, w in merged.items() if (w["tau"], w["ci95"]) == (v["tau"], v["ci95"])), None)
        merged[f"{twin} = {n}" if twin else n] = merged.pop(twin) if twin else v
    shown = [f"{n} {v['tau']:+.2f} ({v['ci95'][0]:+.2f} .. {v['ci95'][1]:+.2f})" for n, v in merged.items()
             if v["tau"] is not None and v["ci95"]]
    oneshot = [o for o in cheap["oneshot"] if o["tau"] is not None]
    if oneshot:
        shown.append(f"one-shot, each of {len(oneshot)} supernets on the {max(o['n'] for o in oneshot)} random "
                     f"networks it estimated: {min(o['tau'] for o in oneshot):+.2f} .. "
                     f"{max(o['tau'] for o in oneshot):+.2f}")
    judged = {**merged, **{f"one-shot ({o['supernet']})": o for o in oneshot}}
    intervals = {n: v["ci95"] for n, v in judged.items() if v["ci95"]}
    above = [n for n, (lo, _) in intervals.items() if lo > 0]
    below = [n for n, (_, hi) in intervals.items() if hi < 0]
    return (f"{_state(cheap, 'jobs_done', 'jobs_planned', 'study runs')}Cheap judges on the study's "
            f"{cheap['networks']} networks ({cheap.get('n_searched', '?')} searched, {cheap.get('n_random', '?')} "
            f"random; `cheap_judges_laptop.json`, chapter 09), Kendall tau with the judge (95% interval): "
            f"{'; '.join(shown)}. Intervals above 0: {', '.join(above) or 'none'}; below 0: "
            f"{', '.join(below) or 'none'} (uncorrected for the {len(intervals)} judges read together); "
            + chance_sentence(list(intervals.values())) + "; the one-shot taus rank the same networks, so they "
            "are not independent.")


def findings_lines(study: Mapping[str, Any], judge: Mapping[str, Any], cheap: Mapping[str, Any],
                   name: str = "study_powered.json") -> list[str]:
    """The findings as Markdown bullet texts, from a study of one budget (file ``name``), the judge and the
    cheap-judge files; ``ValueError`` for a study of several budgets."""
    lines = _study_lines(study, name)
    recipes = judge["report"]["recipes"]
    cheaper = [agreement_sentence(n, r, AGREEMENT_MIN) for n, r in recipes.items() if n != "full"]
    lines.append(f"{_state(judge, 'trainings_done', 'trainings_planned', 'trainings')}The judge "
                 f"(`judge_laptop.json`): the `{judge['recipe']}` recipe; "
                 + reproducibility_sentence(recipes[judge["recipe"]]) + "."
                 + "".join(f" A cheaper recipe: {c}." for c in cheaper))
    lines.append(_cheap_line(cheap))
    return lines


def readme_section() -> str:
    """The README section between :data:`README_BEGIN` and :data:`README_END`, from the shipped files."""
    lines = findings_lines(load_shipped("study_powered.json"), load_shipped("judge_laptop.json"),
                           load_shipped("cheap_judges_laptop.json"))
    intro = ("Written from the shipped files by `python -m tinysr.study.findings` (a test keeps this section "
             "equal to it); each file holds the command that made it. How each number is made and read: "
             "[`docs/study.md`](docs/study.md).")
    return "## What the search achieves, measured\n\n" + intro + "\n\n" + "\n".join(f"- {x}" for x in lines)


def main(argv: list[str] | None = None) -> None:
    """Print the section, or write it into ``--readme`` between the markers (nothing else of the file changes)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--readme", type=Path, default=None, help="rewrite this file's section between the markers")
    args = ap.parse_args(argv)
    section = readme_section()
    if args.readme is None:
        print(section)
        return
    text = args.readme.read_text(encoding="utf-8")
    if text.count(README_BEGIN) != 1 or text.count(README_END) != 1:
        raise SystemExit(f"{args.readme}: needs one {README_BEGIN} and one {README_END} line")
    head, rest = text.split(README_BEGIN, 1)
    args.readme.write_text(f"{head}{README_BEGIN}\n{section}\n{README_END}{rest.split(README_END, 1)[1]}",
                           encoding="utf-8")


if __name__ == "__main__":
    main()
