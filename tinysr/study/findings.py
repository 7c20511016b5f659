"""What the shipped measurements say, in sentences written from their numbers: the README's findings section.

Three shipped files answer the questions a reader of a NAS paper asks first: does the search beat random
networks of its budget (``study_powered.json``, chapter 08), how trustworthy is the retraining that judges them
(``judge_laptop.json``), and can anything cheaper than retraining rank them (``cheap_judges_laptop.json``,
chapter 09). The words follow the tests as everywhere in tinysr: "beats" only at p < 0.05
(:func:`tinysr.study.verdict_sentence`); a rank correlation "ranks" only when its whole 95% interval is above 0
(:func:`tau_sentence`). A file made from an unfinished run says PARTIAL first.

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

__all__ = ["README_BEGIN", "README_END", "tau_sentence", "reproducibility_sentence", "findings_lines",
           "readme_section", "chance_sentence"]

README_BEGIN, README_END = "<!-- findings:begin -->", "<!-- findings:end -->"


def tau_sentence(name: str, v: Mapping[str, Any]) -> str:
    """One rank correlation in words, from ``{"tau", "ci95", "n"}``: "ranks ... as the judge does" only when the
    whole interval is above 0, "AGAINST" only when it is below 0, otherwise "cannot be told from a coin"."""
    if v["tau"] is None or v["ci95"] is None:
        return f"{name}: undefined over {v['n']} networks"
    lo, hi = v["ci95"]
    verdict = ("ranks the networks as the judge does (the interval is above 0)" if lo > 0 else
               "ranks them AGAINST the judge (the interval is below 0)" if hi < 0 else
               "cannot be told from a coin here (the interval contains 0)")
    return f"{name}: tau {v['tau']:+.2f}, 95% interval {lo:+.2f} .. {hi:+.2f} over {v['n']} networks: {verdict}"


def chance_sentence(intervals: list[tuple[float, float]]) -> str:
    """How many of several 95% intervals exclude 0, against how many would by chance alone if no judge carried
    any signal (each one time in 20; at least one with probability 1 - 0.95^k if independent)."""
    k = len(intervals)
    excluding = sum(lo > 0 or hi < 0 for lo, hi in intervals)
    return (f"{excluding} of {k} intervals exclude 0; were every judge a coin, about {0.05 * k:.1f} would by chance "
            f"alone (at least one with probability {1 - 0.95 ** k:.0%}, if independent)")


def reproducibility_sentence(recipe: Mapping[str, Any]) -> str:
    """A recipe's rank reproducibility in words (one recipe of ``judge_laptop.json``'s report): its seed noise
    and the seeds behind it, then tau between two of its seeds -- "too few" while compared on fewer networks
    than the recipe has, else "holds" only when the whole interval is at or above 0.6."""
    seeds = recipe["noise"]["seeds"]
    noise = (f"its seed noise, {recipe['noise']['std_db']:.3f} dB, comes from {sum(n > 1 for n in seeds.values())} "
             f"networks with up to {max(seeds.values())} seeds each")
    tau, n, total = recipe["reproducibility_tau"], recipe["reproducibility_n"], recipe["n_networks"]
    if n < total or recipe.get("reproducibility_ci95") is None:
        shown = "-" if tau is None else f"{tau:.2f}"
        return (f"{noise}; two of its seeds are compared on only {n} of the {total} networks so far (tau {shown}), "
                "too few to say how well it ranks them")
    lo, hi = recipe["reproducibility_ci95"]
    holds = ("holds (the interval is above 0.6)" if lo >= 0.6 else
             "reproduces better than chance (the interval is above 0) but is not shown to reach 0.6" if lo > 0 else
             "cannot be told from chance (the interval contains 0)")
    return (f"{noise}; two of its seeds rank all {n} networks at tau {tau:+.2f} (95% interval {lo:+.2f} .. "
            f"{hi:+.2f}): its ranking {holds}")


def _state(d: Mapping[str, Any], done: str, planned: str, what: str) -> str:
    return "" if d.get("complete", True) else f"**PARTIAL: {d[done]} of {d[planned]} {what} finished.** "


def _search_kind(search: Mapping[str, Any]) -> str:
    if search.get("single_path"):
        return "single path: the sampled op only"
    if search.get("gumbel") and search.get("gumbel_hard"):
        return "hard Gumbel samples, every op computed"
    return "Gumbel-softmax blend" if search.get("gumbel") else "softmax blend"


def _study_lines(study: Mapping[str, Any]) -> list[str]:
    stats = study_numbers(study)
    (budget,) = study["budgets"]
    st = stats["budgets"][str(budget)]
    randoms = [score(r) for r in study["runs"] if r["kind"] == "random" and r["budget"] == budget]
    searched = next((r for r in study["runs"] if r["kind"] == "searched"), None)
    how = f" ({_search_kind(searched['config']['search'])})" if searched else ""
    lines = [f"{_state(study, 'jobs_done', 'jobs_planned', 'runs')}Searched vs random "
             f"(`study_powered.json`, chapter 08): {st['searched']['n']} seeds of the `{study['preset']}` search{how} "
             f"against {st['random']['n']} random networks of {budget:,} parameters (within "
             f"{study['window']:.0%}), every one retrained with one recipe and judged by its {stats['score']}.",
             *verdict_lines(study)]
    pct = sorted(st["searched"]["percentile_per_seed"].values())
    if pct:
        lines.append(f"The searched networks sit at the {', '.join(f'{p:.0f}' for p in pct)} percentiles of the "
                     f"random ones (median {statistics.median(pct):.0f}).")
    for kind, where in (("published", "at the study's depth and width"),
                        ("published_own_depth", "at their own depth (deeper: not comparable)")):
        found = stats[kind]
        if found and kind == "published":
            lines.append(f"The published cells {where}: " + "; ".join(
                f"{k.removeprefix('published-')} {v['score']:.3f} dB, percentile {percentile(v['score'], randoms):.0f}"
                for k, v in found.items()) + ".")
        elif found:
            lines.append(f"The published cells {where}: " + "; ".join(
                f"{k.removeprefix('published-').removesuffix('-own-depth')} {v['score']:.3f} dB ({v['cells']} cells)"
                for k, v in found.items()) + ".")
        elif not study.get("complete", True):
            lines.append(f"The published cells {where}: not retrained yet.")
    return lines


def findings_lines(study: Mapping[str, Any], judge: Mapping[str, Any], cheap: Mapping[str, Any]) -> list[str]:
    """The findings as Markdown bullet texts, from the powered study, the judge and the cheap-judge files."""
    lines = _study_lines(study)
    recipes = judge["report"]["recipes"]
    cheaper = [f"A cheaper recipe, `{name}` of the steps, agrees with it at tau {r['agreement_tau']:+.2f} (95% "
               f"interval {r['agreement_ci95'][0]:+.2f} .. {r['agreement_ci95'][1]:+.2f}, {r['agreement_n']} "
               "networks), "
               f"{'at or above' if r['agreement_tau'] >= AGREEMENT_MIN else 'below'} the {AGREEMENT_MIN} a cheaper "
               "judge must reach."
               for name, r in recipes.items() if name != judge["recipe"] and r.get("agreement_ci95") is not None]
    lines.append(f"{_state(judge, 'trainings_done', 'trainings_planned', 'trainings')}The judge "
                 f"(`judge_laptop.json`): the `{judge['recipe']}` recipe; "
                 + reproducibility_sentence(recipes[judge["recipe"]]) + ". " + " ".join(cheaper))
    judged = {**cheap["proxies"], **{f"one-shot ({o['supernet']})": o for o in cheap["oneshot"]}}
    shown = [f"{n} {v['tau']:+.2f} ({v['ci95'][0]:+.2f} .. {v['ci95'][1]:+.2f})" for n, v in cheap["proxies"].items()
             if v["ci95"]]
    oneshot = [o["tau"] for o in cheap["oneshot"] if o["tau"] is not None]
    if oneshot:
        shown.append(f"one-shot, per supernet ({len(oneshot)}): {min(oneshot):+.2f} .. {max(oneshot):+.2f}")
    above = [n for n, v in judged.items() if v["ci95"] and v["ci95"][0] > 0]
    below = [n for n, v in judged.items() if v["ci95"] and v["ci95"][1] < 0]
    lines.append(f"{_state(cheap, 'jobs_done', 'jobs_planned', 'study runs')}Cheap judges on {cheap['networks']} "
                 f"networks of one budget (`cheap_judges_laptop.json`, chapter 09), Kendall tau with the judge (95% "
                 f"interval): {'; '.join(shown)}. Interval above 0 (ranks as the judge does): "
                 f"{', '.join(above) or 'none'}; below 0 (ranks against it): {', '.join(below) or 'none'}; "
                 + chance_sentence([tuple(v["ci95"]) for v in judged.values() if v["ci95"]]) + ".")
    return lines


def readme_section() -> str:
    """The README section between :data:`README_BEGIN` and :data:`README_END`, from the shipped files."""
    lines = findings_lines(load_shipped("study_powered.json"), load_shipped("judge_laptop.json"),
                           load_shipped("cheap_judges_laptop.json"))
    intro = ("Written from the shipped files by `python -m tinysr.study.findings` (a test keeps this section "
             "equal to it); each file holds the command that made it.")
    return "## What the search achieves, measured\n\n" + intro + "\n\n" + "\n".join(f"- {x}" for x in lines)


def main(argv: list[str] | None = None) -> None:
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
