"""The grader's logic, in process and fast: the bug suite (typical wrong solutions score below full marks,
the solutions score full marks), unsolved tasks fail every check, the scans (forbidden names, file access,
modules written at run time, dynamic code, tampering), habits that are not penalised (magics, shell lines,
gc/inspect/setattr/vars), values of the student's own types refused before a check compares them, the
assembly of a submission (checks restored by id, else by content; hidden checks added), identification
(cells over metadata) and written answers collected for review.

Cells run here with ``exec`` in this process (:class:`InProcess`), which shares each notebook's setup
between runs; the real kernel runner is exercised end to end in ``tests/test_grading_e2e.py``."""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
import torch

from tinysr.assignments import (
    ANSWER_STUB,
    STUB,
    CellOutcome,
    assemble,
    feedback_markdown,
    grade_notebook,
    grade_submission,
    grades_csv,
    identify,
    load_specs,
    scan_tasks,
    strip_solutions,
)
from tinysr.assignments.scan import forbidden_uses, import_aliases, parse_cell

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "notebooks" / "assignments").glob("*.ipynb"))
SPECS = load_specs(SOURCES)
NOTEBOOKS = {spec.assignment: nbformat.read(str(path), as_version=4) for path, spec in zip(SOURCES, SPECS.values())}


class InProcess:
    """A runner (``(sources, timeout) -> outcomes``) that ``exec``s cells here, caching the namespace after
    every prefix of cells so runs that share a prefix (the setup, earlier tasks) do not repeat it.
    ``stop`` cells after the first ``stop`` are reported "not run" (a bug only needs its own task's checks)."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, ...], tuple[dict, list[CellOutcome]]] = {}
        self.stop: int | None = None

    def __call__(self, sources, timeout):
        sources = list(sources)
        stop = len(sources) if self.stop is None else self.stop
        start, ns, outcomes = 0, {}, []
        for i in range(min(stop, len(sources)), 0, -1):
            if tuple(sources[:i]) in self.cache:
                cached_ns, cached_out = self.cache[tuple(sources[:i])]
                start, ns, outcomes = i, dict(cached_ns), list(cached_out)
                break
        for i in range(start, min(stop, len(sources))):
            try:
                exec(compile(sources[i], f"<cell {i}>", "exec"), ns)  # our own notebooks
                outcomes.append(CellOutcome("ok"))
            except Exception as exc:  # a failing cell
                outcomes.append(CellOutcome("error", type(exc).__name__, str(exc)[:200]))
            self.cache[tuple(sources[:i + 1])] = (dict(ns), list(outcomes))
        return outcomes + [CellOutcome("not run")] * (len(sources) - len(outcomes))


@pytest.fixture(scope="module")
def run_here(monkeypatch_module):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)            # several kernels and workers share 2 cores: one thread is faster here
    yield InProcess()
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    mp.setenv("TINYSR_PRESET", "smoke")
    mp.delenv("TINYSR_DATA", raising=False)     # a4's last check: the built-in photos, the same for everyone
    mp.delenv("TINYSR_SHARED", raising=False)
    yield mp
    mp.undo()


def _with(assignment: str, cell_id: str, edits: list[tuple[str, str]]):
    """A copy of solution notebook ``assignment`` with ``(old, new)`` text replacements in cell ``cell_id``."""
    nb = copy.deepcopy(NOTEBOOKS[assignment])
    cell = next(c for c in nb.cells if c.get("id") == cell_id)
    for old, new in edits:
        assert old in cell.source, f"bug data out of date: {old!r} not in {assignment} cell {cell_id}"
        cell.source = cell.source.replace(old, new)
    return nb


def _grade(run_here: InProcess, assignment: str, nb, task: str | None = None):
    """Grade ``nb`` in process; with ``task``, only up to that task's last check."""
    spec = SPECS[assignment]
    run_here.stop = None
    if task is not None:
        steps, origins, _ = assemble(spec, nb, guards=True)
        run_here.stop = 1 + max(i for i, o in enumerate(origins) if o is not None and o.role == "check"
                                and o.task == task)
    result = grade_notebook(spec, nb, runner=run_here, timeout=60)
    run_here.stop = None
    return {t.task: t for t in result.tasks}, result


