"""Static scans of the cells a student wrote: forbidden library calls and dynamic code.

A task asks the student to write something the library already has (``psnr_y`` re-implements
``tinysr.metrics.calculate_psnr``), so its checks compare with the library, and a solution that just calls
the library would pass them. The grader therefore reads the student's code (the AST, after IPython's
magic rewriting) and flags every use of a task's **forbidden names**, which take four forms:

- ``calculate_psnr``: that identifier, however reached (``calculate_psnr(...)``, ``tinysr.calculate_psnr``,
  ``m.calculate_psnr``, ``from ... import calculate_psnr as f``, the string ``"calculate_psnr"``);
- ``.softmax``: any attribute of that name (``F.softmax``, ``x.softmax(-1)``, ``from torch import softmax``);
- ``tinysr.metrics`` or ``tinysr.metrics.*``: that module or anything in it, through any import alias, and
  tinysr's top-level re-exports (``tinysr.rgb2ycbcr`` is ``tinysr.metrics.rgb2ycbcr``);
- ``torch.nn.functional.softmax``: that one dotted name (and below it), through any alias.

**Dynamic code** (``exec``, ``eval``, ``compile``, ``__import__``, ``importlib``, ``runpy``, ``globals()``,
``sys.modules``, frame and ``__dict__`` access, ``ctypes``, an explicit ``get_ipython()``) could call or
patch anything unseen, so any of it in a student cell is flagged too. Habits are not: IPython magics and
shell lines are neutralised before the scan (:mod:`.neutral`), and ``import gc``, ``inspect``, ``setattr``
and ``vars`` are ordinary Python (a ``setattr`` on a module or on the checks' data is caught as tampering
by :mod:`.tamper`). The same reader finds **file access** (``kind`` "file", :mod:`.access`). The scan is a
filter for the usual shortcuts, not a sandbox (the kernel runs in one, :mod:`.sandbox`): the feedback names
each finding's cell and line so a teacher can read it.
"""
from __future__ import annotations

import ast
import functools
import importlib
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Finding", "parse_cell", "import_aliases", "forbidden_uses", "dynamic_uses", "name_loads",
           "DYNAMIC_NAMES", "DYNAMIC_MODULES", "DYNAMIC_ATTRIBUTES"]

DYNAMIC_NAMES = ("exec", "eval", "compile", "__import__", "globals", "get_ipython", "breakpoint", "__builtins__")
DYNAMIC_MODULES = ("importlib", "builtins", "sys.modules", "sys._getframe", "ctypes", "runpy")
DYNAMIC_ATTRIBUTES = ("__dict__", "__globals__", "__builtins__", "__code__", "__closure__", "f_globals",
                      "f_locals", "f_back", "__setattr__", "__subclasses__")


@dataclass(frozen=True)
class Finding:
    """One flagged use: ``kind`` is "forbidden", "file", "module", "dynamic", "tampered", "sandbox" (a blocked
    access at run time) or "untrusted" (a value of the student's own type reached a check); ``name`` the
    pattern or name matched; where it is (cell id, 1-based line, 0 when unknown) and that line's code."""

    kind: str
    name: str
    cell_id: str
    line: int
    code: str

    def describe(self) -> str:
        where = f"cell {self.cell_id}, line {self.line}" if self.line else f"cell {self.cell_id}"
        return f"{self.kind} {self.name!r} in {where}: `{self.code}`"


@dataclass(frozen=True)
class _Ref:
    names: tuple[str, ...]   # dotted forms: as written (aliases resolved) and canonical
    attr: bool               # reached as an attribute (x.name, from m import name)
    plain: bool              # a bare, un-aliased identifier
    line: int


def parse_cell(source: str) -> ast.Module | None:
    """The AST of one cell after IPython's transforms (``%magic`` -> ``get_ipython()...``); None if the cell
    does not parse (it will fail when run as well)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        source = TransformerManager().transform_cell(source)
    except ImportError:                       # no IPython: plain Python only
        pass
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def import_aliases(trees: Iterable[ast.AST]) -> dict[str, str]:
    """Name -> dotted target for every import in ``trees`` (``import torch.nn.functional as F`` ->
    ``F: torch.nn.functional``; ``from tinysr.metrics import calculate_psnr`` -> ``calculate_psnr:
    tinysr.metrics.calculate_psnr``). Relative imports are skipped."""
    aliases: dict[str, str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    root = a.name.split(".")[0]
                    aliases[a.asname or root] = a.name if a.asname else root
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases


@functools.cache
def _canonical(dotted: str) -> str:
    """Where a ``tinysr`` name really lives (``tinysr.calculate_psnr`` -> ``tinysr.metrics.calculate_psnr``),
    by importing the library (trusted code; other roots are never imported). Unknown names: unchanged."""
    parts = dotted.split(".")
    if parts[0] != "tinysr":
        return dotted
    try:
        obj = importlib.import_module("tinysr")
        for i, part in enumerate(parts[1:], start=2):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                obj = importlib.import_module(".".join(parts[:i]))
    except Exception:  # any failure: keep it as written
        return dotted
    if isinstance(obj, type(importlib)):
        return obj.__name__
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{module}.{qualname}" if module and qualname else dotted


def _dotted(node: ast.AST, aliases: dict[str, str]) -> tuple[str, bool]:
    """The dotted name of a Name/Attribute chain with aliases resolved, and whether its root is an alias."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id), node.id in aliases
    if isinstance(node, ast.Attribute):
        base, aliased = _dotted(node.value, aliases)
        return f"{base}.{node.attr}", aliased
    return "?", False


