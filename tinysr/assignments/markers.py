"""The marker lines of a solution notebook, and the strict rules that keep solutions out of handouts.

Two kinds of region, each opened and closed by a line that holds exactly the marker (indentation allowed)::

    ### BEGIN SOLUTION            the teacher's code; in the handout the region, markers included, becomes
    ...                           ``raise NotImplementedError("your code here")`` at the BEGIN line's indentation
    ### END SOLUTION

    ### BEGIN HIDDEN TESTS        checks that only the grader runs; in the handout the region is deleted,
    ...                           and a cell left without code is dropped
    ### END HIDDEN TESTS

A marker that is *almost* right would silently leak the solution (the strip would not see it), so every
line that looks like a marker (any number of ``#``, any case, extra or missing spaces, ``_`` or ``-``
between the words, text after it; any Unicode whitespace such as a no-break space pasted from a web page,
zero-width and other invisible format characters, full-width ``＃``) but is not exact is an error that
names the odd characters, and so is any marker in a markdown or raw cell -- except a solution region in a
*written-answer* cell (markdown, metadata role ``"answer"``): there the region is the model answer, and the
handout gets :data:`ANSWER_STUB` instead. Regions cannot nest or span cells. Errors are
:class:`SolutionMarkerError` naming the notebook, the cell (numbered from 0 over all cells, with its id) and
the line (from 1).
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["BEGIN", "END", "HIDDEN_BEGIN", "HIDDEN_END", "STUB", "ANSWER_STUB", "SolutionMarkerError",
           "cell_label", "find_regions", "strip_source", "has_code"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
STUB = 'raise NotImplementedError("your code here")'
ANSWER_STUB = "*Your answer here (graded by hand).*"

_EXACT = {BEGIN: ("solution", "begin"), END: ("solution", "end"),
          HIDDEN_BEGIN: ("hidden", "begin"), HIDDEN_END: ("hidden", "end")}
_OPENERS = {"solution": BEGIN, "hidden": HIDDEN_BEGIN}
_CLOSERS = {"solution": END, "hidden": HIDDEN_END}
# Anything a person might type for a marker: '#'s, BEGIN/END, SOLUTION or HIDDEN TEST(S), any case/spacing
# (matched on the line after NFKC normalisation with invisible format characters removed, see _comparable).
_SEP = r"[\s_\-\u2010-\u2015]*"
_LOOKS_LIKE = re.compile(rf"#+{_SEP}(begin|end){_SEP}(solution|hidden{_SEP}tests?)", re.IGNORECASE)


class SolutionMarkerError(ValueError):
    """A marker is malformed (a near miss), misplaced (markdown/raw cell), unbalanced, nested, or missing."""


def cell_label(name: str, index: int, cell) -> str:
    """``"a4.ipynb: cell 7 (code, id a4-07)"``: how every error names a cell."""
    cid = cell.get("id")
    return f"{name}: cell {index} ({cell.get('cell_type')}{', id ' + cid if cid else ''})"


def _comparable(line: str) -> str:
    """``line`` as a reader sees it: compatibility forms folded (no-break and other Unicode spaces become
    spaces, full-width letters and ``＃`` plain ones) and invisible format characters (zero-width spaces
    and joiners, the byte-order mark, soft hyphens) removed."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", line) if unicodedata.category(ch) != "Cf")


def _odd_characters(text: str) -> str:
    odd = dict.fromkeys(ch for ch in text if not ch.isascii() or (not ch.isprintable() and ch != " "))
    if not odd:
        return ""
    return " (it contains " + ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, 'control character')}"
                                        for ch in odd) + ")"


