"""What the grader writes: ``grades.csv`` (one row per submission and task) and one markdown feedback file
per submission, saying what failed and why.

``grades.csv`` columns: ``submission, assignment, task, points, max_points, flags`` (``flags`` joined by
``;``, e.g. ``forbidden:calculate_psnr;timeout``). A written answer gets a row too, with ``points`` empty
and the flag ``needs_review`` (``no-answer`` when the student left it blank): the teacher fills it in after
reading the answer, which the feedback file quotes. A submission that could not be graded gets one row with
an empty task, 0 of 0 points and its reason in ``flags``. Hidden checks appear in the feedback by their
title and error type only, never by their code.
"""
from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from pathlib import Path

from .grade import SubmissionResult

__all__ = ["CSV_COLUMNS", "grades_csv", "feedback_markdown", "feedback_names", "planned_paths", "refuse_existing",
           "write_outputs"]

CSV_COLUMNS = ("submission", "assignment", "task", "points", "max_points", "flags")


def _num(x: float) -> str:
    return f"{x:g}"


def grades_csv(results: Iterable[SubmissionResult]) -> str:
    """The CSV text for ``results``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in results:
        if r.error:
            writer.writerow([str(r.path), r.assignment, "", 0, 0, r.error.split(":")[0]])
        for t in r.tasks:
            writer.writerow([str(r.path), r.assignment, t.task, _num(t.points), _num(t.max_points), ";".join(t.flags)])
        for a in r.answers:
            writer.writerow([str(r.path), r.assignment, a.task, "", _num(a.max_points), ";".join(a.flags)])
    return buf.getvalue()


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def feedback_markdown(r: SubmissionResult) -> str:
    """The feedback for one submission: total, then per task its checks (passed / failed with the error)
    and flags with the cell and line they point at, then errors raised by the student's own cells."""
    lines = [f"# Feedback: {r.path.name}", ""]
    if r.error:
        return "\n".join(lines + [f"This notebook could not be graded: {r.error}.", ""])
    review = sum(a.max_points for a in r.answers)
    by_hand = f" from the checks, and {_num(review)} more for written answers, graded by hand." if review else "."
    lines += [f"Assignment `{r.assignment}`: **{_num(r.points)} / {_num(r.max_points)} points**" + by_hand, ""]
    lines += [f"- Note: {n}." for n in r.notes] + ([""] if r.notes else [])
    lines += ["| task | points | max | flags |", "|---|---|---|---|"]
    lines += [f"| {t.task} | {_num(t.points)} | {_num(t.max_points)} | {', '.join(t.flags)} |" for t in r.tasks]
    for t in r.tasks:
        passed = sum(c.outcome.ok for c in t.checks)
        lines += ["", f"## Task `{t.task}`: {_num(t.points)} / {_num(t.max_points)} "
                      f"({passed} of {len(t.checks)} checks passed)", ""]
        for c in t.checks:
            kind = "hidden check" if c.hidden else f"check {c.cell_id}"
            if c.outcome.ok:
                lines.append(f"- passed: {kind}: {c.title}")
            else:
                why = c.outcome.ename if c.hidden and c.outcome.status == "error" else c.outcome.describe()
                lines.append(f"- **failed**: {kind}: {c.title} — {_one_line(why)}")
        for f in t.findings:
            where = f"cell {f.cell_id}, line {f.line}" if f.line else f"cell {f.cell_id}"
            lines.append(f"- **flagged** ({f.kind} `{f.name}`): {where}: `{_one_line(f.code, 120)}`")
        lines += [_WHY[kind] for kind in dict.fromkeys(f.kind for f in t.findings)]
    for a in r.answers:
        lines += ["", f"## Written answer `{a.task}`: graded by hand ({_num(a.max_points)} points)", ""]
        text = (a.text or "").strip()
        lines += ["> " + line for line in text.splitlines()] if text and "no-answer" not in a.flags else \
            ["- (no answer)" if a.text is None else "- (left blank)"]
    if r.student_errors:
        lines += ["", "## Errors raised by your cells", ""]
        lines += [f"- cell {cid}: {_one_line(out.describe())}" for cid, out in r.student_errors]
    return "\n".join(lines) + "\n"


_WHY = {
    "forbidden": "- This task is scored 0: its code uses the library function it asks you to write (or a name "
                 "the assignment forbids). Write it yourself; the checks compare your code with the library.",
    "file": "- This task is scored 0: its code reads, writes or lists files, or starts a process. No task needs "
            "a file: compute from the arguments.",
    "module": "- This task is scored 0: its code imports a module that did not exist before the notebook ran "
              "(one the notebook wrote, or a relative import). Put your code in the notebook's cells.",
    "untrusted": "- A check got a value of a type your notebook defines; the grader compares plain values only "
                 "(numbers, strings, numpy arrays, torch tensors, tuples, lists, dicts). Those checks failed.",
    "sandbox": "- Every task is scored 0: a cell tried to read or change the teacher's files (the solutions, "
               "the source tree, other submissions) or to start a process, which the grader refuses.",
    "dynamic": "- Every task is scored 0: the notebook uses dynamic code (exec/eval/imports by name/"
               "frame access/get_ipython) that the grader cannot check. Remove it and resubmit.",
    "tampered": "- Every task is scored 0: a cell of yours rebinds or modifies a name that the check cells "
                "use, so their result could not be trusted. Keep your code inside your functions.",
}


def feedback_names(paths: list[Path]) -> list[str]:
    """A distinct ``.md`` file name per submission: its path below the submissions' common folder, with
    ``/`` as ``__`` (``alice/a4.ipynb`` -> ``alice__a4.md``), so same-named notebooks do not collide."""
    resolved = [p.resolve() for p in paths]
    root = Path(os.path.commonpath([str(p.parent) for p in resolved])) if resolved else Path()
    names = ["__".join(p.relative_to(root).with_suffix(".md").parts) for p in resolved]
    return [n if names.count(n) == 1 else f"{i:03d}_{n}" for i, n in enumerate(names)]


def planned_paths(submissions: list[Path], out: str | Path, feedback: str | Path | None) -> list[Path]:
    """The CSV path, then one feedback path per submission (none without ``feedback``)."""
    names = feedback_names(submissions) if feedback is not None else []
    return [Path(out)] + [Path(feedback) / n for n in names]


def refuse_existing(paths: list[Path]) -> None:
    """``FileExistsError`` if any of ``paths`` exists: the grader never replaces a file without --force."""
    existing = [str(p) for p in paths if p.exists()]
    if existing:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise FileExistsError(f"{existing[0]} exists{more}; the grader does not overwrite files: pass --force, "
                              "or pick another --out/--feedback")


def write_outputs(results: list[SubmissionResult], out: str | Path, feedback: str | Path | None = None,
                  *, force: bool = False) -> list[Path]:
    """Write ``out`` (the CSV) and, with ``feedback``, one markdown file per submission there; return the
    paths written. Existing files are never replaced unless ``force`` (``FileExistsError``, checked before
    anything is written)."""
    paths = planned_paths([r.path for r in results], out, feedback)
    if not force:
        refuse_existing(paths)
    texts = [grades_csv(results)] + [feedback_markdown(r) for r in results]
    targets = list(zip(paths, texts))
    for path, text in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return [p for p, _ in targets]
