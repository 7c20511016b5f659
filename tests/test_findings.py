"""The README's findings section (`tinysr.study.findings`): current with the shipped files, and its words follow
the numbers on hand-made inputs (PARTIAL while unfinished, "ranks"/"holds" only when the interval says so)."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tinysr.runtime.shipped import load_shipped
from tinysr.study import study_numbers
from tinysr.study.findings import (
    README_BEGIN,
    README_END,
    chance_sentence,
    findings_lines,
    main,
    readme_section,
    reproducibility_sentence,
    tau_sentence,
)

README = Path(__file__).resolve().parents[1] / "README.md"


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


def test_chance_sentence_counts_intervals_excluding_zero():
    text = chance_sentence([(0.1, 0.5), (-0.5, -0.1), (-0.2, 0.3), (-0.1, 0.1)])
    assert text.startswith("2 of 4 intervals exclude 0") and "about 0.2" in text and "19%" in text


def _recipe(n: int, total: int, lo: float) -> dict:
    return {"noise": {"std_db": 0.016, "seeds": {f"n{i:02d}": 2 if i < n else 1 for i in range(total)}},
            "reproducibility_tau": 0.8, "reproducibility_n": n, "n_networks": total,
            "reproducibility_ci95": [lo, 0.95]}


def test_reproducibility_sentence_partial_and_whole():
    assert "on only 3 of the 12 networks so far" in reproducibility_sentence(_recipe(3, 12, 0.6))
    assert "its ranking holds" in reproducibility_sentence(_recipe(12, 12, 0.6))
    assert "better than chance" in reproducibility_sentence(_recipe(12, 12, 0.3))
    assert "cannot be told from chance" in reproducibility_sentence(_recipe(12, 12, -0.1))


def test_findings_say_partial_only_while_unfinished_and_beats_only_at_p_below_005():
    study, judge, cheap = (load_shipped(n) for n in ("study_powered.json", "judge_laptop.json",
                                                      "cheap_judges_laptop.json"))
    done = copy.deepcopy(study)
    done.update(complete=True)
    assert any("PARTIAL" in x for x in findings_lines({**study, "complete": False}, judge, cheap))
    assert not any("PARTIAL" in x for x in findings_lines(done, {**judge, "complete": True},
                                                          {**cheap, "complete": True}))
    # every searched network made 1 dB better: the permutation test now says so, and so do the words
    for r in done["runs"]:
        if r["kind"] == "searched":
            r["sets"] = {k: {**v, "psnr": v["psnr"] + 1.0} for k, v in r["sets"].items()}
    lines = findings_lines(done, judge, cheap)
    assert any("the search beats random" in x for x in lines)
    p = study_numbers(study)["budgets"]["100000"]["verdict"]["p_value"]
    assert any("the search beats random" in x for x in findings_lines(study, judge, cheap)) == (p < 0.05)
