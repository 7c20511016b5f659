"""Grade submitted notebooks against their solution notebooks: points per task, flags, what failed and why.

For each submission the grader

1. **identifies** its assignment by its cells (ids, else content) and its metadata ``tinysr.assignment``
   (:mod:`.match`; the cells win when they disagree, flagged ``metadata-mismatch``);
2. **assembles** the notebook to run, in the source's order: every setup and check cell *from the source*,
   whatever the student did to it (edited, deleted, moved), hidden checks included; the student's version
   of each solution cell, placed where the source has it; the cells the student added, after the source
   cell they followed; IPython magics and shell lines made inert (:mod:`.neutral`, noted, never penalised);
   and before each check, the grader's guard (:mod:`.guard`): values of the student's own types never
   reach a comparison (flagged ``untrusted:<type>``, the check fails);
3. **scans** the student's code (:mod:`.scan`, :mod:`.access`, :mod:`.tamper`). A task's code is the
   statements defining its names and, transitively, the statements defining the names those use: in it,
   a forbidden name, file access or an import of a module written at run time scores that task 0, naming
   the line. Dynamic code or tampering anywhere zeroes every task, since then no check can be trusted;
4. **runs** it in a fresh kernel in a sandbox (:mod:`.sandbox`, :func:`.kernel.run_in_kernel`; any
   :data:`Runner` works): a refused access to the teacher's folders zeroes every task (``sandbox``), and a
   cell that kills the kernel or overruns its time costs its own checks only;
5. **scores** each task: ``points * passed checks / checks`` (rounded to 0.01), 0 when flagged; written
   answers are collected for the teacher (points empty, ``needs_review``).
"""
from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .access import file_uses, runtime_imports
from .kernel import CellOutcome, Runner
from .match import AnswerResult, collect_answers, identify, match_cells
from .neutral import neutralise
from .scan import Finding, dynamic_uses, forbidden_uses, import_aliases, name_loads, parse_cell
from .spec import AssignmentSpec, AssignmentSpecError, SourceCell, read_spec, top_level_names
from .tamper import Step, tampering

__all__ = ["CheckResult", "TaskResult", "AnswerResult", "SubmissionResult", "load_specs", "identify", "assemble",
           "scan_tasks", "score", "grade_notebook", "grade_submission", "DEFAULT_TIMEOUT", "ZEROING"]

DEFAULT_TIMEOUT = 600.0
ZEROING = frozenset({"forbidden", "file", "module", "dynamic", "tampered", "sandbox"})   # "untrusted" only flags
_GUARD = "__tinysr_guard__"


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
    answers: list[AnswerResult] = field(default_factory=list)

    @property
    def points(self) -> float:
        return round(sum(t.points for t in self.tasks), 2)

    @property
    def max_points(self) -> float:
        return round(sum(t.max_points for t in self.tasks), 2)


def load_specs(paths: Iterable[str | Path]) -> dict[str, AssignmentSpec]:
    """The validated spec of each solution notebook, by assignment id (duplicate ids are an error)."""
    import nbformat

    from .build import is_handout

    specs: dict[str, AssignmentSpec] = {}
    for path in paths:
        path = Path(path)
        nb = nbformat.read(str(path), as_version=4)
        if is_handout(nb, path.name):
            raise AssignmentSpecError(f"{path} is a handout, not a solution notebook (its solution cells hold the "
                                      "stub); grade against the solutions: pass --source DIR with them")
        spec = read_spec(nb, path.name)
        if spec.assignment in specs:
            raise AssignmentSpecError(f"{path.name} and {specs[spec.assignment].name} both declare assignment "
                                      f"{spec.assignment!r}; each solution notebook needs its own id")
        specs[spec.assignment] = spec
    return specs