# -- the bug suite: typical wrong solutions, as data ---------------------------------------------------------
BUGS = {
    "a1_candidate_operation": [
        ("dil_conv", "a1-03", "padding ignores the kernel size", [("padding = dilation * (k - 1) // 2", "padding = dilation")]),
        ("dil_conv", "a1-03", "a bias in the pointwise conv", [("nn.Conv2d(C, C, 1, bias=False)", "nn.Conv2d(C, C, 1)")]),
        ("op_params", "a1-08", "sep_conv counted once", [("return 2 * (k * k * C + C * C)", "return k * k * C + C * C")]),
        ("macs_by_hand", "a1-13", "stride ignored in the output size",
         [("H = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1", "H = H + 2 * ph - dh * (kh - 1)")]),
        ("macs_by_hand", "a1-13", "groups ignored", [("(m.in_channels // m.groups)", "m.in_channels")]),
    ],
    "a2_mixed_op_and_derive": [
        ("softmax", "a2-03", "no max shift: exp overflows", [("alpha - alpha.max(dim=-1, keepdim=True).values", "alpha")]),
        ("softmax", "a2-03", "normalised over the whole tensor", [("e.sum(dim=-1, keepdim=True)", "e.sum()")]),
        ("mixed_forward", "a2-07", "weights detached from the graph", [("softmax(alpha_row)", "softmax(alpha_row).detach()")]),
        ("derive_ops", "a2-12", "ties broken upward", [("if p > row[best]:", "if p >= row[best]:")]),
        ("derive_ops", "a2-12", "per-cell alphas: mean of the logits", [
            ("scores = softmax(alpha).mean(dim=0) if alpha.dim() == 3 else alpha",
             "scores = alpha.mean(dim=0) if alpha.dim() == 3 else alpha")]),
        ("derive_ops", "a2-12", "ranked on float32 probabilities", [
            ("scores = softmax(alpha).mean(dim=0) if alpha.dim() == 3 else alpha",
             "scores = softmax(alpha).mean(dim=0) if alpha.dim() == 3 else softmax(alpha)")]),
        ("derive_inputs", "a2-14", "inputs in rank order, not ascending",
         [("tuple(sorted(i + 1 for i in ranked[:2]))", "tuple(i + 1 for i in ranked[:2])")]),
    ],
    "a3_first_order_architect": [
        ("arch_objective", "a3-05", "train loss added for objective='val' too", [('if objective == "train+val":', "if True:")]),
        ("arch_objective", "a3-05", "cost detached (the released code's bug)", [("cost_fn(net)", "cost_fn(net).detach()")]),
        ("first_order_step", "a3-09", "the architecture step also moves the weights", [
            ("torch.optim.Adam(net.alphas(),", "torch.optim.Adam(net.parameters(),"),
            ("loss.backward(inputs=list(net.alphas()))", "loss.backward()")]),
        ("first_order_step", "a3-09", "backward into the weights too (stale .grad)",
         [("loss.backward(inputs=list(net.alphas()))", "loss.backward()")]),
        ("hvp", "a3-21", "DARTS' finite difference instead of double backward", [(
            "    grads = torch.autograd.grad(loss_of(), weights, create_graph=True, allow_unused=True)\n"
            "    dot = sum((g * v).sum() for g, v in zip(grads, vector) if g is not None)\n"
            "    out = torch.autograd.grad(dot, alphas, allow_unused=True)\n",
            "    eps = 0.01 / float(torch.cat([v.reshape(-1) for v in vector]).norm())\n"
            "    with torch.no_grad():\n"
            "        for w, v in zip(weights, vector):\n"
            "            w.add_(eps * v)\n"
            "    plus = torch.autograd.grad(loss_of(), alphas, allow_unused=True)\n"
            "    with torch.no_grad():\n"
            "        for w, v in zip(weights, vector):\n"
            "            w.sub_(2 * eps * v)\n"
            "    minus = torch.autograd.grad(loss_of(), alphas, allow_unused=True)\n"
            "    with torch.no_grad():\n"
            "        for w, v in zip(weights, vector):\n"
            "            w.add_(eps * v)\n"
            "    out = [None if p is None else (p - m) / (2 * eps) for p, m in zip(plus, minus)]\n")]),
        ("hvp", "a3-21", "second derivative by backward() (sets .grad)", [(
            "out = torch.autograd.grad(dot, alphas, allow_unused=True)",
            "dot.backward(inputs=alphas)\n    out = [a.grad for a in alphas]")]),
    ],
    "a4_psnr_y": [
        ("rgb_to_y", "a4-03", "full-range luma (no studio offset)",
         [("16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0", "0.299 * r + 0.587 * g + 0.114 * b")]),
        ("psnr_y", "a4-07", "uint8 wrap-around on gray images", [("x = np.asarray(x, dtype=np.float64)", "x = np.asarray(x)")]),
        ("psnr_y", "a4-07", "border not shaved", [("if crop_border:", "if False:")]),
        ("psnr_y", "a4-07", "gray rule without rounding", [("np.floor(x.mean(axis=2) + 0.5)", "x.mean(axis=2)")]),
    ],
    "a5_random_baseline": [
        ("sample_at_budget", "a5-04", "no rejection", [("if abs(count_params(DLSRNet(g, scale)) - budget) <= tolerance * budget:",
                                                        "if True:")]),
        ("sample_at_budget", "a5-04", "one-sided band", [("abs(count_params(DLSRNet(g, scale)) - budget) <= tolerance * budget",
                                                          "count_params(DLSRNet(g, scale)) <= (1 + tolerance) * budget")]),
        ("sample_at_budget", "a5-04", "the seed ignored", [("random_genotype(seed + i,", "random_genotype(i,")]),
        ("compare_at_budget", "a5-10", "ties counted against the searched genotype",
         [("(scores > searched_score)", "(scores >= searched_score)")]),
        ("compare_at_budget", "a5-10", "population std (ddof=0)", [("scores.std(ddof=1)", "scores.std()")]),
        ("random_baseline", "a5-15", "samples at the preset's width, not the searched genotype's",
         [("channels=searched.channels", "channels=C")]),
    ],
}
CASES = [(a, *bug) for a, bugs in BUGS.items() for bug in bugs]


