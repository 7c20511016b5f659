"""Where a submission's kernel runs: away from the solutions, the source tree and the other submissions.

A student's code runs with the teacher's rights, so without care it could read the solution notebooks
(``tinysr.commands.notebooks.course_dir()`` points at a checkout's ``notebooks/``), write to them, or read
another student's submission. :class:`Sandbox` prepares, once per grading session:

- ``lib/``: a **copy of the installed tinysr package** (and the measured results beside it), first on the
  kernel's ``PYTHONPATH``, so ``import tinysr`` in the kernel finds no ``notebooks/`` next to it -- and a
  wheel has no solutions at all (``setup.py``);
- a fresh **working folder** per submission (:meth:`Sandbox.workdir`), deleted afterwards, which also holds
  the kernel's IPython profile (a startup file one submission writes never runs for the next), and no user
  site-packages (a ``usercustomize.py`` would run in every later Python);
- a **prelude** cell (:meth:`Sandbox.prelude`) that installs a Python audit hook in the kernel before any
  other cell runs. Audit hooks cannot be removed; this one refuses (``PermissionError``) every open,
  listing, change or deletion of a path inside a *protected* folder -- the source tree (the repository of
  the tinysr being used, if it is a checkout), the solution folder, the submissions' folders -- except the
  Python environment and the data folders named by ``TINYSR_DATA``/``TINYSR_SHARED``/``TINYSR_CACHE``,
  which stay readable; writes to those and to ``lib/`` are refused too. Processes are not started at all
  (a shell could read what Python may not). A protected folder that holds the sandbox itself or the home
  folder (``grade ~`` ...) is left out, or the kernel could not run. Each refusal is logged through a file
  descriptor opened before the student's code runs, and :meth:`Sandbox.events` hands the new log lines to the
  runner after every cell: the grader flags them as ``sandbox``.

This is a barrier against reading the answers, not a security boundary: a determined attacker with native
code could still get out (``ctypes`` is flagged as dynamic code). Grade untrusted submissions in a
container or a throw-away account, as the assignments' README says.
"""
from __future__ import annotations

import os
import shutil
import site
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["Sandbox", "source_tree"]

_HOOK = r'''
def __tinysr_sandbox(secret, deny, allow, readonly, log):
    import os, sys
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    reads = {"os.listdir", "os.scandir", "glob.glob", "os.chdir"}
    changes = {"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.symlink", "os.link",
               "os.truncate", "os.utime", "shutil.rmtree", "shutil.copyfile", "shutil.copytree", "shutil.move",
               "shutil.copymode", "shutil.copystat", "shutil.chown", "os.chflags", "os.setxattr", "os.removexattr"}
    spawns = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.startfile", "pty.spawn",
              "_posixsubprocess.fork_exec"}
    under = lambda path, roots: any(path == r or path.startswith(r + os.sep) for r in roots)

    def place(p):
        try:
            return os.path.realpath(os.fsdecode(p)) if not isinstance(p, int) else None
        except Exception:
            return None

    def refuse(event, what):
        os.write(fd, f"{event}\t{what}\n".encode("utf-8", "replace"))
        raise PermissionError(f"the grader's sandbox refuses {event} of {what}: graded code may not touch the "
                              "teacher's folders or start processes")

    def hook(event, args):
        if event == "open":
            writing = (isinstance(args[1], str) and any(c in args[1] for c in "wax+")) or \
                (isinstance(args[2], int) and args[2] & write_flags)
            paths = [args[0]]
        elif event in reads:
            writing, paths = False, [args[0] if args else "."]
        elif event in changes:
            writing, paths = True, [a for a in args[:2] if isinstance(a, (str, bytes, os.PathLike))]
        elif event in spawns:
            refuse(event, " ".join(map(str, args[:2]))[:200])
        else:
            return
        for p in paths:
            path = place(p)
            if path is None:
                continue
            if under(path, secret) or under(path, deny) and not under(path, allow) or \
                    writing and under(path, readonly):
                refuse(event, path)

    sys.addaudithook(hook)


__tinysr_sandbox(SECRET, DENY, ALLOW, READONLY, LOG)
del __tinysr_sandbox
'''


