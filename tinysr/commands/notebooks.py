"""``tinysr notebooks DEST``: the course out of the installed package -- a pip user has no repository.

    tinysr notebooks DEST [--json]                    # chapters + assignment handouts + their README
    tinysr notebooks DEST --book [--preset NAME]      # every notebook executed, rendered to HTML + index.html

The course ships inside the package (``tinysr/_course/``, made from ``notebooks/`` when a wheel is built;
in a repository checkout or an editable install, ``notebooks/`` itself). A wheel carries the assignment
*handouts* only (``setup.py`` builds them; the solutions stay in the repository). Copying writes the
chapters (``DEST/00_setup_and_data.ipynb`` ...), the assignment handouts (``DEST/assignments/a1_....ipynb``:
from a checkout, solutions stubbed and hidden checks removed by :func:`tinysr.assignments.handout`; from a
wheel, the packaged handouts as they are) and the assignments' ``README.md``. ``--book`` executes every
chapter, and every assignment solution where there are solutions (a checkout; a wheel's handouts are
rendered as they are, unexecuted, since they fail by design), in a fresh kernel (in a scratch folder, with
``TINYSR_PRESET`` = ``--preset``) and writes each with its outputs as HTML (nbconvert), plus
``index.html``; a notebook that fails is rendered up to its error, listed as failed, and the command exits 2
after the others. Either way an existing file is never overwritten: if any target exists, nothing is
written and the error names it.
"""
from __future__ import annotations

import argparse
import html
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from ..utils import atomic_path
from ._common import print_json, shared

__all__ = ["add_parser", "run", "course_dir", "copy_course", "render_book"]

PACKAGED = Path(__file__).resolve().parents[1] / "_course"        # in a wheel (setup.py's build_py)
CHECKOUT = Path(__file__).resolve().parents[2] / "notebooks"      # a repository checkout / editable install


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("notebooks", help="copy the course notebooks (or render them as a book) to a folder",
                       description=__doc__.splitlines()[0],
                       parents=shared("json"))
    p.add_argument("dest", metavar="DEST", help="folder to write to (created; existing files are never replaced)")
    p.add_argument("--book", action="store_true", help="execute every notebook and write HTML with an index")
    p.add_argument("--preset", default=None, help="with --book: the preset the notebooks run at "
                                                  "(default: $TINYSR_PRESET, else the notebooks' default)")
    p.set_defaults(func=run)


def course_dir() -> Path:
    """The folder holding the course: the packaged copy, else the checkout's ``notebooks/``."""
    for path in (PACKAGED, CHECKOUT):
        if any(path.glob("*.ipynb")):
            return path
    raise FileNotFoundError(f"this tinysr installation has no course notebooks (looked in {PACKAGED} and "
                            f"{CHECKOUT}); reinstall tinysr from a wheel or a repository checkout")


def _chapters(src: Path) -> list[Path]:
    return sorted(p for p in src.glob("*.ipynb") if p.is_file())


def _solutions(src: Path) -> list[Path]:
    return sorted(p for p in (src / "assignments").glob("*.ipynb") if p.is_file())


def _student_copy(path: Path):
    """The handout of assignment notebook ``path``: built from a solution notebook (a checkout), or the
    path of a packaged handout, to copy as it is (a wheel); anything else is refused (it could leak)."""
    import nbformat

    from ..assignments import count_solutions, handout, is_handout

    nb = nbformat.read(str(path), as_version=4)
    if count_solutions(nb, path.name):
        return handout(nb, path.name)
    if is_handout(nb, path.name):
        return path                                 # copied byte for byte
    raise ValueError(f"{path} is neither a solution notebook (no '### BEGIN SOLUTION' region) nor a handout "
                     "(no stub); nothing was written. Reinstall tinysr, or fix the notebook's markers")


def _refuse_existing(targets: list[Path]) -> None:
    taken = [t for t in targets if t.exists()]
    if taken:
        more = f" (and {len(taken) - 3} more)" if len(taken) > 3 else ""
        raise FileExistsError(f"{', '.join(map(str, taken[:3]))}{more} already exist(s); nothing was written. "
                              "Choose a new or empty folder, or move those files away")


def copy_course(dest: str | Path, src: str | Path | None = None) -> list[Path]:
    """Write the chapters, the assignment handouts and the assignments' README under ``dest``; return the
    written files. Raises ``FileExistsError`` (nothing written) if any of them exists already."""
    import nbformat

    src, dest = Path(src) if src else course_dir(), Path(dest)
    if dest.exists() and not dest.is_dir():
        raise NotADirectoryError(f"DEST {dest} is a file; give a folder")
    plan: list[tuple[Path, object]] = [(dest / p.name, p) for p in _chapters(src)]
    for path in _solutions(src):                   # handouts built (and checked) before anything is written
        plan.append((dest / "assignments" / path.name, _student_copy(path)))
    if (src / "assignments" / "README.md").is_file():
        plan.append((dest / "assignments" / "README.md", src / "assignments" / "README.md"))
    _refuse_existing([t for t, _ in plan])
    for target, what in plan:                       # a full disk leaves no truncated notebook behind
        with atomic_path(target) as tmp:
            if isinstance(what, Path):
                shutil.copyfile(what, tmp)
            else:
                nbformat.write(what, str(tmp))
    return [t for t, _ in plan]