def test_at_least_five_assignments_with_three_bugs_each():
    assert len(SPECS) >= 5, sorted(SPECS)
    assert set(BUGS) == set(SPECS), "every assignment needs its bugs in BUGS"
    assert all(len(bugs) >= 3 for bugs in BUGS.values())


@pytest.mark.parametrize("assignment", sorted(SPECS))
def test_solution_scores_full_marks_without_flags(run_here, assignment):
    tasks, result = _grade(run_here, assignment, NOTEBOOKS[assignment])
    failed = {t.task: [(c.cell_id, c.outcome.describe()) for c in t.checks if not c.outcome.ok] for t in tasks.values()}
    assert result.points == result.max_points == SPECS[assignment].max_points, failed
    assert not any(t.flags for t in tasks.values()) and not result.notes, [t.flags for t in tasks.values()]


@pytest.mark.parametrize("assignment, task, cell_id, why, edits", CASES, ids=[f"{c[0][:2]}-{c[3]}" for c in CASES])
def test_each_wrong_solution_scores_below_full_marks(run_here, assignment, task, cell_id, why, edits):
    tasks, _ = _grade(run_here, assignment, _with(assignment, cell_id, edits), task)
    result = tasks[task]
    assert result.points < result.max_points, f"{assignment}: the bug '{why}' still gets full marks on {task}"
    assert not result.flags, result.flags          # caught by the checks, not by a scan


@pytest.mark.parametrize("assignment", sorted(SPECS))
def test_every_check_fails_while_its_task_is_unsolved(run_here, assignment):
    """The stub alone (the handout's cell) fails every check of its task, hidden ones included, even with
    every other task solved: no check passes by accident."""
    from tinysr.assignments import strip_solutions

    handout = strip_solutions(NOTEBOOKS[assignment])
    for task in SPECS[assignment].tasks.values():
        nb = copy.deepcopy(NOTEBOOKS[assignment])
        stub = next(c for c in handout.cells if c.get("id") == task.solution_id).source
        assert STUB in stub
        next(c for c in nb.cells if c.get("id") == task.solution_id).source = stub
        result = _grade(run_here, assignment, nb, task.name)[0][task.name]
        passing = [c.cell_id for c in result.checks if c.outcome.ok]
        assert not passing and result.points == 0, f"{assignment}: checks {passing} of {task.name} pass unsolved"


# -- scans -----------------------------------------------------------------------------------------------------
def _uses(code: str, patterns, setup: str = "") -> list[str]:
    trees = [t for t in (parse_cell(setup), parse_cell(code)) if t is not None]
    return [f.name for f in forbidden_uses("c", code, parse_cell(code), patterns, import_aliases(trees))]