def assemble(spec: AssignmentSpec, nb, guards: bool = False) -> tuple[list[Step], list[SourceCell | None], list[str]]:
    """The cells to run for submission ``nb``: steps in run order, the source cell each one is (None for
    a cell the student added or the grader's), and notes (a missing solution cell, ignored magics).
    ``guards``: add the grader's return-value guard before each check cell."""
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    solutions: dict[str, tuple[int, object]] = {}
    added: dict[str | None, list] = {}
    anchor = None
    for (i, cell), sc in zip(code, match_cells(spec, [c for _, c in code])):
        if sc is not None and sc.role == "solution":
            solutions[sc.id] = (i, cell)
        elif sc is None:
            added.setdefault(anchor, []).append((i, cell))
        if sc is not None:
            anchor = sc.id
    steps: list[Step] = []
    origins: list[SourceCell | None] = []
    notes: list[str] = []
    names = tuple(sorted(set().union(*(t.defines for t in spec.tasks.values()))))

    def add(step: Step, origin: SourceCell | None = None) -> None:
        steps.append(step)
        origins.append(origin)

    def student(index: int, cell, sc: SourceCell | None = None) -> None:
        cid = sc.id if sc else cell.get("id") or f"#{index} (no id)"
        code_, ignored = neutralise(cell.source)
        notes.extend(f"ignored (not run, not penalised): `{text}` in cell {cid}, line {line}" for line, text in ignored)
        add(Step(cid, "student", code_, parse_cell(code_)), sc)

    if guards:
        add(_grader(f"from tinysr.assignments.guard import guard as {_GUARD}"))
    for index, cell in added.get(None, []):
        student(index, cell)
    for sc in spec.cells:
        if sc.role == "solution":
            if sc.id in solutions:
                student(*solutions[sc.id], sc)
            else:
                notes.append(f"solution cell {sc.id} (task {sc.task}) is missing from the submission")
        else:
            if guards and sc.role == "check":
                add(_grader(f"{_GUARD}(globals(), {names!r})"))
            add(Step(sc.id, "source", sc.source, parse_cell(sc.source)), sc)
        for index, cell in added.get(sc.id, []):
            student(index, cell)
    return steps, origins, notes


def _grader(code: str) -> Step:
    return Step("grader", "grader", code, parse_cell(code))


def _statements(steps: list[Step]) -> list[tuple[Step, ast.stmt]]:
    return [(s, node) for s in steps if s.origin == "student" and s.tree is not None for node in s.tree.body]


def scan_tasks(spec: AssignmentSpec, steps: list[Step]) -> dict[str, list[Finding]]:
    """Findings per task: forbidden names in its code (the statements defining its names, followed through
    the names they use), file access and modules written at run time there and anywhere in its solution
    cell, plus dynamic code and tampering anywhere."""
    aliases = import_aliases(s.tree for s in steps if s.tree is not None)
    stmts = _statements(steps)
    defines = [top_level_names(ast.Module(body=[node], type_ignores=[])) for _, node in stmts]
    loads = [name_loads(node) for _, node in stmts]
    everywhere = [f for s in steps if s.origin == "student" and s.tree is not None
                  for f in dynamic_uses(s.cell_id, s.source, s.tree, aliases)]
    student_defined = frozenset().union(*(t.defines for t in spec.tasks.values()))
    everywhere += tampering(steps, student_defined)
    out: dict[str, list[Finding]] = {}
    for task in spec.tasks.values():
        todo = [i for i, names in enumerate(defines) if names & task.defines]
        closure = set(todo)
        while todo:                                   # the student statements this task's code reaches
            needed = loads[todo.pop()]
            for j, names in enumerate(defines):
                if j not in closure and names & needed:
                    closure.add(j)
                    todo.append(j)
        found: dict[tuple, Finding] = {}
        own = {j for j, (step, _) in enumerate(stmts) if step.cell_id == task.solution_id}
        for j in sorted(closure | own):
            step, node = stmts[j]
            forbidden = forbidden_uses(step.cell_id, step.source, node, task.forbid + spec.forbid, aliases) \
                if j in closure else []
            for f in forbidden + file_uses(step.cell_id, step.source, node, aliases) \
                    + runtime_imports(step.cell_id, step.source, node):
                found.setdefault((f.kind, f.name, f.cell_id, f.line), f)
        out[task.name] = list(found.values()) + everywhere
    return out