def _classify(line: str, where: str, lineno: int, cell_type: str, answer: bool) -> tuple[str, str] | None:
    """``(kind, "begin"|"end")`` for an exact marker line, None for an ordinary line; raises on near misses
    and on markers where they are not allowed (``answer``: a written-answer markdown cell)."""
    found = _LOOKS_LIKE.search(_comparable(line))
    if found is None:
        return None
    text = line.strip()
    kind = "hidden" if "hidden" in found.group(0).lower() else "solution"
    if cell_type != "code" and not (answer and kind == "solution"):
        raise SolutionMarkerError(f"{where}, line {lineno}: marker-like text {text!r} in a {cell_type} cell; "
                                  "markers are allowed only in code cells and, as solution regions, in "
                                  "written-answer cells (markdown with metadata tinysr.role 'answer'); any other "
                                  "markdown or raw cell is copied to the handout as it is, so the answer would "
                                  "leak: move it into a code cell or mark the cell as an answer")
    if text in _EXACT:
        return _EXACT[text]
    exact = (_OPENERS if found.group(1).lower() == "begin" else _CLOSERS)[kind]
    raise SolutionMarkerError(f"{where}, line {lineno}: {text!r} looks like a marker but is not exactly "
                              f"{exact!r}{_odd_characters(text)} (three '#', upper case, single ASCII spaces, "
                              "alone on its line); the build would not strip it and the region would leak into "
                              "the handout: retype it")


def find_regions(source: str, cell_type: str, where: str, answer: bool = False) -> list[tuple[str, int, int]]:
    """The regions of one cell's source as ``(kind, begin_line, end_line)`` (1-based, markers included),
    ``kind`` in ``{"solution", "hidden"}``. Validates every line (see the module docstring); ``answer``:
    the cell is a written-answer markdown cell, where solution regions are allowed."""
    regions: list[tuple[str, int, int]] = []
    open_kind, open_at = None, 0
    for lineno, line in enumerate(source.splitlines(), start=1):
        marker = _classify(line, where, lineno, cell_type, answer)
        if marker is None:
            continue
        kind, side = marker
        if side == "begin":
            if open_kind is not None:
                raise SolutionMarkerError(f"{where}, line {lineno}: {_OPENERS[kind]!r} inside the region opened "
                                          f"at line {open_at}; close it with {_CLOSERS[open_kind]!r} first "
                                          "(regions cannot nest)")
            open_kind, open_at = kind, lineno
        else:
            if open_kind != kind:
                opened = f"the {_OPENERS[open_kind]!r} region of line {open_at} is still open" if open_kind \
                    else "no region is open"
                raise SolutionMarkerError(f"{where}, line {lineno}: {_CLOSERS[kind]!r} without a "
                                          f"{_OPENERS[kind]!r} before it in this cell ({opened}); add the "
                                          "BEGIN marker or delete this line")
            regions.append((kind, open_at, lineno))
            open_kind = None
    if open_kind is not None:
        raise SolutionMarkerError(f"{where}, line {open_at}: {_OPENERS[open_kind]!r} is never closed; add "
                                  f"{_CLOSERS[open_kind]!r} in the same cell (a region cannot span cells)")
    return regions


def strip_source(source: str, cell_type: str, where: str, answer: bool = False) -> tuple[str, dict[str, int]]:
    """One cell's handout source: each solution region replaced by :data:`STUB` at its BEGIN line's
    indentation (:data:`ANSWER_STUB` in a written-answer cell, ``answer``), each hidden region deleted.
    Returns the new source and the region counts by kind."""
    regions = find_regions(source, cell_type, where, answer)
    counts = {"solution": 0, "hidden": 0}
    if not regions:
        return source, counts
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    position = 0
    for kind, first, last in regions:
        out.extend(lines[position:first - 1])
        if kind == "solution":
            begin = lines[first - 1]
            indent = begin[:len(begin) - len(begin.lstrip())]
            out.append(indent + (ANSWER_STUB if answer else STUB) + ("\n" if lines[last - 1].endswith("\n") else ""))
        position = last
        counts[kind] += 1
    out.extend(lines[position:])
    return "".join(out), counts


def has_code(source: str) -> bool:
    """Whether a source has any line that is not blank or a comment (a hidden-only check cell has none)."""
    return any(line.strip() and not line.strip().startswith("#") for line in source.splitlines())