@pytest.mark.parametrize("code", [
    "def f(a, b):\n    return calculate_psnr(a, b, 2)",
    "import tinysr\ny = tinysr.calculate_psnr",
    "from tinysr import metrics as m\ny = m.calculate_psnr",
    "from tinysr.metrics import calculate_psnr as cp",
    "import tinysr\nf = getattr(tinysr, 'calculate_psnr')",
])
def test_forbidden_name_is_found_however_it_is_reached(code):
    assert "calculate_psnr" in _uses(code, ["calculate_psnr"], setup="from tinysr.metrics import calculate_psnr")


@pytest.mark.parametrize("code, pattern", [
    ("import tinysr\ny = tinysr.rgb2ycbcr(x)", "tinysr.metrics.*"),        # a top-level re-export
    ("from tinysr import metrics", "tinysr.metrics.*"),
    ("import importlib\nm = importlib.import_module('tinysr.metrics')", "tinysr.metrics.*"),
    ("p = F.softmax(a, dim=-1)", ".softmax"),
    ("p = a.softmax(-1)", ".softmax"),
    ("from torch import softmax", ".softmax"),
    ("p = F.softmax(a, -1)", "torch.nn.functional.softmax"),
])
def test_forbidden_module_attribute_and_dotted_forms(code, pattern):
    assert _uses(code, [pattern], setup="import torch.nn.functional as F") == [pattern]


@pytest.mark.parametrize("code, pattern", [
    ("def softmax(a):\n    return a.exp() / a.exp().sum()\np = softmax(x)", ".softmax"),   # the student's own
    ("import re\nr = re.compile('x')", "calculate_psnr"),
    ("from tinysr.data import modcrop\ny = modcrop(x, 2)", "tinysr.metrics.*"),
    ("y = my_calculate_psnr(x)", "calculate_psnr"),
])
def test_names_that_only_look_alike_are_not_flagged(code, pattern):
    assert _uses(code, [pattern]) == []


def _findings(assignment: str, edits: dict[str, str], added: list[tuple[str, str]] = ()):
    """Scan findings per task of solution ``assignment`` with cell sources replaced (``edits``) and cells
    added after a cell (``added``: (after_id, source))."""
    nb = copy.deepcopy(NOTEBOOKS[assignment])
    for cid, source in edits.items():
        next(c for c in nb.cells if c.get("id") == cid).source = source
    for n, (after, source) in enumerate(added):
        i = next(i for i, c in enumerate(nb.cells) if c.get("id") == after)
        cell = nbformat.v4.new_code_cell(source)
        cell["id"] = f"mine-{n}"
        nb.cells.insert(i + 1, cell)
    steps, _, _ = assemble(SPECS[assignment], nb)
    return {task: sorted({f"{f.kind}:{f.name}" for f in found}) for task, found in
            scan_tasks(SPECS[assignment], steps).items()}


PSNR_CELL = "def psnr_y(img, img2, crop_border):\n    return fast(img, img2, crop_border)"


def test_a_helper_cell_that_calls_the_oracle_is_part_of_the_task():
    helper = ("a4-03", "def fast(a, b, c):\n    return calculate_psnr(a, b, c, test_y_channel=True)")
    found = _findings("a4_psnr_y", {"a4-07": PSNR_CELL}, [helper])
    assert found["psnr_y"] == ["forbidden:calculate_psnr", "forbidden:tinysr.metrics.*"], found
    assert found["rgb_to_y"] == [], found
    scratch = ("a4-12", "print(calculate_psnr(sr, hr, 2), psnr_y(sr, hr, 2))")    # comparing is fine
    assert _findings("a4_psnr_y", {}, [scratch]) == {"rgb_to_y": [], "psnr_y": []}


@pytest.mark.parametrize("code, flag", [
    ("abs = lambda x: 0.0", "tampered:abs"),
    ("calculate_psnr = lambda *args, **kw: 0.0", "tampered:calculate_psnr"),
    ("np.testing.assert_allclose = lambda *args, **kw: None", "tampered:np"),
    ("pairs.clear()", "tampered:pairs"),
    ("def psnr_y(a, b, c):\n    global scale\n    scale = 0\n    return 0.0", "tampered:scale"),
    ("exec('x = 1')", "dynamic:exec"),
    ("get_ipython().run_line_magic('time', 'x = 1')", "dynamic:get_ipython"),
    ("import sys\nsys.modules['tinysr'] = None", "dynamic:sys.modules"),
    ("setattr(np.testing, 'assert_allclose', print)", "tampered:np"),
    ("vars()['abs'] = lambda x: 0.0", "tampered:vars"),
])
def test_tampering_and_dynamic_code_zero_every_task(code, flag):
    found = _findings("a4_psnr_y", {}, [("a4-07", code)])
    assert all(flag in flags for flags in found.values()), found


