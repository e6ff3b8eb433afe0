"""Merging reports: several reports of one commit (shards, test suites, flags) into one.

Reports of one format merge by that format's own rules:

* Go profiles (``gocover``): :func:`app.coverage.parsers.gocover.merge_profiles`, block by block as
  Go's tools do (``set`` ORs, ``count``/``atomic`` add; see there for mixed modes and blocks from
  different toolchains);
* LCOV, Cobertura, Clover, JaCoCo, Istanbul: per-line **sum** of hits (``lcov -a``, Cobertura
  merge), saturating at :data:`MAX_COUNT`;
* coverage.py (JSON, HTML): union of executed lines: hits are 0/1, merged with **OR** (max);
* branches, in every format: per line the larger covered count and the larger total. The model
  keeps per-line counts, not branch identities, so this is exact when the inputs measure the same
  branches and a lower bound otherwise (two suites taking *different* branches of a line);
* functions are matched by (name, start line), their hits merged like line hits.

The native counts of a merged file are recomputed where the format's unit is derived from lines:
lines (LCOV, Cobertura, unit ``lines``) and coverage.py's statements + branches (its JSON, and its
Cobertura XML, whose unit is ``statements+branches``). For units the
line data cannot rebuild (JaCoCo instructions, Clover elements, Istanbul statements), a file found
in one input keeps its counts and a file found in several gets the larger covered and the larger
total seen (a lower bound, labelled as such in the docstring of :func:`merge`).

Reports of different formats merge into format ``"mixed"`` at line level (rule "mixed-lines"): a
line is measured if any input measures it and its hits are the **largest** hits any input gives it
(coverage = OR; counts in different units are never added). The native unit of a mixed report is
``lines``: covered lines / measured lines, shown with two decimals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from app.coverage import percent
from app.coverage.errors import IncompatibleReports
from app.coverage.model import (
    MAX_COUNT,
    Counts,
    CoverageReport,
    FileCoverage,
    Function,
    LineHits,
)
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits

MIXED = "mixed"
#: How a mixed report shows its native (line) figure: a plain percentage, two decimals.
MIXED_RULE = percent.DisplayRule("cobertura", 2)
#: Formats whose hits are 0/1 executed flags: merged with OR.
OR_FORMATS = frozenset({"coveragepy-json", "coveragepy-html", "coveragepy"})

Combine = Callable[[int, int], int]


def _sum(a: int, b: int) -> int:
    total = a + b
    return total if total < MAX_COUNT else MAX_COUNT


def _max(a: int, b: int) -> int:
    return a if a >= b else b


def combine_for(fmt: str) -> Combine:
    """How two hit counts of one line combine for a format (sum, or OR as max of 0/1)."""
    if fmt in OR_FORMATS or fmt.startswith("coveragepy") or fmt == MIXED:
        return _max
    return _sum


def merge(
    reports: Sequence[CoverageReport], source: str = "merge", limits: Limits = DEFAULT_LIMITS
) -> CoverageReport:
    """Merge reports into one. ``source`` names the merge in errors.

    One report is returned as it is. Reports of one format follow that format's rules (module
    docstring); reports of several formats give a ``"mixed"`` line-level report.
    """
    if not reports:
        raise IncompatibleReports(source, "there is no report to merge")
    if len(reports) == 1:
        return reports[0]
    formats = {r.format for r in reports}
    if len(formats) == 1:
        fmt = reports[0].format
        if fmt == "gocover":
            from app.coverage.parsers import gocover  # the Go rules live with the Go parser

            return gocover.merge_profiles(reports, source, limits)
        return _merge_same(reports, fmt, source)
    return _merge_mixed(reports, source)


def _override(reports: Sequence[CoverageReport], source: str) -> Counts | None:
    """Reports that carry only a total (HTML, summaries) merge only when their files are apart."""
    if all(r.native_override is None for r in reports):
        return None
    if any(r.native_override is None for r in reports):
        raise IncompatibleReports(
            source, "a report that only carries totals cannot be merged with a per-line report"
        )
    seen: set[str] = set()
    for r in reports:
        if seen & r.files.keys():
            raise IncompatibleReports(
                source, "reports that only carry totals cannot be merged when they share files"
            )
        seen |= r.files.keys()
    total = Counts()
    for r in reports:
        assert r.native_override is not None
        total = total + r.native_override
    return total


def _by_path(reports: Sequence[CoverageReport]) -> dict[str, list[FileCoverage]]:
    by_path: dict[str, list[FileCoverage]] = {}
    for r in reports:
        for path, f in r.files.items():
            by_path.setdefault(path, []).append(f)
    return dict(sorted(by_path.items()))


def _merge_same(reports: Sequence[CoverageReport], fmt: str, source: str) -> CoverageReport:
    override = _override(reports, source)
    combine = combine_for(fmt)
    unit = reports[0].unit
    native_of = _native_rule(fmt, unit)
    files = {
        path: merge_files(path, inputs, combine, native_of)
        for path, inputs in _by_path(reports).items()
    }
    first = reports[0]
    return CoverageReport(
        format=fmt,
        unit=unit,
        rule=first.rule,
        files=files,
        mode=first.mode,
        native_override=override,
    )


def _merge_mixed(reports: Sequence[CoverageReport], source: str) -> CoverageReport:
    if any(r.native_override is not None for r in reports):
        names = sorted({r.format for r in reports if r.native_override is not None})
        raise IncompatibleReports(
            source,
            f"{', '.join(names)} carries only totals: it cannot be merged with other formats",
        )
    files = {
        path: merge_files(path, inputs, _max, _lines_native)
        for path, inputs in _by_path(reports).items()
    }
    return CoverageReport(format=MIXED, unit="lines", rule=MIXED_RULE, files=files)


NativeOf = Callable[[FileCoverage, Sequence[FileCoverage]], Counts]


def _lines_native(merged: FileCoverage, inputs: Sequence[FileCoverage]) -> Counts:
    return Counts(merged.lines.covered_count(), len(merged.lines))


def _coveragepy_native(merged: FileCoverage, inputs: Sequence[FileCoverage]) -> Counts:
    # coverage.py: (executed statements + executed branches) / (statements + branches)
    branches = merged.branch_totals()
    return Counts(
        merged.lines.covered_count() + branches.covered, len(merged.lines) + branches.total
    )


def _kept_native(merged: FileCoverage, inputs: Sequence[FileCoverage]) -> Counts:
    if len(inputs) == 1:
        return inputs[0].native
    return Counts(max(f.native.covered for f in inputs), max(f.native.total for f in inputs))


def _native_rule(fmt: str, unit: str) -> NativeOf:
    # coverage.py's unit also comes from its Cobertura XML ("statements+branches")
    if fmt.startswith("coveragepy") or unit == "statements+branches":
        return _coveragepy_native
    if unit == "lines":
        return _lines_native
    return _kept_native


def merge_files(
    path: str,
    inputs: Sequence[FileCoverage],
    combine: Combine,
    native_of: NativeOf = _kept_native,
) -> FileCoverage:
    """Merge the coverage of one file from several reports (see the module docstring)."""
    if len(inputs) == 1:
        return inputs[0]
    hits: dict[int, int] = {}
    for f in inputs:
        for line, count in f.lines.items_sorted():
            previous = hits.get(line)
            hits[line] = count if previous is None else combine(previous, count)
    branches: dict[int, tuple[int, int]] = {}
    for f in inputs:
        for line, (covered, total) in f.branches.items():
            old = branches.get(line)
            branches[line] = (
                (covered, total)
                if old is None
                else (
                    max(old[0], covered),
                    max(old[1], total),
                )
            )
    functions: dict[tuple[str, int], Function] = {}
    for f in inputs:
        for fn in f.functions:
            key = (fn.name, fn.start_line)
            known = functions.get(key)
            functions[key] = (
                fn
                if known is None
                else Function(
                    fn.name,
                    fn.start_line,
                    combine(known.hits, fn.hits),
                    known.end_line or fn.end_line,
                )
            )
    merged = FileCoverage(
        path=path,
        lines=LineHits.from_mapping(hits),
        branches=dict(sorted(branches.items())),
        functions=tuple(functions[k] for k in sorted(functions, key=lambda k: (k[1], k[0]))),
        package=next((f.package for f in inputs if f.package), None),
        blocks=None,
    )
    return replace(merged, native=native_of(merged, inputs))


def rename_files(
    report: CoverageReport, paths: Mapping[str, str | None], source: str = "paths"
) -> CoverageReport:
    """The report with its files renamed (``None`` drops a file); files that land on one path are
    merged by the report's format rules (line level)."""
    combine = combine_for(report.format)
    native_of = _native_rule(report.format, report.unit)
    grouped: dict[str, list[FileCoverage]] = {}
    for old, f in report.files.items():
        new = paths.get(old, old)
        if new is None:
            continue
        grouped.setdefault(new, []).append(f)
    files: dict[str, FileCoverage] = {}
    for new, inputs in sorted(grouped.items()):
        if len(inputs) == 1:
            f = inputs[0]
            files[new] = f if f.path == new else replace(f, path=new)
        else:
            files[new] = merge_files(new, inputs, combine, native_of)
    return CoverageReport(
        format=report.format,
        unit=report.unit,
        rule=report.rule,
        files=files,
        mode=report.mode,
        native_override=report.native_override,
    )


