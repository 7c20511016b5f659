"""Does a student cell change what a restored check will see? A static look at bindings and mutations.

Restoring the check cells is not enough if a student cell runs before them and rebinds a name they use
(``abs = lambda x: 0`` makes ``assert abs(mine - expected) < 1e-9`` pass; ``calculate_psnr = psnr_y`` makes
the oracle agree), or patches a module or a setup object (``np.testing.assert_allclose = print``,
``pairs.clear()`` makes every loop over the data pass vacuously). Flagged as *tampered*:

- a top-level binding (assignment, def, class, import to another target, ``global`` in a function) of a
  name that the source's setup/check cells use, when the next source cell that mentions the name *reads*
  it before binding it (so ``x = 5`` in a scratch cell is fine if the next check sets its own ``x``);
  names the solutions define (``psnr_y``) are the student's to bind;
- an assignment or ``del`` on an attribute or item of an imported module (anywhere, functions included),
  or of a setup/check object that a later source cell reads, and in-place methods on such an object
  (``.clear()``, ``.update()``, ``.append()``, ``.fill_()``, any ``..._()``), outside a function's locals;
  ``setattr(np.testing, ...)`` and ``delattr`` count as such assignments, and so does writing into a
  namespace dictionary (``vars()[...] = ...``, ``locals()[...]``), which can rebind anything.

The grader's own cells (origin "grader", e.g. the return-value guard) are protected like the source's.
"""
from __future__ import annotations

import ast
import symtable
from dataclasses import dataclass

from .scan import Finding, import_aliases

__all__ = ["Step", "tampering", "MUTATORS"]

NAMESPACES = frozenset({"vars", "locals", "globals"})     # writing into these rebinds names unseen
MUTATORS = frozenset({"append", "extend", "insert", "remove", "pop", "popitem", "clear", "update", "setdefault",
                      "sort", "reverse", "add", "discard", "fill", "put", "itemset", "resize", "__setitem__",
                      "__delitem__"})


@dataclass(frozen=True)
class Step:
    """A cell as the grader runs it: where its code came from (``origin`` "source", "student" or "grader")
    and its parsed AST (None: it does not parse)."""

    cell_id: str
    origin: str
    source: str
    tree: ast.Module | None


@dataclass(frozen=True)
class _Symbols:
    mentions: frozenset[str]    # read or bound anywhere at module scope (nested globals included)
    inputs: frozenset[str]      # read but not bound at module scope: what the cell takes from before
    binds: frozenset[str]       # bound at module scope (or through `global`)


def _symbols(tree: ast.Module | None) -> _Symbols:
    if tree is None:
        return _Symbols(frozenset(), frozenset(), frozenset())
    table = symtable.symtable(ast.unparse(tree), "cell", "exec")
    read, bound = set(), set()
    for sym in table.get_symbols():
        (bound if sym.is_assigned() or sym.is_imported() else set()).add(sym.get_name())
        if sym.is_referenced():
            read.add(sym.get_name())
    stack = list(table.get_children())
    while stack:
        child = stack.pop()
        stack.extend(child.get_children())
        for sym in child.get_symbols():
            if sym.is_global():
                (bound if sym.is_declared_global() and sym.is_assigned() else read).add(sym.get_name())
    return _Symbols(frozenset(read | bound), frozenset(read - bound), frozenset(bound))