@pytest.mark.parametrize("code", [
    "x = 5\ny = [i for i in range(3)]",          # the next check that uses them sets its own
    "import numpy as np\nfrom pathlib import Path",
    "def helper(img):\n    img = img.copy()\n    img[0] = 0\n    return img",
    "import torch\nlayer = torch.nn.Conv2d(3, 3, 1)\ntorch.nn.init.zeros_(layer.weight)",
    "import gc\ngc.collect()",                                         # habits, not cheating
    "import inspect\nprint(inspect.getsource(psnr_y))",
    "class Box:\n    pass\nbox = Box()\nsetattr(box, 'size', 3)\nprint(vars(box))",
    "%timeit psnr_y(sr, hr, scale)\n!pip install numpy\npsnr_y?",
    "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.savefig('scratch.png')",    # not a task's code
    "import numpy as np\nfrom tinysr.metrics import calculate_psnr\nprint(calculate_psnr(sr, hr, 2))",
])
def test_ordinary_student_code_is_not_flagged(code):
    assert _findings("a4_psnr_y", {}, [("a4-07", code)]) == {"rgb_to_y": [], "psnr_y": []}


# -- assembly and identification ------------------------------------------------------------------------------
def test_checks_are_restored_by_id_whatever_the_student_did_to_them():
    nb = copy.deepcopy(NOTEBOOKS["a4_psnr_y"])
    spec = SPECS["a4_psnr_y"]
    hidden = [c.id for c in spec.cells if c.hidden]
    cells = {c.get("id"): c for c in nb.cells}
    cells["a4-08"].source = "# Check: fine\nassert True"                 # edited
    nb.cells.remove(cells["a4-09"])                                      # deleted
    for cid in hidden:
        nb.cells.remove(cells[cid])                                      # as in a handout
    nb.cells.remove(cells["a4-07"])
    nb.cells.append(cells["a4-07"])                                      # the solution moved to the end
    helper = nbformat.v4.new_code_cell("def helper():\n    return 1")
    helper["id"] = "mine"
    nb.cells.insert(nb.cells.index(cells["a4-03"]) + 1, helper)          # a cell of the student's
    steps, origins, notes = assemble(spec, nb)
    assert [s.cell_id for s in steps] == [c.id for c in spec.cells][:2] + ["mine"] + [c.id for c in spec.cells][2:]
    for step, origin in zip(steps, origins):
        if origin is not None and origin.role != "solution":
            assert step.source == origin.source and step.origin == "source"
    assert {o.id for o in origins if o is not None and o.hidden} == set(hidden) and len(hidden) == 2
    assert not notes
    del nb.cells[-1]
    assert assemble(spec, nb)[2] == ["solution cell a4-07 (task psnr_y) is missing from the submission"]


def test_submissions_are_identified_by_their_cells_else_by_metadata():
    nb = copy.deepcopy(NOTEBOOKS["a2_mixed_op_and_derive"])
    assert identify(nb, SPECS) == (SPECS["a2_mixed_op_and_derive"], "")
    del nb.metadata["tinysr"]
    assert identify(nb, SPECS) == (SPECS["a2_mixed_op_and_derive"], "by-cell-ids")
    for c in nb.cells:
        c["id"] = "x" + c["id"]
    assert identify(nb, SPECS) == (SPECS["a2_mixed_op_and_derive"], "by-content")
    nb.metadata["tinysr"] = {"assignment": "a2_mixed_op_and_derive"}
    for c in nb.cells:
        c.source = "# rewritten\n" + c.source
    assert identify(nb, SPECS) == (SPECS["a2_mixed_op_and_derive"], "")            # the cells say nothing
    del nb.metadata["tinysr"]
    spec, why = identify(nb, SPECS)
    assert spec is None and why.startswith("unidentified: it has no tinysr.assignment metadata"), why


# -- a grader that cannot be fooled, and is fair -----------------------------------------------------------------
def _cell_of(nb, cell_id: str):
    return next(c for c in nb.cells if c.get("id") == cell_id)


