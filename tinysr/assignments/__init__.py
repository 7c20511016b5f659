"""Assignments in the nbgrader style: handouts built from solution notebooks, and a grader a teacher can trust.

- :mod:`.markers` the ``### BEGIN/END SOLUTION`` and ``### BEGIN/END HIDDEN TESTS`` regions, strictly checked
  (Unicode look-alikes included);
- :mod:`.spec` what a solution notebook declares (assignment id, tasks, points, checks, forbidden names,
  written answers);
- :mod:`.build` handouts: solutions stubbed, hidden tests removed, outputs cleared (also from ``setup.py``:
  a wheel carries handouts only);
- :mod:`.grade` grading: identify and match cells (:mod:`.match`), restore the checks, add the hidden ones,
  neutralise magics (:mod:`.neutral`), scan (:mod:`.scan`, :mod:`.access`, :mod:`.tamper`), guard the values
  the checks see (:mod:`.guard`), run in a fresh sandboxed kernel (:mod:`.sandbox`, :mod:`.kernel`), score;
  :mod:`.feedback` writes ``grades.csv`` and the feedback files.

CLI: ``python -m tinysr.assignments build|grade`` (see :mod:`tinysr.assignments.__main__` and
``notebooks/assignments/README.md``).
"""
from __future__ import annotations

from .build import (
    DEFAULT_OUT,
    DEFAULT_SRC,
    build,
    count_solutions,
    handout,
    handout_json,
    is_handout,
    solution_notebooks,
    solution_source,
    strip_solutions,
)
from .feedback import CSV_COLUMNS, feedback_markdown, grades_csv, write_outputs
from .grade import (
    AnswerResult,
    CheckResult,
    SubmissionResult,
    TaskResult,
    assemble,
    grade_notebook,
    grade_submission,
    identify,
    load_specs,
    scan_tasks,
    score,
)
from .guard import UntrustedValueError
from .kernel import CellOutcome, run_in_kernel
from .markers import ANSWER_STUB, BEGIN, END, HIDDEN_BEGIN, HIDDEN_END, STUB, SolutionMarkerError
from .neutral import neutralise
from .sandbox import Sandbox
from .scan import Finding
from .spec import AssignmentSpec, AssignmentSpecError, read_spec

__all__ = ["BEGIN", "END", "HIDDEN_BEGIN", "HIDDEN_END", "STUB", "ANSWER_STUB", "SolutionMarkerError",
           "AssignmentSpecError", "AssignmentSpec", "read_spec", "strip_solutions", "count_solutions", "is_handout",
           "handout", "handout_json", "build", "solution_notebooks", "solution_source", "DEFAULT_SRC",
           "DEFAULT_OUT", "CellOutcome", "run_in_kernel", "Sandbox", "Finding", "neutralise",
           "UntrustedValueError", "CheckResult", "TaskResult", "AnswerResult", "SubmissionResult", "load_specs",
           "identify", "assemble", "scan_tasks", "score", "grade_notebook", "grade_submission", "CSV_COLUMNS",
           "grades_csv", "feedback_markdown", "write_outputs", "main"]


def main(argv=None) -> int:
    """``python -m tinysr.assignments``; see :mod:`tinysr.assignments.__main__`."""
    from .__main__ import main as _main

    return _main(argv)
