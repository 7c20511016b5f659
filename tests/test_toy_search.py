"""Chapter 04's planted-answer exercise: the chapter's own loop cell, run over 8 seeds, finds the planted op
every time; a loop that never takes an architecture step, or never a weight step, does not
pass the chapter's check (whether alpha steps on the train or the validation split, the toy cannot tell: both
splits come from one distribution)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from tinysr.space.toy import TOY_OPS, planted_problem

CHAPTER = Path(__file__).resolve().parents[1] / "notebooks" / "04_bilevel_search.ipynb"


def _cell(needle: str) -> str:
    cells = json.loads(CHAPTER.read_text())["cells"]
    (source,) = ["".join(c["source"]) for c in cells if needle in "".join(c["source"])]
    return source


LOOP, CHECK = _cell("def alternate("), _cell("# Check: the loop finds the planted op")


class _Cfg:
    def __init__(self, seed: int) -> None:
        self.seed = seed


def _run(seed: int, loop: str = LOOP) -> dict:
    ns = {"torch": torch, "F": F, "TOY_OPS": TOY_OPS, "planted_problem": planted_problem, "cfg": _Cfg(seed)}
    exec(compile(loop, "<04 loop>", "exec"), ns)
    return ns


@pytest.mark.parametrize("seed", range(8))
def test_the_chapters_loop_finds_the_planted_op_for_every_seed(seed):
    ns = _run(seed)
    exec(compile(CHECK, "<04 check>", "exec"), ns)


@pytest.mark.parametrize("broken", [
    ("        a_opt.step()\n", "        pass\n"),                                    # no architecture step
    ("        w_opt.step()   ", "        pass   "),                                     # no weight step
])
def test_a_wrong_loop_fails_the_check_for_some_seed(broken):
    old, new = broken
    assert old in LOOP
    failures = 0
    for seed in range(8):
        ns = _run(seed, LOOP.replace(old, new))
        try:
            exec(compile(CHECK, "<04 check>", "exec"), ns)
        except AssertionError:
            failures += 1
    assert failures > 0