def _code_cell(source: str, cid: str | None = None):
    cell = nbformat.v4.new_code_cell(source)
    if cid is None:
        cell.pop("id", None)
    else:
        cell["id"] = cid
    return cell


RIGGED = '''class Rigged(float):
    """Equal to, within any tolerance of, and smaller than anything: a PSNR that computes nothing."""
    def __sub__(self, other):
        return Rigged(0.0)
    __rsub__ = __sub__
    def __abs__(self):
        return Rigged(0.0)
    def __eq__(self, other):
        return True
    def __lt__(self, other):
        return True
    __le__ = __lt__
    __hash__ = float.__hash__


def psnr_y(img, img2, crop_border):
    return Rigged(0.0)
'''


def test_a_rigged_float_is_refused_before_any_check_compares_it(run_here):
    """A psnr_y returning a float subclass whose -, == and < are rigged used to score 8/10 computing nothing."""
    nb = copy.deepcopy(NOTEBOOKS["a4_psnr_y"])
    _cell_of(nb, "a4-07").source = RIGGED
    tasks, result = _grade(run_here, "a4_psnr_y", nb)
    assert tasks["rgb_to_y"].points == 4 and tasks["psnr_y"].points == 0, {t: v.points for t, v in tasks.items()}
    assert "untrusted:Rigged" in tasks["psnr_y"].flags, tasks["psnr_y"].flags
    failed = {c.outcome.ename for c in tasks["psnr_y"].checks}
    assert failed == {"UntrustedValueError"}, failed
    assert "a type your notebook defines" in feedback_markdown(result)


def _without_ids(nb) -> str:
    """``nb`` as an older tool saves it: nbformat 4.4, no cell ids."""
    import json

    data = json.loads(nbformat.writes(nb))
    data["nbformat_minor"] = 4
    for cell in data["cells"]:
        cell.pop("id", None)
    return json.dumps(data)


def test_the_a4_solution_saved_without_cell_ids_scores_full_marks_without_flags(run_here, tmp_path):
    path = tmp_path / "old_tool.ipynb"
    path.write_text(_without_ids(NOTEBOOKS["a4_psnr_y"]))
    assert all("id" not in c for c in nbformat.read(str(path), as_version=4).cells)
    result = grade_submission(path, SPECS, runner=run_here, timeout=60)
    assert result.points == result.max_points == 10, [(t.task, t.points, t.flags) for t in result.tasks]
    assert not any(t.flags for t in result.tasks) and not result.notes, (result.notes, [t.flags for t in result.tasks])
    steps, origins, _ = assemble(SPECS["a4_psnr_y"], nbformat.read(str(path), as_version=4))
    student = [s.cell_id for s in steps if s.origin == "student"]
    assert student == ["a4-03", "a4-07"], student                 # the setup cell was matched, never scanned


