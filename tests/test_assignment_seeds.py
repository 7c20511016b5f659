"""Assignment checks hold for every seed they can meet, not for a lucky draw: a3's comparison with the oracle
after two Adam steps passes for a correct solution that adds the objective's terms in another order (float
rounding differs) over 6 seeds, and still fails a wrong one; a2's derivation checks pass over the same seeds."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ASSIGNMENTS = Path(__file__).resolve().parents[1] / "notebooks" / "assignments"
REORDERED = [  # the same objective, summed cost first, then the arch loss, then the train loss
    ("    loss = arch_loss if loss is None else loss + arch_loss\n"
     "    if cost_fn is not None and lambda_cost != 0:\n"
     "        loss = loss + lambda_cost * cost_fn(net)\n",
     "    extra = lambda_cost * cost_fn(net) if cost_fn is not None and lambda_cost != 0 else 0.0\n"
     "    loss = (extra + arch_loss) if loss is None else (extra + arch_loss) + loss\n")]
WRONG = [("        loss = loss + lambda_cost * cost_fn(net)\n",
          "        loss = loss + 0.5 * lambda_cost * cost_fn(net)\n")]


def _run(name: str, seed: int, until: str, edits=()) -> None:
    """Execute the solution notebook's code cells up to and including cell ``until`` at ``seed``."""
    cells = json.loads((ASSIGNMENTS / name).read_text())["cells"]
    ns: dict = {}
    applied = set()
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]).replace("tinysr.preset()", f"tinysr.preset(seed={seed})")
        for old, new in edits:
            if old in source:
                source, _ = source.replace(old, new), applied.add(old)
        exec(compile(source, f"<{name} {cell['id']}>", "exec"), ns)
        if cell["id"] == until:
            assert applied == {old for old, _ in edits}, "an edit no longer matches the solution: update the test"
            return
    raise AssertionError(f"no cell {until} in {name}")


@pytest.fixture(autouse=True)
def _smoke(monkeypatch):
    monkeypatch.setenv("TINYSR_PRESET", "smoke")


@pytest.mark.parametrize("seed", range(6))
def test_a3_step_check_passes_a_correct_solution_in_any_order(seed):
    _run("a3_first_order_architect.ipynb", seed, "a3-15", REORDERED)


def test_a3_step_check_fails_a_wrong_weight():
    with pytest.raises(AssertionError):
        _run("a3_first_order_architect.ipynb", 0, "a3-15", WRONG)


@pytest.mark.parametrize("seed", range(6))
def test_a2_derivation_checks_hold_for_every_seed(seed):
    _run("a2_mixed_op_and_derive.ipynb", seed, "a2-17h")
