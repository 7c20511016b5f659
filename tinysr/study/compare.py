"""Two search methods judged on the same random networks: which finds better cells, how decided, how soon.

Each method is a study folder (``tinysr study``) at the same budget, preset and recipe; the second typically
reuses the first's random and published retrainings (``--reuse``), so both are compared with the same random
networks. :func:`compare_studies` reports, at one budget:

- each method against the random networks (:func:`tinysr.study.verdict.verdict`);
- method B - method A: the difference of the searched means (dB), its 95% bootstrap interval, a two-sided
  permutation p-value (twice the smaller one-sided p, at most 1) and the smallest difference the design detects
  with 80% power (:func:`~tinysr.study.verdict.mde`, one-sided 5%: a lower bound for the two-sided test);
- per search seed: its judged score, derived ops, the top probability of softmax(alpha) at each position when
  the search ended (how decided it is; 1/9 is undecided), and :func:`settled_from`, the first recorded step from
  which the derived ops never changed again (how soon it decided).

A study still running is read from its ``study-partial.json`` (``tinysr study ... --partial``) when it has no
``study.json``; the output then says ``"complete": false`` with each study's ``jobs_done`` of ``jobs_planned``,
and ``"searched_complete"`` whether every planned search seed is in: B - A and the adoption rule read only the
searched networks, so they are final once those are, while each method-vs-random verdict may still grow.
"""
from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .stats import score
from .verdict import bootstrap_diff, mde, permutation_p, verdict

__all__ = ["settled_from", "final_top_probs", "search_numbers", "read_study", "compare_studies",
           "comparison_sentence", "adoption", "DECIDES_AT"]

DECIDES_AT = 0.5  # a search "decides" when its positions' smallest top probability averages at least this


def settled_from(history: Sequence[Mapping[str, Any]]) -> int | None:
    """The first recorded step from which every later record derives the final ops (``None``: no records).
    ``history``: a search's ``history.json`` (records with ``step`` and ``genotype``)."""
    recs = [h for h in history if "genotype" in h]
    if not recs:
        return None
    final = list(recs[-1]["genotype"]["ops"])
    first = len(recs) - 1
    while first > 0 and list(recs[first - 1]["genotype"]["ops"]) == final:
        first -= 1
    return int(recs[first]["step"])


def final_top_probs(history: Sequence[Mapping[str, Any]]) -> list[float]:
    """The largest softmax(alpha) probability of each position at the last record holding ``alpha``
    (shared alpha: one row per position; per-cell alpha: the first cell's)."""
    recs = [h for h in history if "alpha" in h]
    if not recs:
        return []
    probs = recs[-1]["alpha"]
    rows = probs[0] if isinstance(probs[0][0], list) else probs
    return [max(row) for row in rows]


def search_numbers(run: Mapping[str, Any], folder: str | Path) -> dict[str, Any]:
    """One searched run of a study, with its search's decision numbers read from ``folder/search/``."""
    history = json.loads((Path(folder) / "search" / "history.json").read_text())
    steps = max((int(h["step"]) for h in history if "step" in h), default=None)
    return {"id": run["id"], "seed": run["seed"], "score": score(run), "ops": list(run["genotype"]["ops"]),
            "params": run["params"], "top_probs": final_top_probs(history), "settled_from": settled_from(history),
            "steps": steps}


def read_study(folder: str | Path) -> dict[str, Any]:
    """A study folder's ``study.json``, else its ``study-partial.json`` (a study still running). Raises
    ``FileNotFoundError`` naming both when it holds neither."""
    folder = Path(folder)
    for name in ("study.json", "study-partial.json"):
        if (folder / name).is_file():
            study = json.loads((folder / name).read_text())
            study.setdefault("complete", name == "study.json")
            return study
    raise FileNotFoundError(f"{folder} holds no study.json (a finished `tinysr study`) nor study-partial.json "
                            "(collect a running one with the same command plus --partial)")


def _method(study: Mapping[str, Any], root: Path, budget: int) -> dict[str, Any]:
    runs = [r for r in study["runs"] if r.get("budget") == budget]
    searched = [search_numbers(r, root / "runs" / r["id"]) for r in runs if r["kind"] == "searched"]
    rand = {r["id"]: score(r) for r in runs if r["kind"] == "random" and r["in_window"]}
    scores = [s["score"] for s in searched]
    out = {"n_searched": len(searched), "searched_mean": statistics.fmean(scores) if scores else None,
           "distinct_genotypes": len({tuple(s["ops"]) for s in searched}),
           "min_top_prob_mean": statistics.fmean(min(s["top_probs"]) for s in searched) if searched else None,
           "settled_from_median": statistics.median(s["settled_from"] for s in searched) if searched else None,
           "searched_complete": len(searched) == len(study.get("seeds", ())),
           "complete": bool(study["complete"]), "jobs_done": study.get("jobs_done", len(study["runs"])),
           "jobs_planned": study.get("jobs_planned", len(study["runs"])), "seeds": searched, "random": rand}
    out["vs_random"] = verdict(scores, list(rand.values())) if len(scores) >= 2 and len(rand) >= 2 else None
    return out