def test_an_edited_setup_cell_without_ids_is_still_the_setup_cell():
    nb = nbformat.reads(_without_ids(NOTEBOOKS["a4_psnr_y"]), as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("photos = tinysr.builtin_photos", "# my note\nphotos = tinysr.builtin_photos")
    steps, _, _ = assemble(SPECS["a4_psnr_y"], nb)
    assert [s.cell_id for s in steps if s.origin == "student"] == ["a4-03", "a4-07"]
    assert scan_tasks(SPECS["a4_psnr_y"], steps) == {"rgb_to_y": [], "psnr_y": []}


def test_cells_win_over_metadata_that_names_another_assignment(run_here, tmp_path):
    nb = copy.deepcopy(NOTEBOOKS["a4_psnr_y"])
    nb.metadata["tinysr"]["assignment"] = "a1_candidate_operation"
    path = tmp_path / "renamed.ipynb"
    nbformat.write(nb, str(path))
    result = grade_submission(path, SPECS, runner=run_here, timeout=60)
    assert result.assignment == "a4_psnr_y" and result.points == 10, (result.assignment, result.points)
    assert all(t.flags == ["metadata-mismatch"] for t in result.tasks), [t.flags for t in result.tasks]
    assert "metadata names 'a1_candidate_operation'" in result.notes[0]


def test_pip_lines_and_timeit_are_ignored_and_the_solution_scores_full_marks(run_here):
    nb = copy.deepcopy(NOTEBOOKS["a4_psnr_y"])
    at = nb.cells.index(_cell_of(nb, "a4-01"))
    nb.cells.insert(at, _code_cell("!pip install numpy", "mine-pip"))
    _cell_of(nb, "a4-07").source += "\n\n%timeit psnr_y(*pairs['chelsea'], scale)\n"
    nb.cells.insert(nb.cells.index(_cell_of(nb, "a4-08")),
                    _code_cell("%time y_check = rgb_to_y(photos['chelsea'])\nprint(y_check.shape)", "mine-time"))
    tasks, result = _grade(run_here, "a4_psnr_y", nb)
    assert result.points == 10 and not any(t.flags for t in tasks.values()), [(t.task, t.flags) for t in tasks.values()]
    assert not result.student_errors, result.student_errors                # %time's statement still ran
    ignored = [n for n in result.notes if n.startswith("ignored")]
    assert len(ignored) == 3 and "`!pip install numpy` in cell mine-pip, line 1" in ignored[0], ignored


READER = '''from tinysr.commands.notebooks import course_dir
import json

source = json.load(open(course_dir() / "assignments" / "a4_psnr_y.ipynb"))
with open("teacher.py", "w") as f:
    f.write("import numpy as np\\n" + "\\n".join("".join(c["source"]) for c in source["cells"]
                                               if c.get("metadata", {}).get("tinysr", {}).get("role") == "solution"))
from teacher import rgb_to_y, psnr_y
'''


def test_reading_the_solutions_from_the_package_is_flagged_in_each_task():
    found = _findings("a4_psnr_y", {"a4-03": READER, "a4-07": "# see above"})
    assert {"file:open", "file:tinysr.commands.*", "file:.load", "module:teacher"} <= set(found["rgb_to_y"]), found
    assert found["psnr_y"] == ["module:teacher"], found            # its names come from the module written above
    helper = "def helper(x):\n    import pathlib\n    return pathlib.Path('x.npy').read_bytes()"
    found = _findings("a4_psnr_y", {"a4-07": PSNR_CELL.replace("fast(", "helper(")}, [("a4-03", helper)])
    assert "file:.read_bytes" in found["psnr_y"] and found["rgb_to_y"] == [], found


def test_a_written_answer_is_collected_as_needs_review(run_here):
    """a3's Task 4 is a written answer: the handout's answer cell, filled in by the student, lands in
    grades.csv with empty points and needs_review, and its text in the feedback file."""
    spec = SPECS["a3_first_order_architect"]
    answer = spec.answers["adam_first_step"]
    nb = copy.deepcopy(NOTEBOOKS["a3_first_order_architect"])
    handed_out = strip_solutions(NOTEBOOKS["a3_first_order_architect"])
    cell = _cell_of(nb, answer.cell_id)
    cell.source = _cell_of(handed_out, answer.cell_id).source.replace(ANSWER_STUB, "Adam divides by |g|: the sign only.")
    _, result = _grade(run_here, "a3_first_order_architect", nb)
    assert result.points == 10, [(t.task, t.points) for t in result.tasks]
    rows = [line.split(",") for line in grades_csv([result]).splitlines()]
    assert [r[2:] for r in rows if r[2] == "adam_first_step"] == [["adam_first_step", "", "2", "needs_review"]], rows
    text = feedback_markdown(result)
    assert "## Written answer `adam_first_step`: graded by hand (2 points)" in text and "the sign only" in text
    cell.source = _cell_of(handed_out, answer.cell_id).source                   # left as handed out
    _, blank = _grade(run_here, "a3_first_order_architect", nb)
    assert blank.answers[0].flags == ["needs_review", "no-answer"], blank.answers


@pytest.mark.parametrize("why, flag", [("the kernel died before it", "kernel-died"),
                                       ("the time limit was reached before it", "timeout")])
def test_checks_cut_short_say_why(why, flag):
    """A kernel that died (too often to be restarted) is not reported as the time limit, nor the reverse."""
    spec = SPECS["a4_psnr_y"]
    nb = NOTEBOOKS["a4_psnr_y"]

    def cut(sources, timeout):
        return [CellOutcome("ok")] + [CellOutcome("not run", evalue=why)] * (len(sources) - 1)
    result = grade_notebook(spec, nb, runner=cut, timeout=60)
    assert all(t.points == 0 and flag in t.flags and len(t.flags) == 1 for t in result.tasks), result.tasks
