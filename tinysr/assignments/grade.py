"""Grade submitted notebooks against their solution notebooks: points per task, flags, what failed and why.

For each submission the grader

1. **identifies** its assignment from the notebook metadata ``tinysr.assignment`` that the source and the
   handout carry (if a student's editor lost it: the source sharing most cell ids, noted as ``by-cell-ids``);
2. **assembles** the notebook to run, in the source's order: every setup and check cell *from the source*,
   by cell id, whatever the student did to it (edited, deleted, moved), hidden checks included; the
   student's version of each solution cell (found by id, placed where the source has it); and the cells
   the student added, after the source cell they followed;
3. **scans** the student's cells (:mod:`.scan`, :mod:`.tamper`): a task whose code (its solution cell and
   the student cells defining names it uses, transitively) uses a forbidden name is flagged and scored 0;
   dynamic code or tampering anywhere zeroes every task, since then no check can be trusted;
4. **runs** it in a fresh kernel with a time limit (:func:`.kernel.run_in_kernel`; any :data:`Runner` works);
5. **scores** each task: ``points * passed checks / checks`` (rounded to 0.01), 0 when flagged.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .kernel import CellOutcome, Runner, run_in_kernel
from .scan import Finding, dynamic_uses, forbidden_uses, import_aliases, name_loads, parse_cell
from .spec import AssignmentSpec, AssignmentSpecError, SourceCell, read_spec, top_level_names
from .tamper import Step, tampering

__all__ = ["CheckResult", "TaskResult", "SubmissionResult", "load_specs", "identify", "assemble",
           "scan_tasks", "score", "grade_notebook", "grade_submission", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 600.0


@dataclass(frozen=True)
class CheckResult:
    cell_id: str
    title: str
    hidden: bool
    outcome: CellOutcome


@dataclass
class TaskResult:
    """One task of one submission; ``flags`` are short tags for the CSV (``forbidden:calculate_psnr``)."""

    task: str
    points: float
    max_points: float
    checks: list[CheckResult]
    findings: list[Finding] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


@dataclass
class SubmissionResult:
    """The grade of one submission: ``error`` is set (and ``tasks`` empty) when it could not be graded."""

    path: Path
    assignment: str = ""
    tasks: list[TaskResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    student_errors: list[tuple[str, CellOutcome]] = field(default_factory=list)
    error: str = ""

    @property
    def points(self) -> float:
        return round(sum(t.points for t in self.tasks), 2)

    @property
    def max_points(self) -> float:
        return round(sum(t.max_points for t in self.tasks), 2)


def load_specs(paths: Iterable[str | Path]) -> dict[str, AssignmentSpec]:
    """The validated spec of each solution notebook, by assignment id (duplicate ids are an error)."""
    import nbformat

    specs: dict[str, AssignmentSpec] = {}
    for path in paths:
        path = Path(path)
        spec = read_spec(nbformat.read(str(path), as_version=4), path.name)
        if spec.assignment in specs:
            raise AssignmentSpecError(f"{path.name} and {specs[spec.assignment].name} both declare assignment "
                                      f"{spec.assignment!r}; each solution notebook needs its own id")
        specs[spec.assignment] = spec
    return specs


def identify(nb, specs: dict[str, AssignmentSpec]) -> tuple[AssignmentSpec | None, str]:
    """The spec of submission ``nb`` and a note: "" (from its metadata), ``"by-cell-ids"``, or why none."""
    meta = nb.metadata.get("tinysr")
    declared = meta.get("assignment") if isinstance(meta, dict) else None
    if declared in specs:
        return specs[declared], ""
    ids = {c.get("id") for c in nb.cells}
    overlap = {name: len(ids & {c.id for c in spec.cells}) / len(spec.cells) for name, spec in specs.items()}
    best = max(overlap, key=overlap.get, default=None)
    if best is not None and overlap[best] >= 0.5:
        return specs[best], "by-cell-ids"
    said = f"its metadata names {declared!r}" if declared else "it has no tinysr.assignment metadata"
    return None, (f"unidentified: {said}, and no source shares half its code cell ids; known assignments: "
                  f"{', '.join(specs) or 'none'}")


def assemble(spec: AssignmentSpec, nb) -> tuple[list[Step], list[SourceCell | None], list[str]]:
    """The cells to run for submission ``nb``: steps in run order, the source cell each one is (None for
    a cell the student added), and notes (a missing solution cell)."""
    known = {c.id: c for c in spec.cells}
    solutions: dict[str, object] = {}
    added: dict[str | None, list] = {}
    anchor = None
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cid = cell.get("id")
        source_cell = known.get(cid)
        if source_cell is not None and source_cell.role == "solution" and cid not in solutions:
            solutions[cid] = cell
        elif source_cell is None or source_cell.role == "solution":
            added.setdefault(anchor, []).append(cell)
        if source_cell is not None:
            anchor = cid
    steps: list[Step] = []
    origins: list[SourceCell | None] = []
    notes: list[str] = []

    def student(cell, source_cell=None) -> None:
        steps.append(Step(cell.get("id") or "(no id)", "student", cell.source, parse_cell(cell.source)))
        origins.append(source_cell)

    for cell in added.get(None, []):
        student(cell)
    for sc in spec.cells:
        if sc.role == "solution":
            if sc.id in solutions:
                student(solutions[sc.id], sc)
            else:
                notes.append(f"solution cell {sc.id} (task {sc.task}) is missing from the submission")
        else:
            steps.append(Step(sc.id, "source", sc.source, parse_cell(sc.source)))
            origins.append(sc)
        for cell in added.get(sc.id, []):
            student(cell)
    return steps, origins, notes


def scan_tasks(spec: AssignmentSpec, steps: list[Step]) -> dict[str, list[Finding]]:
    """Findings per task: its forbidden names in its own code, plus dynamic code and tampering anywhere."""
    aliases = import_aliases(s.tree for s in steps if s.tree is not None)
    mine = [s for s in steps if s.origin == "student" and s.tree is not None]
    defines = [top_level_names(s.tree) for s in mine]
    loads = [name_loads(s.tree) for s in mine]
    everywhere = [f for s in mine for f in dynamic_uses(s.cell_id, s.source, s.tree, aliases)]
    student_defined = frozenset().union(*(t.defines for t in spec.tasks.values()))
    everywhere += tampering(steps, student_defined)
    out: dict[str, list[Finding]] = {}
    for task in spec.tasks.values():
        todo = [i for i, names in enumerate(defines) if names & task.defines]
        closure = set(todo)
        while todo:                                   # the student cells this task's code reaches
            needed = loads[todo.pop()]
            for j, names in enumerate(defines):
                if j not in closure and names & needed:
                    closure.add(j)
                    todo.append(j)
        patterns = task.forbid + spec.forbid
        found = [f for j in sorted(closure) for f in forbidden_uses(mine[j].cell_id, mine[j].source,
                                                                      mine[j].tree, patterns, aliases)]
        out[task.name] = found + everywhere
    return out


def score(spec: AssignmentSpec, origins: list[SourceCell | None], outcomes: list[CellOutcome],
          findings: dict[str, list[Finding]]) -> list[TaskResult]:
    """Per-task points from the check outcomes (see the module docstring)."""
    results = []
    for task in spec.tasks.values():
        checks = [CheckResult(sc.id, sc.title, sc.hidden, out) for sc, out in zip(origins, outcomes)
                  if sc is not None and sc.role == "check" and sc.task == task.name]
        passed = sum(c.outcome.ok for c in checks)
        found = findings.get(task.name, [])
        points = 0.0 if found or not checks else round(task.points * passed / len(checks), 2)
        flags = sorted({f"{f.kind}:{f.name}" for f in found})
        if any(c.outcome.status in ("timeout", "not run") for c in checks):
            flags.append("timeout")
        results.append(TaskResult(task.name, points, task.points, checks, found, flags))
    return results


def grade_notebook(spec: AssignmentSpec, nb, *, runner: Runner = run_in_kernel,
                   timeout: float = DEFAULT_TIMEOUT, path: str | Path = "submission.ipynb",
                   note: str = "") -> SubmissionResult:
    """Grade one submission already read (``nb``) against ``spec``; ``runner`` runs the assembled cells."""
    steps, origins, notes = assemble(spec, nb)
    findings = scan_tasks(spec, steps)
    outcomes = runner([s.source for s in steps], timeout)
    tasks = score(spec, origins, outcomes, findings)
    if note:
        notes.insert(0, "assignment identified by cell ids: the notebook metadata was missing or changed")
        for t in tasks:
            t.flags.append(note)
    for step, out in zip(steps, outcomes):
        if out.status == "timeout":
            notes.append(f"the time limit of {timeout:g} s was reached in cell {step.cell_id}; later cells "
                         "did not run")
    errors = [(s.cell_id, o) for s, o in zip(steps, outcomes) if s.origin == "student" and o.status == "error"]
    return SubmissionResult(Path(path), spec.assignment, tasks, notes, errors)


def grade_submission(path: str | Path, specs: dict[str, AssignmentSpec], *, runner: Runner = run_in_kernel,
                     timeout: float = DEFAULT_TIMEOUT) -> SubmissionResult:
    """Read, identify and grade one submission file; problems reading it become ``SubmissionResult.error``."""
    import nbformat

    path = Path(path)
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:                     # noqa: BLE001 - any unreadable file is reported, not raised
        return SubmissionResult(path, error=f"unreadable: {type(exc).__name__}: {exc}".splitlines()[0][:300])
    spec, note = identify(nb, specs)
    if spec is None:
        return SubmissionResult(path, error=note)
    return grade_notebook(spec, nb, runner=runner, timeout=timeout, path=path, note=note)