def _title(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


def _execute(nb, timeout: int | None) -> str | None:
    """Run ``nb`` in place in a fresh kernel, in a scratch folder; the first line of the error, or None."""
    from nbconvert.preprocessors import CellExecutionError, ExecutePreprocessor

    work = tempfile.mkdtemp(prefix="tinysr-book-")
    try:
        ExecutePreprocessor(timeout=timeout).preprocess(nb, {"metadata": {"path": work}})
        return None
    except CellExecutionError as exc:
        lines = [ln for ln in str(exc).splitlines() if ln.strip()]
        return lines[-1] if lines else type(exc).__name__
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _index(entries: list[dict], preset: str) -> str:
    def items(group: str) -> str:
        return "\n".join(
            f"<li><a href='{html.escape(e['html'])}'>{html.escape(e['title'])}</a> <small>("
            + (f"{e['seconds']:.0f} s" if e.get("ran", True) else "handout, not run")
            + (f"; <b style='color:#c00'>failed: {html.escape(e['error'])}</b>" if e["error"] else "")
            + ")</small></li>"
            for e in entries if e["group"] == group)

    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>tinysr course</title></head>\n"
            f"<body style='font-family:sans-serif;max-width:50em;margin:2em auto'>\n<h1>tinysr: the course</h1>\n"
            f"<p>Every notebook executed at the <code>{html.escape(preset)}</code> preset on {when}.</p>\n"
            f"<h2>Chapters</h2>\n<ul>\n{items('chapter')}\n</ul>\n"
            f"<h2>Assignments</h2>\n<ul>\n{items('assignment')}\n</ul>\n</body></html>\n")


def render_book(dest: str | Path, src: str | Path | None = None, timeout: int | None = None) -> list[dict]:
    """Execute every chapter and assignment solution and write ``dest/<name>.html``,
    ``dest/assignments/<name>.html`` and ``dest/index.html``; one dict per notebook: ``notebook``, ``html``,
    ``title``, ``seconds``, ``error`` (None when it ran through), ``ran`` (False for a packaged handout,
    rendered unexecuted). Existing targets: ``FileExistsError``."""
    import nbformat
    from nbconvert import HTMLExporter

    from ..assignments.build import is_handout

    src, dest = Path(src) if src else course_dir(), Path(dest)
    jobs = [(p, Path(p.stem + ".html"), "chapter") for p in _chapters(src)]
    jobs += [(p, Path("assignments") / (p.stem + ".html"), "assignment") for p in _solutions(src)]
    _refuse_existing([dest / rel for _, rel, _ in jobs] + [dest / "index.html"])
    entries = []
    for path, rel, group in jobs:
        nb = nbformat.read(str(path), as_version=4)
        ran = group == "chapter" or not is_handout(nb)         # a wheel's handouts fail by design: not run
        print(f"book: {path.name} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        error = _execute(nb, timeout) if ran else None
        seconds = time.perf_counter() - t0
        print(f"book: {path.name} {'FAILED: ' + error if error else 'done'} in {seconds:.0f} s", file=sys.stderr)
        body, _ = HTMLExporter().from_notebook_node(nb)
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(body, encoding="utf-8")
        entries.append({"notebook": str(path.relative_to(src)), "html": rel.as_posix(), "group": group,
                        "title": _title(nb, path.stem), "seconds": seconds, "error": error, "ran": ran})
    (dest / "index.html").write_text(_index(entries, os.environ.get("TINYSR_PRESET", "default")), encoding="utf-8")
    return entries


def run(args: argparse.Namespace) -> int:
    if not args.book:
        files = copy_course(args.dest)
        handouts = [f for f in files if f.parent.name == "assignments" and f.suffix == ".ipynb"]
        if args.json:
            print_json({"dest": str(args.dest), "files": [str(f) for f in files]})
        else:
            print(f"copied {len(files) - len(handouts) - 1} chapters, {len(handouts)} assignment handouts and "
                  f"assignments/README.md to {args.dest}")
        return 0
    if args.preset:
        from ..config import preset

        preset(args.preset)                          # a bad name fails here, not in every kernel
        os.environ["TINYSR_PRESET"] = args.preset    # the kernels inherit it
    entries = render_book(args.dest)
    failed = [e for e in entries if e["error"]]
    if args.json:
        print_json({"dest": str(args.dest), "index": str(Path(args.dest) / "index.html"), "notebooks": entries})
    else:
        print(f"rendered {len(entries) - len(failed)} of {len(entries)} notebooks to {Path(args.dest) / 'index.html'}")
    for e in failed:
        print(f"tinysr notebooks: {e['notebook']} failed: {e['error']}", file=sys.stderr)
    return 2 if failed else 0