def _refs(tree: ast.AST, aliases: dict[str, str]) -> list[_Ref]:
    refs: list[_Ref] = []

    def add(dotted: str, line: int, attr: bool, plain: bool = False) -> None:
        refs.append(_Ref(tuple(dict.fromkeys((dotted, _canonical(dotted)))), attr, plain, line))

    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Load, ast.Del)):
            dotted, aliased = _dotted(node, aliases)
            add(dotted, node.lineno, attr=aliased and "." in dotted, plain=not aliased)
        elif isinstance(node, ast.Attribute):
            add(_dotted(node, aliases)[0], node.lineno, attr=True)
        elif isinstance(node, ast.Import):
            for a in node.names:
                add(a.name, node.lineno, attr="." in a.name)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            add(node.module, node.lineno, attr="." in node.module)
            for a in node.names:
                add(f"{node.module}.{a.name}", node.lineno, attr=True)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value \
                and all(part.isidentifier() for part in node.value.split(".")):   # getattr(m, "name")
            add(node.value, node.lineno, attr=False)
    return refs


def _matches(pattern: str, ref: _Ref) -> bool:
    if pattern.startswith("."):
        return ref.attr and any(n.rsplit(".", 1)[-1] == pattern[1:] for n in ref.names)
    base = pattern[:-2] if pattern.endswith(".*") else pattern
    if "." not in base and not pattern.endswith(".*"):
        return any(n.rsplit(".", 1)[-1] == base for n in ref.names)
    return any(n == base or n.startswith(base + ".") for n in ref.names)


def _line(source: str, line: int) -> str:
    lines = source.splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def forbidden_uses(cell_id: str, source: str, tree: ast.AST, patterns: Iterable[str],
                   aliases: dict[str, str], kind: str = "forbidden") -> list[Finding]:
    """Every use of a forbidden pattern (forms: see the module docstring) in one cell (or one statement of
    it: ``tree`` may be any node), one per pattern and line, in line order, as findings of ``kind``."""
    found: dict[tuple[str, int], Finding] = {}
    for ref in _refs(tree, aliases):
        for pattern in patterns:
            if (pattern, ref.line) not in found and _matches(pattern, ref):
                found[pattern, ref.line] = Finding(kind, pattern, cell_id, ref.line, _line(source, ref.line))
    return sorted(found.values(), key=lambda f: (f.line, f.name))


def dynamic_uses(cell_id: str, source: str, tree: ast.AST, aliases: dict[str, str]) -> list[Finding]:
    """Every use of dynamic code (:data:`DYNAMIC_NAMES` as bare builtins, :data:`DYNAMIC_MODULES`,
    :data:`DYNAMIC_ATTRIBUTES`) in one cell."""
    found: dict[tuple[str, int], Finding] = {}
    for ref in _refs(tree, aliases):
        last = ref.names[0].rsplit(".", 1)[-1]
        hit = None
        if ref.plain and ref.names[0] in DYNAMIC_NAMES:
            hit = ref.names[0]
        elif ref.attr and last in DYNAMIC_ATTRIBUTES:
            hit = "." + last
        else:
            hit = next((m for m in DYNAMIC_MODULES for n in ref.names if n == m or n.startswith(m + ".")), None)
        if hit and (hit, ref.line) not in found:
            found[hit, ref.line] = Finding("dynamic", hit, cell_id, ref.line, _line(source, ref.line))
    return sorted(found.values(), key=lambda f: (f.line, f.name))


def name_loads(tree: ast.AST) -> frozenset[str]:
    """Every identifier a cell reads (anywhere, function bodies included): how the grader follows a task's
    code into the helper cells it uses."""
    return frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))
