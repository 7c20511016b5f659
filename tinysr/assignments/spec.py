"""What a solution notebook declares for grading, read from its metadata and validated once.

Notebook metadata (kept in the handout, so the grader knows which assignment a submission is)::

    "tinysr": {"assignment": "a4_psnr_y", "forbid": ["tinysr.metrics.*", "calculate_psnr"]}

Cell metadata (``cell.metadata["tinysr"]``):

- the **solution** cell of a task (exactly one per task, with at least one ``### BEGIN SOLUTION`` region):
  ``{"role": "solution", "task": "psnr_y", "points": 6, "forbid": ["rgb2ycbcr"]}``;
- each **check** cell of the task, after its solution cell, first line ``# Check: what it tests``:
  ``{"role": "check", "task": "psnr_y"}``; a check wholly inside ``### BEGIN/END HIDDEN TESTS`` is hidden
  (the handout does not have it; the grader adds it back).

- a **written answer** (graded by hand, like nbgrader's manually graded answers): a *markdown* cell with
  ``{"role": "answer", "task": "adam_first_step", "points": 2}`` holding one ``### BEGIN SOLUTION`` region
  (the model answer; the handout gets :data:`~tinysr.assignments.markers.ANSWER_STUB`). The grader collects
  what the student wrote there into ``grades.csv`` (points empty, flag ``needs_review``) and the feedback.

Every other code cell is *setup* (imports, data, a driver that calls the student's functions): restored
from the source when grading, like the checks. ``forbid`` lists names a task's code must not use (see
:mod:`tinysr.assignments.scan` for the forms); the notebook-level list applies to every task.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .markers import SolutionMarkerError, cell_label, find_regions, has_code, strip_source

__all__ = ["AssignmentSpecError", "Task", "Answer", "SourceCell", "AssignmentSpec", "read_spec", "top_level_names"]

ROLES = ("solution", "check", "answer")


class AssignmentSpecError(SolutionMarkerError):
    """The grading metadata of a solution notebook is missing or inconsistent."""


@dataclass(frozen=True)
class SourceCell:
    """One code cell of the source: ``role`` in {"setup", "solution", "check"}; ``hidden`` for a check the
    handout does not have; ``title`` the check's first line without ``# Check:``; ``handout`` the cell as
    the handout has it (solutions stubbed, hidden tests removed): what a submission's cell is matched
    against when it has no id."""

    index: int
    id: str
    role: str
    task: str | None
    source: str
    hidden: bool = False
    title: str = ""
    handout: str = ""


@dataclass
class Task:
    """A graded task: its points, forbidden names, solution cell and check cells (in notebook order), and
    the top-level names its solution cell defines (what the student's code must provide)."""

    name: str
    points: float
    forbid: tuple[str, ...]
    solution_id: str
    check_ids: list[str] = field(default_factory=list)
    defines: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Answer:
    """A written answer graded by hand: the markdown cell ``cell_id`` (``index`` among all cells), its
    points, and its text in the handout (``handout``, the model answer stubbed)."""

    name: str
    points: float
    cell_id: str
    index: int
    handout: str


@dataclass
class AssignmentSpec:
    """A validated solution notebook: ``cells`` are its code cells in order, ``tasks`` by name in order,
    ``answers`` its written answers by name in order."""

    name: str
    assignment: str
    forbid: tuple[str, ...]
    cells: list[SourceCell]
    tasks: dict[str, Task]
    answers: dict[str, Answer] = field(default_factory=dict)

    @property
    def max_points(self) -> float:
        """The auto-graded points (written answers are counted apart, in :attr:`review_points`)."""
        return sum(t.points for t in self.tasks.values())

    @property
    def review_points(self) -> float:
        return sum(a.points for a in self.answers.values())

    def cell(self, cell_id: str) -> SourceCell:
        return next(c for c in self.cells if c.id == cell_id)


def top_level_names(source: str | ast.Module | None) -> frozenset[str]:
    """Names a cell (source text or parsed module) binds at module level (defs, classes, assignments,
    imports); empty if it does not parse."""
    try:
        tree = ast.parse(source) if isinstance(source, str) else source
    except SyntaxError:
        return frozenset()
    if tree is None:
        return frozenset()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        else:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.add(sub.id)
    return frozenset(names)


def _strings(value, what: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise AssignmentSpecError(f"{where}: {what} must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def _cell_meta(cell, where: str) -> dict | None:
    meta = cell.get("metadata", {}).get("tinysr")
    if meta is None:
        return None
    if not isinstance(meta, dict) or meta.get("role") not in ROLES or not isinstance(meta.get("task"), str):
        raise AssignmentSpecError(f"{where}: metadata 'tinysr' must be {{\"role\": one of {ROLES}, \"task\": "
                                  f"\"name\", ...}}, got {meta!r}")
    return meta


def read_spec(nb, name: str = "notebook") -> AssignmentSpec:
    """Read and validate the grading metadata of solution notebook ``nb`` (nbformat v4). Raises
    :class:`AssignmentSpecError` (or :class:`SolutionMarkerError` for a bad marker) naming notebook and cell."""
    meta = nb.metadata.get("tinysr")
    if not isinstance(meta, dict) or not isinstance(meta.get("assignment"), str) or not meta["assignment"]:
        raise AssignmentSpecError(f"{name}: notebook metadata needs \"tinysr\": {{\"assignment\": \"<id>\"}} "
                                  f"(it identifies submissions), got {meta!r}")
    spec = AssignmentSpec(name, meta["assignment"], _strings(meta.get("forbid"), "tinysr.forbid", name), [], {})
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        where = cell_label(name, index, cell)
        cid = cell.get("id")
        if not cid or cid in seen:
            raise AssignmentSpecError(f"{where}: every cell needs a unique id (nbformat >= 4.5; the grader matches "
                                      f"cells by id); {'duplicate ' + repr(cid) if cid else 'missing'}")
        seen.add(cid)
        cm = _cell_meta(cell, where)
        if cell.cell_type != "code":
            if cm and cm["role"] == "answer" and cell.cell_type == "markdown":
                _add_answer(spec, cm, index, cell, where)
            else:
                find_regions(cell.source, cell.cell_type, where)
            continue
        regions = find_regions(cell.source, cell.cell_type, where)
        role = cm["role"] if cm else "setup"
        if role == "answer":
            raise AssignmentSpecError(f"{where}: role 'answer' belongs on a markdown cell (a written answer), "
                                      "not on a code cell")
        kinds = {kind for kind, _, _ in regions}
        if ("solution" in kinds) != (role == "solution"):
            raise AssignmentSpecError(f"{where}: a solution region belongs in a cell with metadata role "
                                      "'solution', and a solution cell needs one; role here: " + repr(role))
        if "hidden" in kinds and role != "check":
            raise AssignmentSpecError(f"{where}: hidden tests belong in check cells (role 'check'), not {role!r}")
        task = cm["task"] if cm else None
        if role == "solution":
            _add_task(spec, cm, cid, cell.source, where)
        title, hidden = "", False
        if role == "check":
            first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
            if not first.startswith("# Check"):
                raise AssignmentSpecError(f"{where}: a check cell starts with '# Check: <what it tests>' "
                                          f"(shown to students and in feedback), got {first!r}")
            if task not in spec.tasks:
                raise AssignmentSpecError(f"{where}: check of task {task!r} comes before that task's solution "
                                          f"cell (tasks so far: {', '.join(spec.tasks) or 'none'})")
            title = first.split(":", 1)[1].strip() if ":" in first else first.lstrip("# ")
            hidden = not has_code(strip_source(cell.source, "code", where)[0])
            spec.tasks[task].check_ids.append(cid)
        spec.cells.append(SourceCell(index, cid, role, task, cell.source, hidden, title,
                                     strip_source(cell.source, "code", where)[0]))
    if not spec.tasks:
        raise SolutionMarkerError(f"{name}: no solution cell (metadata role 'solution' with a "
                                  "'### BEGIN SOLUTION' region), so there is nothing to hand out or grade")
    for answer in spec.answers:
        if answer in spec.tasks:
            raise AssignmentSpecError(f"{name}: {answer!r} names both a task and a written answer; rename one")
    for task in spec.tasks.values():
        if not task.check_ids:
            raise AssignmentSpecError(f"{name}: task {task.name!r} has no check cell (role 'check'), so it "
                                      "could never earn or lose points")
    return spec


def _points(cm: dict, where: str) -> float:
    points = cm.get("points")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
        raise AssignmentSpecError(f"{where}: task {cm['task']!r} needs \"points\": a number > 0, got {points!r}")
    return float(points)


def _add_answer(spec: AssignmentSpec, cm: dict, index: int, cell, where: str) -> None:
    name = cm["task"]
    if name in spec.answers:
        raise AssignmentSpecError(f"{where}: written answer {name!r} already has its cell "
                                  f"{spec.answers[name].cell_id}; one answer cell per name")
    handout, counts = strip_source(cell.source, "markdown", where, answer=True)
    if counts["solution"] != 1:
        raise AssignmentSpecError(f"{where}: a written-answer cell holds exactly one '### BEGIN SOLUTION' region "
                                  f"(the model answer), found {counts['solution']}")
    spec.answers[name] = Answer(name, _points(cm, where), cell["id"], index, handout)


def _add_task(spec: AssignmentSpec, cm: dict, cid: str, source: str, where: str) -> None:
    task = cm["task"]
    if task in spec.tasks:
        raise AssignmentSpecError(f"{where}: task {task!r} already has its solution cell "
                                  f"{spec.tasks[task].solution_id}; one solution cell per task")
    points = _points(cm, where)
    defines = top_level_names(source)
    if not defines:
        raise AssignmentSpecError(f"{where}: the solution cell of task {task!r} defines no top-level name "
                                  "(a function or class the checks call); the grader finds the student's "
                                  "code by these names")
    spec.tasks[task] = Task(task, points, _strings(cm.get("forbid"), "forbid", where), cid,
                            defines=defines)
