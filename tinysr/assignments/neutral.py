"""IPython magics and shell lines in a student's cells, made inert before grading (not run, not penalised).

Students time their code (``%timeit psnr_y(sr, hr, 2)``, which the assignments' questions invite), install
things (``!pip install numpy``), ask for help (``psnr_y?``) or set up plotting (``%matplotlib inline``). None
of it belongs in a graded run -- a ``!pip`` would touch the teacher's environment, a ``%timeit`` spends the
time limit -- and none of it is cheating, so the grader replaces each such line, keeping the line numbers:

- ``%time STATEMENT`` and the cell magics ``%%time`` / ``%%capture`` run their Python as plain code (the
  timing is dropped, the statement still runs: a student's ``%time y = f(x)`` still defines ``y``);
- any other line magic, shell line or help request becomes ``pass`` (``x = %timeit -o f()`` -> ``x = None``);
- any other cell magic (``%%bash``, ``%%writefile``, ``%%html``, ...) comments the whole cell out.

The result is plain Python, which is what the scans read and what the kernel runs; :func:`neutralise` also
returns each replaced line, so the feedback can say what was ignored. IPython's own transformer finds the
magics (so a ``%`` inside a string is left alone); without IPython the source is returned unchanged.
"""
from __future__ import annotations

import ast

__all__ = ["neutralise", "RUN_BODY"]

RUN_BODY = frozenset({"time", "capture"})      # cell/line magics whose Python still runs, untimed


def _transform(source: str) -> str | None:
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return None
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # malformed input: leave it to the kernel
        return None


def _magic_call(node: ast.AST) -> tuple[str, list[str]] | None:
    """``(method, string args)`` for ``get_ipython().method('...', ...)``, else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Name) \
            and node.func.value.func.id == "get_ipython":
        args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        return node.func.attr, args
    return None


def _replacement(transformed: str) -> str | None:
    """The inert form of one transformed line (without its indentation), or None if it is no magic."""
    try:
        tree = ast.parse(transformed.strip())
    except SyntaxError:
        return None
    if len(tree.body) != 1:
        return None
    stmt = tree.body[0]
    value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign, ast.AnnAssign)) else None
    call = _magic_call(value) if value is not None else None
    if call is None:
        return None
    method, args = call
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        return " = ".join(ast.unparse(t) for t in targets) + " = None"
    if method == "run_line_magic" and len(args) == 2 and args[0] in RUN_BODY and "\n" not in args[1]:
        try:
            ast.parse(args[1])
            return args[1]
        except SyntaxError:
            return "pass"
    return "pass"


def _cell_magic(lines: list[str]) -> tuple[int, str] | None:
    """``(line index, name)`` of a ``%%magic`` opening the cell (after blank lines), else None."""
    for i, line in enumerate(lines):
        if line.strip():
            text = line.strip()
            return (i, text[2:].split(maxsplit=1)[0] if len(text) > 2 else "") if text.startswith("%%") else None
    return None


def neutralise(source: str) -> tuple[str, list[tuple[int, str]]]:
    """``source`` with its magics and shell lines made inert (see the module docstring), and the
    ``(line, original text)`` of each line replaced (1-based). Line numbers are kept."""
    lines = source.split("\n")
    ignored: list[tuple[int, str]] = []
    opening = _cell_magic(lines)
    if opening is not None:
        at, name = opening
        ignored.append((at + 1, lines[at].strip()))
        if name not in RUN_BODY:
            return "\n".join("# " + line if line.strip() else line for line in lines), ignored
        lines[at] = "pass"                           # the body runs as plain Python
    lead = next((i for i, line in enumerate(lines) if line.strip()), len(lines))   # IPython drops these
    transformed = _transform("\n".join(lines[lead:]))
    if transformed is None or "get_ipython()" not in transformed:
        return "\n".join(lines), ignored
    new = lines[:lead] + transformed.split("\n")
    if len(new) == len(lines) + 1 and new[-1] == "":
        new.pop()
    if len(new) != len(lines):                     # continuation lines were joined: keep IPython's text
        return "\n".join(new), ignored + [(0, "(magics in continued lines)")]
    for i, (old, got) in enumerate(zip(lines, new)):
        if old == got or "get_ipython()" not in got or "get_ipython()" in old:
            continue
        inert = _replacement(got)
        if inert is not None:
            indent = got[:len(got) - len(got.lstrip())]
            lines[i] = indent + inert
            ignored.append((i + 1, old.strip()))
    return "\n".join(lines), ignored
