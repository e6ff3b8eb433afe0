"""Head vs base: coverage deltas per file and in total, added and removed files, indirect changes.

Deltas are exact (:class:`~fractions.Fraction` percentage points, head minus base) in two
measures: the report's *native* one (only when both reports share format and unit, otherwise
``None``: Go statements cannot be compared with coverage.py statements+branches) and the labelled
*unified* line metric (hits / (hits + partials + misses)), which always compares.

Renames come from the diff (new path -> old path): a renamed file is compared with its old self.
An *indirect change* is a file present on both sides whose coverage changed although the diff
did not touch it (neither its new nor its old path): tests elsewhere changed what runs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from app.coverage.model import Counts, CoverageReport, FileCoverage, LineTotals

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"
UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Totals:
    """One side's figures for a file or a report."""

    native: Counts
    lines: LineTotals
    branches: Counts

    @classmethod
    def of_file(cls, f: FileCoverage) -> Totals:
        return cls(f.native, f.line_totals(), f.branch_totals())

    @classmethod
    def of_report(cls, r: CoverageReport) -> Totals:
        return cls(r.native_totals(), r.line_totals(), r.branch_totals())

    def native_ratio(self) -> Fraction | None:
        return self.native.ratio()

    def unified_ratio(self) -> Fraction | None:
        return self.lines.unified()


def points(head: Fraction | None, base: Fraction | None) -> Fraction | None:
    """Head minus base in percentage points, exact; ``None`` when a side has nothing measured."""
    if head is None or base is None:
        return None
    return (head - base) * 100


@dataclass(frozen=True, slots=True)
class FileDelta:
    """One file of the comparison. ``path`` is the head path (the base path for a removed file)."""

    path: str
    base_path: str | None
    status: str
    head: Totals | None
    base: Totals | None
    native_delta: Fraction | None
    unified_delta: Fraction | None
    indirect: bool = False


@dataclass(frozen=True, slots=True)
class Comparison:
    """The whole comparison; ``files`` lists every file of either side, head paths in order."""

    head: Totals
    base: Totals
    native_comparable: bool
    native_delta: Fraction | None
    unified_delta: Fraction | None
    files: tuple[FileDelta, ...]
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    indirect: tuple[str, ...] = ()
    renamed: Mapping[str, str] = field(default_factory=dict)

    def changed_files(self) -> list[FileDelta]:
        return [f for f in self.files if f.status != UNCHANGED]


def _same(a: FileCoverage, b: FileCoverage) -> bool:
    return a.lines == b.lines and dict(a.branches) == dict(b.branches) and a.native == b.native


def compare(
    head: CoverageReport,
    base: CoverageReport,
    changed_paths: Collection[str] | None = None,
    renames: Mapping[str, str] | None = None,
) -> Comparison:
    """Compare ``head`` with ``base``.

    ``changed_paths`` are the paths the diff touched (old and new sides, see
    :meth:`app.coverage.diff.Diff.changed_paths`); without it no file is called indirect.
    ``renames`` maps a head path to the base path it was renamed from.
    """
    renames = {new: old for new, old in (renames or {}).items() if new in head.files}
    comparable = head.format == base.format and head.unit == base.unit
    touched = set(changed_paths) if changed_paths is not None else None
    used_base: set[str] = set()
    files: list[FileDelta] = []
    for path, hf in head.files.items():
        base_path = renames.get(path, path)
        bf = base.files.get(base_path)
        if bf is None and base_path != path:
            base_path, bf = path, base.files.get(path)
        if bf is None:
            ht = Totals.of_file(hf)
            files.append(FileDelta(path, None, ADDED, ht, None, None, None))
            continue
        used_base.add(base_path)
        ht, bt = Totals.of_file(hf), Totals.of_file(bf)
        status = UNCHANGED if _same(hf, bf) else CHANGED
        indirect = (
            status == CHANGED
            and touched is not None
            and path not in touched
            and base_path not in touched
        )
        files.append(
            FileDelta(
                path,
                base_path,
                status,
                ht,
                bt,
                points(ht.native_ratio(), bt.native_ratio()) if comparable else None,
                points(ht.unified_ratio(), bt.unified_ratio()),
                indirect,
            )
        )
    for path, bf in base.files.items():
        if path in used_base:
            continue
        files.append(FileDelta(path, path, REMOVED, None, Totals.of_file(bf), None, None))
    files.sort(key=lambda d: d.path)
    head_totals, base_totals = Totals.of_report(head), Totals.of_report(base)
    return Comparison(
        head=head_totals,
        base=base_totals,
        native_comparable=comparable,
        native_delta=(
            points(head_totals.native_ratio(), base_totals.native_ratio()) if comparable else None
        ),
        unified_delta=points(head_totals.unified_ratio(), base_totals.unified_ratio()),
        files=tuple(files),
        added=tuple(d.path for d in files if d.status == ADDED),
        removed=tuple(d.path for d in files if d.status == REMOVED),
        indirect=tuple(d.path for d in files if d.indirect),
        renamed={new: old for new, old in renames.items() if old in used_base},
    )