#: Which of several reports of one run to keep: the richest format first.
PREFERENCE = (
    "gocovdata",
    "gocover",
    "coveragepy-json",
    "istanbul",
    "jacoco",
    "clover",
    "cobertura",
    "lcov",
)


def _suffix_related(a: str, b: str) -> bool:
    """One path is the other with leading directories (``/src/m/index.js`` vs ``index.js``)."""
    if a == b:
        return True
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return long.endswith("/" + short.lstrip("/"))


def _same_lines(a: CoverageReport, b: CoverageReport) -> bool:
    """Same files (paths equal, or equal up to leading directories) with the same line hits."""
    if len(a.files) != len(b.files) or not a.files:
        return False
    if a.files.keys() == b.files.keys():
        return all(a.files[p].lines == b.files[p].lines for p in a.files)
    by_base: dict[str, list[FileCoverage]] = {}
    for f in b.files.values():
        by_base.setdefault(f.path.rsplit("/", 1)[-1], []).append(f)
    for f in a.files.values():
        candidates = by_base.get(f.path.rsplit("/", 1)[-1], [])
        if not any(_suffix_related(f.path, g.path) and f.lines == g.lines for g in candidates):
            return False
    return True


def _lists_files_of(summary: CoverageReport, other: CoverageReport) -> bool:
    """Does ``other`` have every file the totals-only ``summary`` lists?"""
    if not summary.files:
        return False
    if summary.files.keys() <= other.files.keys():
        return True
    return all(any(_suffix_related(p, q) for q in other.files) for p in summary.files)