def _run_findings(steps: list[Step], origins: list, outcomes: list[CellOutcome]) -> tuple[list, dict]:
    """Findings from the run: sandbox refusals (every task) and untrusted values (the check's task)."""
    blocked = [Finding("sandbox", line.split("\t")[0], step.cell_id, 0, line.replace("\t", " "))
               for step, out in zip(steps, outcomes) for line in out.blocked]
    untrusted: dict[str, list[Finding]] = {}
    for sc, out in zip(origins, outcomes):
        if sc is not None and sc.role == "check" and out.ename == "UntrustedValueError":
            kind = re.search(r"is an? ([\w.]+)", out.evalue)
            name = kind.group(1).rsplit(".", 1)[-1] if kind else "?"
            untrusted.setdefault(sc.task, []).append(Finding("untrusted", name, sc.id, 0, out.evalue[:200]))
    return blocked, untrusted


def score(spec: AssignmentSpec, origins: list[SourceCell | None], outcomes: list[CellOutcome],
          findings: dict[str, list[Finding]]) -> list[TaskResult]:
    """Per-task points from the check outcomes (see the module docstring)."""
    results = []
    for task in spec.tasks.values():
        checks = [CheckResult(sc.id, sc.title, sc.hidden, out) for sc, out in zip(origins, outcomes)
                  if sc is not None and sc.role == "check" and sc.task == task.name]
        passed = sum(c.outcome.ok for c in checks)
        found = findings.get(task.name, [])
        zeroed = any(f.kind in ZEROING for f in found)
        points = 0.0 if zeroed or not checks else round(task.points * passed / len(checks), 2)
        flags = sorted({f"{f.kind}:{f.name}" for f in found})
        flags += sorted({c.outcome.cut_by.replace(" ", "-") for c in checks} - {""})   # "timeout", "kernel-died"
        results.append(TaskResult(task.name, points, task.points, checks, found, flags))
    return results


def grade_notebook(spec: AssignmentSpec, nb, *, runner: Runner | None = None, timeout: float = DEFAULT_TIMEOUT,
                   path: str | Path = "submission.ipynb", note: str = "") -> SubmissionResult:
    """Grade one submission already read (``nb``) against ``spec``; ``runner`` runs the assembled cells
    (default: a fresh kernel in a :class:`~tinysr.assignments.sandbox.Sandbox`)."""
    steps, origins, notes = assemble(spec, nb, guards=True)
    findings = scan_tasks(spec, steps)
    if runner is None:
        from .sandbox import Sandbox

        with Sandbox(protect=[Path(path).resolve().parent]) as box:
            outcomes = box.runner()([s.source for s in steps], timeout)
    else:
        outcomes = runner([s.source for s in steps], timeout)
    blocked, untrusted = _run_findings(steps, origins, outcomes)
    for task in spec.tasks:
        findings[task] = findings.get(task, []) + untrusted.get(task, []) + blocked
    tasks = score(spec, origins, outcomes, findings)
    answers = collect_answers(spec, nb)
    if note:
        declared = (nb.metadata.get("tinysr") or {}).get("assignment") if isinstance(nb.metadata.get("tinysr"), dict) \
            else None
        notes.insert(0, f"graded as {spec.assignment} because its cells are that assignment's; its metadata names "
                        f"{declared!r}" if note == "metadata-mismatch" else
                        f"assignment identified {note.replace('-', ' ')}: the notebook metadata was missing or changed")
        for item in [*tasks, *answers]:
            item.flags.append(note)
    for step, out in zip(steps, outcomes):
        if out.status == "timeout":
            notes.append(f"the time limit was reached in cell {step.cell_id}; its checks failed")
    errors = [(s.cell_id, o) for s, o in zip(steps, outcomes) if s.origin == "student" and o.status == "error"]
    return SubmissionResult(Path(path), spec.assignment, tasks, notes, errors, answers=answers)


def grade_submission(path: str | Path, specs: dict[str, AssignmentSpec], *, runner: Runner | None = None,
                     timeout: float = DEFAULT_TIMEOUT) -> SubmissionResult:
    """Read, identify and grade one submission file; problems reading it become ``SubmissionResult.error``."""
    import nbformat

    path = Path(path)
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # any unreadable file is reported, not raised
        return SubmissionResult(path, error=f"unreadable: {type(exc).__name__}: {exc}".splitlines()[0][:300])
    spec, note = identify(nb, specs)
    if spec is None:
        return SubmissionResult(path, error=note)
    return grade_notebook(spec, nb, runner=runner, timeout=timeout, path=path, note=note)