def compare_studies(a: str | Path, b: str | Path, budget: int, names: Sequence[str] = ("A", "B"),
                    *, seed: int = 0) -> dict[str, Any]:
    """Compare the searched networks of study folders ``a`` and ``b`` at ``budget`` (module docstring; a folder
    without ``study.json`` is read from its ``study-partial.json``). Raises ``ValueError`` when the two studies
    judged differently (preset, sets, recipe) or hold fewer than 2 searched networks each."""
    na, nb = names
    ra, rb = Path(a), Path(b)
    sa, sb = read_study(ra), read_study(rb)
    for key in ("preset", "sets", "scale", "width", "cells"):
        if sa.get(key) != sb.get(key):
            raise ValueError(f"the studies differ in {key} ({sa.get(key)!r} vs {sb.get(key)!r}): they were not "
                             "judged alike")
    if sa["runs"][0]["config"]["train"] != sb["runs"][0]["config"]["train"]:
        raise ValueError("the studies retrained with different recipes (train.*): they were not judged alike")
    ma, mb = _method(sa, ra, budget), _method(sb, rb, budget)
    sa_scores, sb_scores = [s["score"] for s in ma["seeds"]], [s["score"] for s in mb["seeds"]]
    if len(sa_scores) < 2 or len(sb_scores) < 2:
        raise ValueError(f"budget {budget:,}: need at least 2 searched networks per study; got {len(sa_scores)} "
                         f"({na}) and {len(sb_scores)} ({nb})")
    p_up, p_down = permutation_p(sb_scores, sa_scores, seed=seed), permutation_p(sa_scores, sb_scores, seed=seed)
    diff = {"diff_db": statistics.fmean(sb_scores) - statistics.fmean(sa_scores),
            "ci95": list(bootstrap_diff(sb_scores, sa_scores, seed=seed)),
            "p_value_two_sided": min(1.0, 2 * min(p_up, p_down)), "mde_db": mde(sb_scores, sa_scores),
            "n": [len(sa_scores), len(sb_scores)]}
    return {"budget": budget, "names": [na, nb], "complete": ma["complete"] and mb["complete"],
            "searched_complete": ma["searched_complete"] and mb["searched_complete"],
            "same_random_networks": ma["random"].keys() == mb["random"].keys()
            and all(abs(ma["random"][k] - mb["random"][k]) < 1e-9 for k in ma["random"]),
            "methods": {na: ma, nb: mb}, f"{nb} - {na}": diff}


def comparison_sentence(out: Mapping[str, Any]) -> str:
    """B - A of :func:`compare_studies`'s ``out`` in words, from its numbers: "differs" only at two-sided
    p < 0.05, else "no difference detected" with the difference the design would have seen; marked PARTIAL
    while a study still lacks some of its planned search seeds."""
    na, nb = out["names"]
    d = out[f"{nb} - {na}"]
    nums = (f"{nb} - {na} = {d['diff_db']:+.3f} dB (95% interval {d['ci95'][0]:+.3f} to {d['ci95'][1]:+.3f} dB; "
            f"two-sided permutation p = {d['p_value_two_sided']:.3g}; {d['n'][1]} vs {d['n'][0]} seeds)")
    if d["p_value_two_sided"] < 0.05:
        text = f"{nb} finds {'better' if d['diff_db'] > 0 else 'worse'} networks than {na}: {nums}."
    else:
        text = (f"no difference detected between {na} and {nb}: {nums}; a difference of {d['mde_db']:.3f} dB or "
                "more would have been seen with 80% power.")
    partial = "PARTIAL (searches still run): " if not out.get("searched_complete", True) else ""
    return partial + text[0].upper() + text[1:]


def adoption(out: Mapping[str, Any], decides_at: float = DECIDES_AT) -> dict[str, Any]:
    """Whether method B may replace method A, by a rule fixed before the comparison was run: B *decides* (the
    mean over its seeds of each search's smallest final top probability is >= ``decides_at``: a majority op at
    every position) and is *not worse beyond the interval* (the 95% interval of B - A reaches 0 or above).
    ``final``: every planned search seed of both studies is in (the random networks need not be)."""
    na, nb = out["names"]
    decides = (out["methods"][nb]["min_top_prob_mean"] or 0.0) >= decides_at
    not_worse = out[f"{nb} - {na}"]["ci95"][1] >= 0.0
    return {"rule": f"{nb} replaces {na} when it decides (mean smallest top probability >= {decides_at}) and the "
                    f"95% interval of {nb} - {na} reaches 0 or above",
            "decides": decides, "not_worse": not_worse, "holds": decides and not_worse,
            "final": bool(out.get("searched_complete", True))}