def dedupe(reports: Sequence[CoverageReport]) -> list[CoverageReport]:
    """Drop reports that repeat another one: an artifact often holds one run in several formats
    (``coverage.xml``, ``coverage.json`` and ``htmlcov/``; nyc's ``lcov.info``, ``clover.xml`` and
    ``coverage-final.json``). Merging those would count the run twice (or mix units).

    A report is a repeat when another kept report *of another format* has the same files (equal
    paths, or equal up to leading directories, as LCOV's relative and Cobertura's absolute names)
    with the same line hits, or, for a report that only carries totals (HTML, summaries), when
    another kept report has every file it lists. The report kept is the one of the richest format
    (:data:`PREFERENCE`, per-line reports before totals-only ones); the order is kept. Reports of
    one format are never dropped: two shards with equal hits are two runs; their counts add up.
    """

    def rank(index: int) -> tuple[int, int, int]:
        r = reports[index]
        known = PREFERENCE.index(r.format) if r.format in PREFERENCE else len(PREFERENCE)
        return (r.native_override is not None, known, index)

    kept: list[int] = []
    for index in sorted(range(len(reports)), key=rank):
        r = reports[index]
        others = [reports[k] for k in kept if reports[k].format != r.format]
        if r.native_override is not None:
            repeat = any(_lists_files_of(r, other) for other in others)
        else:
            repeat = any(_same_lines(r, other) for other in others)
        if not repeat:
            kept.append(index)
    return [reports[i] for i in sorted(kept)]
