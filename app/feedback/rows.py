"""The comment's table of changed files: which files, in which order, with which texts (pure).

Listed: the files the diff touched that a report knows (head or base), plus *indirect* changes
(files the diff did not touch whose coverage changed); for a push, every file whose coverage
changed. Ordered by impact, largest first: the change in the number of missed units (native
unit: statements, lines, ...), then the size of the percentage change, then the path.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from app.coverage.compare import ADDED, REMOVED, UNCHANGED, FileDelta
from app.coverage.model import Counts
from app.feedback import display
from app.feedback.inputs import FeedbackInput


@dataclass(frozen=True, slots=True)
class FileRow:
    """One row: texts are final (already formatted), ``path`` is raw (escape when rendering)."""

    path: str
    coverage: str
    change: str
    patch: str
    impact: int
    indirect: bool = False
    renamed_from: str | None = None

    def key(self) -> tuple[str, ...]:
        """What the row shows (for the change digest)."""
        return (self.path, self.coverage, self.change, self.patch, str(self.indirect))


def _patch_cells(inp: FeedbackInput) -> dict[str, str]:
    cells: dict[str, str] = {}
    if inp.patch is None:
        return cells
    for pf in inp.patch.files:
        cells[pf.path] = display.clamp(f"{int(pf.percent)}%", pf.covered, pf.total)
    for path in inp.not_measured:
        cells[path] = "not measured"
    return cells


def _missed(counts: Counts | None) -> int:
    return 0 if counts is None else counts.missed


def rows(inp: FeedbackInput) -> list[FileRow]:
    """All rows, largest impact first."""
    patch = _patch_cells(inp)
    rule = inp.head.rule
    touched = inp.changed_paths
    comparison = inp.comparison
    out: list[tuple[Fraction, FileRow]] = []
    if comparison is None:
        for path in sorted(touched & set(inp.head.files)):
            native = inp.head.files[path].native
            row = FileRow(
                path,
                display.percent_of(rule, native),
                "no base",
                patch.get(path, display.DASH),
                native.missed,
            )
            out.append((Fraction(0), row))
    else:
        for d in comparison.files:
            listed = d.path in touched or (d.base_path is not None and d.base_path in touched)
            if not listed and not d.indirect and (touched or d.status == UNCHANGED):
                continue
            out.append(_delta_row(inp, d, patch, comparison.native_comparable))
    out.sort(key=lambda pair: (-pair[1].impact, -pair[0], pair[1].path))
    return [row for _, row in out]


def _delta_row(
    inp: FeedbackInput, d: FileDelta, patch: dict[str, str], native: bool
) -> tuple[Fraction, FileRow]:
    rule = inp.head.rule
    head = d.head.native if d.head is not None else None
    base = d.base.native if d.base is not None else None
    impact = abs(_missed(head) - _missed(base))
    change = d.native_delta if native else d.unified_delta
    if d.status == ADDED:
        cov, text = display.percent_of(rule, head or Counts()), "new"
    elif d.status == REMOVED:
        base_rule = inp.base.rule if inp.base is not None else rule
        cov, text = "removed", f"was {display.percent_of(base_rule, base or Counts())}"
    else:
        cov, text = display.percent_of(rule, head or Counts()), display.delta(change)
    renamed = d.base_path if d.base_path not in (None, d.path) else None
    row = FileRow(d.path, cov, text, patch.get(d.path, display.DASH), impact, d.indirect, renamed)
    return abs(change or Fraction(0)), row