class _Mutations(ast.NodeVisitor):
    """``(root name, line, how)`` for each attribute/item assignment or in-place method call whose root is
    not a local of the enclosing function; ``how`` is "assign" or "method"."""

    def __init__(self) -> None:
        self.locals: list[set[str]] = []
        self.found: list[tuple[str, int, str]] = []

    def _scope(self, node, names: set[str]) -> None:
        self.locals.append(names)
        self.generic_visit(node)
        self.locals.pop()

    def visit_FunctionDef(self, node) -> None:
        args = node.args
        names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
        names |= {a.arg for a in (args.vararg, args.kwarg) if a}
        declared = {n for s in ast.walk(node) if isinstance(s, ast.Global) for n in s.names}
        if not isinstance(node, ast.Lambda):
            names |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        self._scope(node, names - declared)

    visit_AsyncFunctionDef = visit_Lambda = visit_FunctionDef

    def _comprehension(self, node) -> None:
        self._scope(node, {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)})

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def _root(self, node) -> str | None:
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in NAMESPACES:
                return node.func.id
            node = node.func if isinstance(node, ast.Call) else node.value
        if isinstance(node, ast.Name) and not any(node.id in scope for scope in self.locals):
            return node.id
        return None

    def _targets(self, targets, line: int) -> None:
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, (ast.Attribute, ast.Subscript)) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                    root = self._root(sub)
                    if root:
                        self.found.append((root, line, "assign"))

    def visit_Assign(self, node) -> None:
        self._targets(node.targets, node.lineno)
        self.generic_visit(node)

    def visit_AugAssign(self, node) -> None:
        self._targets([node.target], node.lineno)
        self.generic_visit(node)

    visit_AnnAssign = visit_AugAssign

    def visit_Delete(self, node) -> None:
        self._targets(node.targets, node.lineno)
        self.generic_visit(node)

    def visit_Call(self, node) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("setattr", "delattr") and node.args:
            root = self._root(node.args[0])
            if root:
                self.found.append((root, node.lineno, "assign"))
        if isinstance(func, ast.Attribute) and (func.attr in MUTATORS or
                                                (func.attr.endswith("_") and not func.attr.startswith("__"))):
            root = self._root(func.value)
            if root:
                self.found.append((root, node.lineno, "method"))
        self.generic_visit(node)


def _binding_line(tree: ast.Module, name: str) -> int:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store) \
                or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name \
                or isinstance(node, ast.alias) and (node.asname or node.name.split(".")[0]) == name \
                or isinstance(node, ast.Global) and name in node.names:
            return getattr(node, "lineno", 1)
    return 1


def _import_targets(tree: ast.Module) -> dict[str, set[str]]:
    """Top-level names bound by imports -> the dotted targets they are bound to."""
    out: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name, target in import_aliases([node]).items():
                out.setdefault(name, set()).add(target)
    return out


def tampering(steps: list[Step], student_defined: frozenset[str]) -> list[Finding]:
    """Findings of kind "tampered" for the student steps of ``steps`` (the grader's run order);
    ``student_defined`` are the names the source's solution cells define."""
    symbols = [_symbols(s.tree) for s in steps]
    source = [i for i, s in enumerate(steps) if s.origin != "student"]
    protected = set().union(*(symbols[i].mentions for i in source)) - student_defined
    data = set().union(*(symbols[i].binds for i in source)) - student_defined
    setup_aliases = import_aliases(steps[i].tree for i in source if steps[i].tree is not None)
    data -= set(setup_aliases)
    modules = set(setup_aliases)

    def read_next(p: int, name: str) -> bool:        # does the next source cell mentioning it read it?
        q = next((i for i in source if i > p and name in symbols[i].mentions), None)
        return q is not None and name in symbols[q].inputs

    findings: list[Finding] = []
    for p, step in enumerate(steps):
        if step.origin != "student" or step.tree is None:
            continue
        lines = step.source.splitlines()
        imports = _import_targets(step.tree)
        modules |= set(imports)
        assigned = {n.id for n in ast.walk(step.tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for name in sorted(symbols[p].binds & protected):
            # `import numpy as np` again is harmless; binding np to anything else is not
            harmless_import = imports.get(name) == {setup_aliases.get(name)} and name not in assigned
            if not harmless_import and read_next(p, name):
                line = _binding_line(step.tree, name)
                findings.append(Finding("tampered", name, step.cell_id, line, _at(lines, line)))
        visitor = _Mutations()
        visitor.visit(step.tree)
        for root, line, how in visitor.found:
            if root in NAMESPACES or (how == "assign" and root in modules) or (root in data and read_next(p, root)):
                findings.append(Finding("tampered", root, step.cell_id, line, _at(lines, line)))
    return findings


def _at(lines: list[str], line: int) -> str:
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""
