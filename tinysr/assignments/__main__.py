"""``python -m tinysr.assignments build|grade``: make handouts, grade submissions.

::

    python -m tinysr.assignments build [--source DIR] [--out build/assignments]
    python -m tinysr.assignments grade SUBMISSION.ipynb|DIR... --out grades.csv [--feedback DIR]
                                       [--timeout S] [--cell-timeout S] [--source DIR] [--force] [--json]

The solution notebooks are read from ``--source`` (``--src`` is the same), by default the repository's
``notebooks/assignments`` (:func:`tinysr.assignments.build.solution_source`): a pip-installed tinysr carries
handouts only, so a teacher grades from a checkout or from a copy of the solutions kept elsewhere.
``grade`` runs every submission in a sandboxed kernel (:mod:`tinysr.assignments.sandbox`) that cannot read
or write the solution folder, the source tree or the submissions' folders.

Results go to stdout (``--json``: one JSON object), progress to stderr; an error is one line on stderr and
exit status 2 (a traceback only with ``TINYSR_DEBUG=1``). ``grade`` also exits 2, after writing its
outputs, when a submission could not be identified or read (its row says why).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ..utils import check_writable, os_error_message
from .build import DEFAULT_OUT, DEFAULT_SRC, build, solution_notebooks, solution_source
from .feedback import planned_paths, refuse_existing, write_outputs
from .grade import DEFAULT_TIMEOUT, grade_submission, load_specs
from .markers import STUB
from .sandbox import Sandbox

__all__ = ["main", "parser", "find_submissions"]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tinysr.assignments",
                                description="Make handouts of the assignment notebooks, and grade submissions.")
    sub = p.add_subparsers(dest="command", required=True)
    source_help = (f"folder of solution notebooks (default: the repository's {DEFAULT_SRC}, beside this tinysr "
                   "or in the current folder)")
    b = sub.add_parser("build", help="write handouts (solutions stripped, hidden tests removed, outputs cleared)")
    b.add_argument("--source", "--src", dest="source", help=source_help)
    b.add_argument("--out", default=str(DEFAULT_OUT),
                   help=f"folder for the handouts (default: {DEFAULT_OUT}; keep it outside notebooks/, which "
                        "`make test` executes)")
    g = sub.add_parser("grade", help="grade submitted notebooks: grades.csv and optional feedback files")
    g.add_argument("submissions", nargs="+", help="submitted .ipynb files, or folders searched for them")
    g.add_argument("--out", required=True, help="the CSV to write (submission, assignment, task, points, "
                                                "max_points, flags)")
    g.add_argument("--feedback", help="folder for one markdown feedback file per submission")
    g.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help=f"seconds each submission may run, in its own fresh kernel (default: {DEFAULT_TIMEOUT:g})")
    g.add_argument("--cell-timeout", type=float, default=None,
                   help="seconds one cell may run before its kernel is replaced and the rest goes on "
                        "(default: a quarter of --timeout, at least 120)")
    g.add_argument("--source", "--src", dest="source", help=source_help)
    g.add_argument("--force", action="store_true", help="replace existing output files")
    g.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return p


def find_submissions(items: Sequence[str]) -> list[Path]:
    """Files as given, folders expanded to their ``*.ipynb`` (recursively, checkpoints skipped)."""
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"submission {item} does not exist; give .ipynb files or folders of them")
    if not found:
        raise FileNotFoundError(f"no .ipynb submission in {', '.join(items)}")
    return list(dict.fromkeys(found))


def _build(args) -> int:
    written = build(solution_source(args.source), args.out)
    for path in written:
        import nbformat

        cells = nbformat.read(str(path), as_version=4).cells
        stubs = sum(line.strip() == STUB for c in cells for line in c.source.splitlines())
        print(f"wrote {path} ({stubs} solution region{'s' if stubs != 1 else ''} stripped)")
    print(f"{len(written)} handout{'s' if len(written) != 1 else ''} in {args.out}")
    return 0


def _grade(args) -> int:
    if not args.timeout > 0:
        raise ValueError(f"--timeout {args.timeout:g}: give the seconds each submission may run, > 0")
    if args.cell_timeout is not None and not args.cell_timeout > 0:
        raise ValueError(f"--cell-timeout {args.cell_timeout:g}: give the seconds one cell may run, > 0")
    source = solution_source(args.source)
    specs = load_specs(solution_notebooks(source))
    submissions = find_submissions(args.submissions)
    if not args.force:
        refuse_existing(planned_paths(submissions, args.out, args.feedback))
    for folder in [Path(args.out).resolve().parent] + ([Path(args.feedback)] if args.feedback else []):
        check_writable(folder)                  # before grading, not after: no grade is lost to a bad --out
    results = []
    with Sandbox(protect=[source, *{p.resolve().parent for p in submissions}]) as box:
        runner = box.runner(args.cell_timeout)
        for i, path in enumerate(submissions, start=1):
            start = time.monotonic()
            print(f"[{i}/{len(submissions)}] grading {path} ...", file=sys.stderr, flush=True)
            r = grade_submission(path, specs, timeout=args.timeout, runner=runner)
            results.append(r)
            said = r.error or f"{r.assignment}: {r.points:g}/{r.max_points:g}"
            print(f"[{i}/{len(submissions)}] {path}: {said} ({time.monotonic() - start:.0f} s)", file=sys.stderr)
    written = write_outputs(results, args.out, args.feedback, force=args.force)
    if args.json:
        print(json.dumps({"csv": str(written[0]), "feedback": [str(p) for p in written[1:]], "submissions": [
            {"submission": str(r.path), "assignment": r.assignment, "points": r.points, "max_points": r.max_points,
             "error": r.error, "tasks": [{"task": t.task, "points": t.points, "max_points": t.max_points,
                                          "flags": t.flags} for t in r.tasks],
             "answers": [{"task": a.task, "max_points": a.max_points, "text": a.text, "flags": a.flags}
                         for a in r.answers]} for r in results]}))
    else:
        for r in results:
            flags = sorted({f for t in [*r.tasks, *r.answers] for f in t.flags})
            print(f"{r.path}\t{r.assignment or '?'}\t{r.error or f'{r.points:g}/{r.max_points:g}'}"
                  + (f"\t{';'.join(flags)}" if flags else ""))
        print(f"wrote {written[0]}" + (f" and {len(written) - 1} feedback files in {args.feedback}"
                                         if args.feedback else ""))
    failed = [r for r in results if r.error]
    if failed:
        print(f"error: {len(failed)} submission(s) could not be graded, e.g. {failed[0].path}: {failed[0].error}",
              file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m tinysr.assignments``; returns the exit status."""
    args = parser().parse_args(argv)
    try:
        return _build(args) if args.command == "build" else _grade(args)
    except (FileNotFoundError, FileExistsError, ValueError) as exc:
        if os.environ.get("TINYSR_DEBUG") == "1":
            raise
        print(f"error: {' '.join(str(exc).splitlines())}", file=sys.stderr)    # one line; spaces kept as said
        return 2
    except OSError as exc:
        if os.environ.get("TINYSR_DEBUG") == "1":
            raise
        fix = "choose a folder you can write with --out" + (" / --feedback" if args.command == "grade" else "")
        print(f"error: {os_error_message(exc, fix)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