def source_tree() -> list[Path]:
    """The folders of the tinysr in use that a kernel must not touch: the package, and the repository
    around it when it is a checkout (with ``notebooks/`` or ``pyproject.toml`` beside it)."""
    package = Path(__file__).resolve().parents[1]
    repo = package.parent
    return [repo] if (repo / "notebooks").is_dir() or (repo / "pyproject.toml").is_file() else [package]


def _real(paths: Iterable) -> list[str]:
    return sorted({os.path.realpath(str(p)) for p in paths if p})


class Sandbox:
    """One grading session's sandbox (see the module docstring); use as a context manager."""

    def __init__(self, protect: Iterable[str | Path] = ()) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="tinysr-sandbox-"))
        self.lib = self.root / "lib"
        self.private = self.root / "grader"
        self.private.mkdir()
        self.log = self.private / "events.log"
        self.log.touch()
        self._seen = 0
        package = Path(__file__).resolve().parents[1]
        shutil.copytree(package, self.lib / "tinysr", ignore=shutil.ignore_patterns("_course", "*.ipynb"))
        results = package.parent / "benchmarks" / "results"
        if results.is_dir() and not (package / "_results").is_dir():
            shutil.copytree(results, self.lib / "benchmarks" / "results")
        data = [os.environ.get(v) for v in ("TINYSR_DATA", "TINYSR_SHARED", "TINYSR_CACHE")]
        env_places = [sys.prefix, sys.base_prefix, sys.exec_prefix, site.getusersitepackages()]
        keep = _real([self.root, Path.home()])      # a protected folder above these would lock the kernel out
        self.secret = _real([self.private])
        self.deny = [p for p in _real([*source_tree(), *protect])
                     if not any(k == p or k.startswith(p.rstrip(os.sep) + os.sep) for k in keep)]
        self.allow = _real([*env_places, *data, self.root])
        self.readonly = _real([*env_places, *data, self.lib])

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def prelude(self) -> str:
        """The first cell every kernel runs: it installs the audit hook."""
        values = (tuple(self.secret), tuple(self.deny), tuple(self.allow), tuple(self.readonly), str(self.log))
        return "SECRET, DENY, ALLOW, READONLY, LOG = " + repr(values) + "\n" + _HOOK + \
            "del SECRET, DENY, ALLOW, READONLY, LOG\n"

    def env(self, work: Path, base: dict[str, str] | None = None) -> dict[str, str]:
        """The kernel's environment: ``base`` (default: this process's) with ``lib/`` first on PYTHONPATH, no
        user site-packages, and IPython's profile in ``work`` (so a startup file written by one submission
        never runs in the next one's kernel)."""
        env = dict(os.environ if base is None else base)
        env["PYTHONPATH"] = os.pathsep.join([str(self.lib)] + [p for p in [env.get("PYTHONPATH")] if p])
        env.update(PYTHONNOUSERSITE="1", IPYTHONDIR=str(work / ".ipython"))
        env.setdefault("MPLBACKEND", "Agg")
        return env

    @contextmanager
    def workdir(self) -> Iterator[Path]:
        """A fresh, empty working folder for one submission, deleted afterwards."""
        work = Path(tempfile.mkdtemp(prefix="work-", dir=self.root))
        try:
            yield work
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def runner(self, cell_timeout: float | None = None):
        """A :data:`~tinysr.assignments.kernel.Runner` that runs each submission in a fresh kernel, in its own
        working folder, with the prelude, the refusals reported per cell, and recovery from a dead kernel or
        a cell past ``cell_timeout`` (default: a quarter of the submission's time limit, at least 120 s)."""
        from .kernel import run_in_kernel

        def run(sources, timeout: float):
            with self.workdir() as work:
                return run_in_kernel(sources, timeout, env=self.env(work), cwd=work, prelude=self.prelude(),
                                     events=self.events, recover=True,
                                     cell_timeout=cell_timeout or max(120.0, timeout / 4))

        return run

    def events(self) -> list[str]:
        """The refusals logged since the last call, one ``"event<TAB>path"`` string each."""
        with open(self.log, encoding="utf-8", errors="replace") as f:
            f.seek(self._seen)
            text = f.read()
            self._seen = f.tell()
        return [line for line in text.splitlines() if line]
