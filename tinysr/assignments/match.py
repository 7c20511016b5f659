"""Which assignment a submission is, and which of its cells are which: by cell id, else by content.

Cells keep the ids of the handout (nbformat >= 4.5), and that is the grader's first evidence. Older tools
save notebooks without ids (nbformat 4.4), and an editor may give pasted cells new ones, so a cell whose id
the source does not know is matched **by content** against the handout's cells: a check by its
``# Check:`` line, a setup cell by its text (close enough), a solution cell by the names it defines and the
lines the handout gave around the stub. Each source cell is matched at most once; what is left is the
student's own code. A setup or check cell that was matched is restored from the source and never read as
the student's code.

The assignment is the one the cells show (ids, else content); the notebook metadata only decides when the
cells say nothing. When the two disagree the cells win and every row is flagged ``metadata-mismatch``; a
notebook identified without its metadata is flagged ``by-cell-ids`` or ``by-content``.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from .markers import ANSWER_STUB, STUB
from .spec import AssignmentSpec, SourceCell, top_level_names

__all__ = ["identify", "match_cells", "answer_texts", "collect_answers", "AnswerResult", "MATCH_THRESHOLD"]

MATCH_THRESHOLD = 0.6        # similarity a cell without a known id needs to count as a source cell


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines() if line.strip())


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _similarity(sc: SourceCell, text: str) -> float:
    """How well a submission cell's ``text`` fits source cell ``sc`` as the handout gave it, in [0, 1]."""
    if sc.role == "check":
        return 1.0 if _first_line(text) == _first_line(sc.handout) else 0.0
    if sc.role == "solution":
        defined = top_level_names(text) & top_level_names(sc.source)
        kept = [line.strip() for line in sc.handout.splitlines() if line.strip() and line.strip() != STUB]
        if not defined or not kept:
            return 0.0
        present = {line.strip() for line in text.splitlines()}
        return 0.5 + 0.5 * sum(line in present for line in kept) / len(kept)
    a, b = _norm(sc.handout), _norm(text)
    if a == b:
        return 1.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.ratio() if matcher.real_quick_ratio() >= MATCH_THRESHOLD else 0.0


def match_cells(spec: AssignmentSpec, cells: list) -> list[SourceCell | None]:
    """For each code cell of a submission (in order), the source cell it is, or None for the student's own.
    Ids first; cells with an unknown or no id by content (best pairs first, each source cell once)."""
    known = {c.id: c for c in spec.cells}
    matched: list[SourceCell | None] = [None] * len(cells)
    taken: set[str] = set()
    for i, cell in enumerate(cells):
        sc = known.get(cell.get("id"))
        if sc is not None and sc.id not in taken:
            matched[i], _ = sc, taken.add(sc.id)
    free = [c for c in spec.cells if c.id not in taken]
    pairs = []
    for i, cell in enumerate(cells):
        if matched[i] is None and cell.get("id") not in known:
            for k, sc in enumerate(free):
                score = _similarity(sc, cell.source)
                if score >= MATCH_THRESHOLD:
                    pairs.append((-score, abs(i / max(len(cells), 1) - k / max(len(free), 1)), i, sc))
    for _, _, i, sc in sorted(pairs, key=lambda p: p[:3]):
        if matched[i] is None and sc.id not in taken:
            matched[i], _ = sc, taken.add(sc.id)
    return matched


def _content_overlap(spec: AssignmentSpec, texts: list[str]) -> float:
    shown = [c for c in spec.cells if not c.hidden]
    firsts = {_first_line(t) for t in texts}
    norms = {_norm(t) for t in texts}
    hits = sum((_first_line(c.handout) in firsts) if c.role == "check" else (_norm(c.handout) in norms)
               for c in shown)
    return hits / max(len(shown), 1)


def identify(nb, specs: dict[str, AssignmentSpec]) -> tuple[AssignmentSpec | None, str]:
    """The spec of submission ``nb`` and a flag: "" (metadata and cells agree, or the cells say nothing),
    ``"metadata-mismatch"``, ``"by-cell-ids"``, ``"by-content"``, or, with no spec, why none."""
    meta = nb.metadata.get("tinysr")
    declared = meta.get("assignment") if isinstance(meta, dict) else None
    code = [c for c in nb.cells if c.cell_type == "code"]
    ids = {c.get("id") for c in nb.cells} - {None}
    by_ids = {n: len(ids & {c.id for c in s.cells}) / len(s.cells) for n, s in specs.items()}
    by_text = {n: _content_overlap(s, [c.source for c in code]) for n, s in specs.items()}
    evidence, how = None, ""
    for scores, kind in ((by_ids, "by-cell-ids"), (by_text, "by-content")):
        best = max(scores, key=scores.get, default=None)
        if best is not None and scores[best] >= 0.5:
            evidence, how = best, kind
            break
    if declared in specs and evidence in (None, declared):
        return specs[declared], ""
    if evidence is not None:
        return specs[evidence], ("metadata-mismatch" if declared else how)
    said = f"its metadata names {declared!r}" if declared else "it has no tinysr.assignment metadata"
    return None, (f"unidentified: {said}, and no source shares half its code cell ids or contents; known "
                  f"assignments: {', '.join(specs) or 'none'}")


def answer_texts(spec: AssignmentSpec, nb) -> dict[str, str | None]:
    """What the student wrote in each written-answer cell (None: the cell is gone). Found by id, else (a
    notebook without ids) as the markdown cell that starts with the handout answer cell's first line."""
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    answer_ids = {a.cell_id for a in spec.answers.values()}
    out: dict[str, str | None] = {}
    for name, answer in spec.answers.items():
        cell = next((c for c in markdown if c.get("id") == answer.cell_id), None)
        first = _first_line(answer.handout)
        if cell is None and first:
            cell = next((c for c in markdown if c.get("id") not in answer_ids and _first_line(c.source) == first),
                        None)
        out[name] = None if cell is None else cell.source
    return out


@dataclass
class AnswerResult:
    """A written answer, for the teacher to grade by hand: ``text`` is what the student wrote (None: the
    cell is missing); ``flags`` start with ``needs_review``."""

    task: str
    max_points: float
    text: str | None
    flags: list[str] = field(default_factory=list)


def collect_answers(spec: AssignmentSpec, nb) -> list[AnswerResult]:
    """Each written answer as the student left it: flagged ``needs_review``, and ``no-answer`` when it is
    missing or still as handed out."""
    out = []
    for name, text in answer_texts(spec, nb).items():
        handout = spec.answers[name].handout
        blank = text is None or " ".join(text.split()) in ("", " ".join(handout.split()), ANSWER_STUB)
        flags = ["needs_review"] + (["no-answer"] if blank else [])
        out.append(AnswerResult(name, spec.answers[name].points, text, flags))
    return out
