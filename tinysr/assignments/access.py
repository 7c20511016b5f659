"""What a task's code must not reach for: files, processes, and modules the notebook wrote itself.

No assignment needs a file: every task computes from the arrays and networks its checks pass in. A solution
that opens, lists, writes or deletes files, starts a process, or imports a module that did not exist before
the notebook ran (``%%writefile sol.py`` then ``from sol import psnr_y``; ``open("sol.py", "w")`` with the
teacher's solution pasted in) is getting its answer from somewhere else, so the grader flags it in the code
of each task (its solution cell and the statements it uses, see :func:`tinysr.assignments.grade.scan_tasks`),
naming the line: ``file:<pattern>`` and ``module:<name>``. Scratch cells that save a figure are not a
task's code and are not flagged. The kernel runs in a sandbox too (:mod:`.sandbox`): reading or writing the
teacher's folders fails there, and each try is flagged as ``sandbox``.

:data:`FILE_ACCESS` uses the pattern forms of :mod:`.scan` (``open`` is any ``open`` -- ``open(...)``,
``Image.open``, ``os.open``; ``shutil.*`` a whole module; ``.read_text`` any attribute of that name).
"""
from __future__ import annotations

import ast
import functools
import importlib.util
import os
import sys

from .scan import Finding, forbidden_uses

__all__ = ["FILE_ACCESS", "file_uses", "runtime_imports", "preexisting"]

FILE_ACCESS = (
    "open", "io.*", "os.listdir", "os.scandir", "os.walk", "os.remove", "os.unlink", "os.rename", "os.replace",
    "os.rmdir", "os.removedirs", "os.mkdir", "os.makedirs", "os.system", "os.popen", "os.chdir", "os.symlink",
    "os.link", "os.truncate", "os.fdopen", "os.read", "os.write", "os.execv", "os.execl", "os.spawnv", "os.fork",
    "shutil.*", "subprocess.*", "glob.*", "tempfile.*", "pickle.*", "shelve.*", "sqlite3.*", "zipfile.*",
    "tarfile.*", "urllib.*", "socket.*", "pty.*", "multiprocessing.*", "nbformat.*", "nbclient.*",
    "tinysr.commands.*", "tinysr.assignments.*", "tinysr.runtime.shipped.*",
    ".read_text", ".read_bytes", ".write_text", ".write_bytes", ".iterdir", ".glob", ".rglob", ".unlink",
    ".rmdir", ".mkdir", ".touch", ".symlink_to", ".hardlink_to", ".load", ".save", ".fromfile", ".tofile",
    ".loadtxt", ".savetxt", ".genfromtxt", ".memmap",
)


def file_uses(cell_id: str, source: str, node: ast.AST, aliases: dict[str, str]) -> list[Finding]:
    """Every use of :data:`FILE_ACCESS` in ``node`` (a cell or a statement of it), as "file" findings."""
    return forbidden_uses(cell_id, source, node, FILE_ACCESS, aliases, kind="file")


@functools.cache
def preexisting(module: str) -> bool:
    """Whether top-level module ``module`` exists before any notebook runs: built in, in the standard
    library, or importable from this environment (the current folder left out: a kernel starts in an
    empty one, so a module found only there was written by the notebook)."""
    if module in sys.builtin_module_names or module in getattr(sys, "stdlib_module_names", ()) \
            or module in sys.modules:
        return True
    here = os.path.realpath(os.getcwd())
    saved = list(sys.path)
    sys.path[:] = [p for p in saved if p and os.path.realpath(p) != here]
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    finally:
        sys.path[:] = saved
    return spec is not None


def runtime_imports(cell_id: str, source: str, node: ast.AST) -> list[Finding]:
    """Imports in ``node`` of modules that did not exist before the run (:func:`preexisting`), and relative
    imports, as "module" findings."""
    found = []
    lines = source.splitlines()
    for sub in ast.walk(node):
        names: list[str] = []
        if isinstance(sub, ast.Import):
            names = [a.name for a in sub.names]
        elif isinstance(sub, ast.ImportFrom):
            names = ["." * sub.level + (sub.module or "")] if sub.level else [sub.module or ""]
        for name in names:
            root = name.split(".")[0]
            if name.startswith(".") or not preexisting(root):
                code = lines[sub.lineno - 1].strip() if 0 < sub.lineno <= len(lines) else ""
                found.append(Finding("module", name, cell_id, sub.lineno, code))
    return found
