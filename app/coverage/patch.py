"""Patch coverage: how much of what a diff adds is covered, computed exactly as diff-cover does.

diff-cover 11 (report_generator.py, violations_reporter.py), reference/formats.md §8:

* measured changed lines of a file = lines the diff adds ∩ lines the report measures;
* a violation is a measured changed line with zero hits (and, with ``branch_coverage``, a
  measured changed line with a partly taken branch, diff-cover's ``--branch-coverage``);
* several reports: a line is measured if *any* report measures it (union); it is a violation only
  if *every* report that has the file calls it one (intersection, taken only over the reports that
  have data for the file, as diff-cover does);
* files with no measured changed line are left out of the figures (deleted files, pure renames,
  files whose changes are all comments);
* total = (measured - violations) / measured · 100 as ``float(covered) / total * 100`` and shown
  truncated with ``int()`` ("98%"); nothing measured gives 100, as in diff-cover.

Files of the diff that no report has data for are listed as *not measured*, never counted as 0%.
Reports without line data (totals only) cannot measure a line and are not used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.coverage.diff import Diff
from app.coverage.model import CoverageReport


@dataclass(frozen=True, slots=True)
class PatchFile:
    """Patch coverage of one file: its measured changed lines and the uncovered ones."""

    path: str
    covered: int
    total: int
    missing: tuple[int, ...]

    @property
    def percent(self) -> float:
        """diff-cover's per-file figure: ``100 - float(uncovered) / measured * 100``."""
        return 100 - float(len(self.missing)) / self.total * 100


@dataclass(frozen=True, slots=True)
class PatchCoverage:
    """The patch coverage of a diff against one or more reports."""

    files: tuple[PatchFile, ...]
    not_measured: tuple[str, ...]
    covered: int
    total: int

    @property
    def percent(self) -> float:
        """Unrounded, in diff-cover's operation order; 100.0 when nothing is measured."""
        if self.total == 0:
            return 100.0
        return float(self.covered) / self.total * 100

    @property
    def display(self) -> str:
        """As diff-cover prints its total: truncated to an integer ("98%")."""
        return f"{int(self.percent)}%"

    def to_json(self) -> dict[str, Any]:
        """The ``coverhub diff --json`` contract (DESIGN.md, "Command line")."""
        return {
            "percent": self.percent,
            "display": self.display,
            "lines": {"covered": self.covered, "total": self.total},
            "files": [
                {"path": f.path, "covered": f.covered, "total": f.total, "missing": list(f.missing)}
                for f in self.files
            ],
            "not_measured": list(self.not_measured),
        }


def patch_coverage(
    reports: Sequence[CoverageReport], diff: Diff, *, branch_coverage: bool = False
) -> PatchCoverage:
    """Patch coverage of ``diff`` measured by ``reports`` (paths already repository-relative)."""
    # Reports that carry only totals (a coverage.py HTML directory, an Istanbul summary) have no
    # line data: they would take part in the intersection of violations with an empty set and
    # clear them all, so they are left out.
    reports = [r for r in reports if r.native_override is None]
    files: list[PatchFile] = []
    not_measured: list[str] = []
    # diff-cover walks the changed paths sorted case-insensitively.
    for diff_file in sorted(diff.files, key=lambda f: (f.path.lower(), f.path)):
        if diff_file.status == "deleted":
            continue
        path = diff_file.path
        having = [r.files[path] for r in reports if path in r.files]
        if not having:
            not_measured.append(path)
            continue
        changed = set(diff_file.added)
        measured: set[int] = set()
        violations: set[int] | None = None
        for file_cov in having:
            lines = file_cov.lines
            # only changed lines matter: violations end up intersected with the changed lines
            here = {line: lines[line] for line in changed if line in lines}
            measured.update(here)
            bad = {line for line, hits in here.items() if hits == 0}
            if branch_coverage:
                for line in here:
                    pair = file_cov.branches.get(line)
                    if pair is not None and pair[0] < pair[1]:
                        bad.add(line)
            violations = bad if violations is None else violations & bad
        if not measured:
            continue
        missing = sorted(measured & (violations or set()))
        files.append(PatchFile(path, len(measured) - len(missing), len(measured), tuple(missing)))
    covered = sum(f.covered for f in files)
    total = sum(f.total for f in files)
    return PatchCoverage(tuple(files), tuple(not_measured), covered, total)
