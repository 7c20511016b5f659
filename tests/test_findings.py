"""The README's findings section (`tinysr.study.findings`) and the sentences behind it (`tinysr.study.words`):
current with the shipped files, and words that follow the intervals on hand-made inputs."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tinysr.runtime.shipped import load_shipped
from tinysr.study import study_numbers
from tinysr.study.findings import README_BEGIN, README_END, findings_lines, main, readme_section
from tinysr.study.words import (
    agreement_sentence,
    chance_sentence,
    noise_sentence,
    reproducibility_sentence,
    tau_sentence,
)

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def shipped() -> tuple[dict, dict, dict]:
    return tuple(load_shipped(n) for n in ("study_powered.json", "judge_laptop.json", "cheap_judges_laptop.json"))


def test_readme_section_is_current():
    text = README.read_text()
    assert text.count(README_BEGIN) == 1 and text.count(README_END) == 1
    inside = text.split(README_BEGIN, 1)[1].split(README_END, 1)[0].strip("\n")
    assert inside == readme_section(), "README.md is stale: run python -m tinysr.study.findings --readme README.md"


def test_readme_rewrite_touches_only_the_section(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# top\n\n{README_BEGIN}\nold words\n{README_END}\n\n## after\n")
    main(["--readme", str(readme)])
    text = readme.read_text()
    assert text.startswith("# top\n\n") and text.endswith(f"{README_END}\n\n## after\n") and "old words" not in text
    assert readme_section() in text
    readme.write_text("no markers\n")
    with pytest.raises(SystemExit, match="needs one"):
        main(["--readme", str(readme)])


@pytest.mark.parametrize("ci, words", [((0.05, 0.6), "as the judge does"), ((-0.7, -0.01), "AGAINST"),
                                       ((-0.2, 0.5), "cannot be told from a coin")])
def test_tau_sentence_follows_the_interval(ci, words):
    assert words in tau_sentence("synflow", {"tau": 0.2, "ci95": ci, "n": 20})
    assert "undefined" in tau_sentence("x", {"tau": None, "ci95": None, "n": 2})
    assert "too few for an interval" in tau_sentence("x", {"tau": 1.0, "ci95": None, "n": 2})


def test_chance_sentence_counts_intervals_excluding_zero():
    text = chance_sentence([(0.1, 0.5), (-0.5, -0.1), (-0.2, 0.3), (-0.1, 0.1)])
    assert text.startswith("2 of 4 intervals exclude 0") and "about 0.2" in text and "19%" in text
    assert chance_sentence([(0.1, 0.5), (-0.2, 0.3)]).startswith("1 of 2 intervals excludes 0")
    assert chance_sentence([]) == "no intervals to read"


def _recipe(n: int, total: int, lo: float) -> dict:
    return {"noise": {"std_db": 0.016, "seeds": {f"n{i:02d}": 2 if i < n else 1 for i in range(total)}},
            "reproducibility_tau": 0.8, "reproducibility_n": n, "n_networks": total,
            "reproducibility_ci95": [lo, 0.95]}


def test_reproducibility_sentence_partial_and_whole():
    assert "on only 3 of the 12 networks so far" in reproducibility_sentence(_recipe(3, 12, 0.6))
    assert "its ranking holds" in reproducibility_sentence(_recipe(12, 12, 0.6))
    assert "better than chance" in reproducibility_sentence(_recipe(12, 12, 0.3))
    assert "cannot be told from chance" in reproducibility_sentence(_recipe(12, 12, -0.1))
    assert "so far" in reproducibility_sentence({**_recipe(12, 12, 0.6), "reproducibility_ci95": None})


def test_noise_sentence_gives_the_interval_and_what_it_rests_on():
    words = noise_sentence(_recipe(3, 12, 0.6)["noise"])       # 3 networks x 2 seeds: 3 degrees of freedom
    assert "0.016 dB (95% interval 0.009 .. 0.060 dB: 3 degrees of freedom, from 3 networks" in words
    assert "not measured yet" in noise_sentence({"std_db": None, "seeds": {"a": 1, "b": 1}})


@pytest.mark.parametrize("ci, words", [((0.62, 0.9), "which reaches the 0.6"), ((0.1, 0.5), "falls short of the 0.6"),
                                       ((0.3, 0.8), "is not shown to reach the 0.6"),
                                       ((-0.15, 0.71), "is not shown to reach the 0.6 a cheaper judge needs, and "
                                                       "cannot be told from chance")])
def test_agreement_sentence_follows_the_interval_not_the_point(ci, words):
    r = {"agreement_tau": 0.65, "agreement_ci95": list(ci), "agreement_n": 12}
    assert words in agreement_sentence("1/4", r, 0.6)
    assert "not measured yet" in agreement_sentence("1/4", {"agreement_tau": None}, 0.6)


def test_findings_say_partial_only_while_unfinished_and_beats_only_at_p_below_005(shipped):
    study, judge, cheap = shipped
    done = copy.deepcopy(study)
    done.update(complete=True)
    assert findings_lines({**study, "complete": False}, judge, cheap)[0].startswith("**PARTIAL:")
    assert not findings_lines(done, judge, cheap)[0].startswith("**PARTIAL")
    judge_line = findings_lines(done, {**judge, "complete": True}, cheap)[-2]
    assert judge_line.startswith("The judge") and "PARTIAL" not in judge_line
    # every searched network made 1 dB better: the permutation test now says so, and so do the words
    for r in done["runs"]:
        if r["kind"] == "searched":
            r["sets"] = {k: {**v, "psnr": v["psnr"] + 1.0} for k, v in r["sets"].items()}
    assert any("the search beats random" in x for x in findings_lines(done, judge, cheap))
    p = study_numbers(study)["budgets"]["100000"]["verdict"]["p_value"]
    assert any("the search beats random" in x for x in findings_lines(study, judge, cheap)) == (p < 0.05)


def test_findings_edge_cases(shipped):
    study, judge, cheap = shipped
    with pytest.raises(ValueError, match="a study of one budget"):
        findings_lines(load_shipped("study_laptop.json"), judge, cheap, name="study_laptop.json")
    # searched networks only, so far: no test, no percentiles -- and no crash
    early = {**study, "complete": False, "runs": [r for r in study["runs"] if r["kind"] == "searched"]}
    lines = findings_lines(early, judge, cheap)
    assert any("too few for a test" in x for x in lines) and not any("percentiles" in x for x in lines)
    # the published cells at the study's depth come with their own size (their ops, not the budget, set it)
    published = {r["id"]: r for r in study["runs"] if r["kind"] == "published"}
    line = next(x for x in findings_lines(study, judge, cheap) if x.startswith("The published cells"))
    assert published and all(f"{r['params']:,} parameters" in line for r in published.values())
    # a judge run with no second seed yet
    fresh = copy.deepcopy(judge)
    full = fresh["report"]["recipes"]["full"]
    full["noise"] = {"std_db": None, "df": 0, "ci95": None, "per_network": {}, "seeds": {"n00": 1, "n01": 1}}
    full.update(reproducibility_tau=None, reproducibility_n=0, reproducibility_ci95=None)
    assert "not measured yet" in findings_lines(study, fresh, cheap)[-2]
    # an interval below 0 is listed as such, uncorrected, with the chance sentence
    low = copy.deepcopy(cheap)
    low["proxies"]["synflow"].update(tau=-0.5, ci95=[-0.8, -0.2])
    last = findings_lines(study, judge, low)[-1]
    assert "below 0: " in last and "synflow" in last.split("below 0: ")[1].split("(uncorrected")[0]
