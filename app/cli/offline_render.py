"""Output of the offline tools: the ``report --json`` contract and the text tables.

:func:`report_json` is the stable ``coverhub report --json`` contract (DESIGN.md);
:func:`report_table` prints per file (or rolled up by directory or by module and package) the
native figure as the tool prints it next to the unified line metric; :func:`patch_table` prints
the patch coverage of ``coverhub diff``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.coverage import percent
from app.coverage.model import Counts, CoverageReport, FileCoverage, LineTotals
from app.coverage.patch import PatchCoverage
from app.coverage.rollup import Node, by_directory, by_package


def _native_json(rule: percent.DisplayRule, unit: str, counts: Counts) -> dict[str, Any]:
    return {
        "unit": unit,
        "covered": counts.covered,
        "total": counts.total,
        "percent": rule.percent(counts.covered, counts.total),
        "display": rule.display(counts.covered, counts.total),
    }


def _lines_json(lines: LineTotals) -> dict[str, int]:
    return {"covered": lines.covered, "total": lines.total, "partial": lines.partial}


def _branches_json(branches: Counts) -> dict[str, int]:
    return {"covered": branches.covered, "total": branches.total}


def report_json(report: CoverageReport) -> dict[str, Any]:
    """The ``coverhub report --json`` contract (DESIGN.md)."""
    return {
        "format": report.format,
        "native": _native_json(report.rule, report.unit, report.native_totals()),
        "lines": _lines_json(report.line_totals()),
        "branches": _branches_json(report.branch_totals()),
        "files": [
            {
                "path": f.path,
                "native": _native_json(report.rule, report.unit, f.native),
                "lines": _lines_json(f.line_totals()),
                "branches": _branches_json(f.branch_totals()),
            }
            for f in report.files.values()
        ],
    }


def _unified(lines: LineTotals) -> str:
    return percent.UNIFIED.display(lines.hits, lines.total)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], footer: Sequence[str]) -> str:
    widths = [len(h) for h in headers]
    for row in [*rows, footer]:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def fmt(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(widths[i + 1]) for i, cell in enumerate(row[1:])]
        return "  ".join(cells).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([fmt(headers), rule, *(fmt(r) for r in rows), rule, fmt(footer)])


def _rows(report: CoverageReport, by: str, modules: Mapping[str, str]) -> list[tuple[str, Node]]:
    """Table rows: files, or a roll-up (indented names, parents before children)."""
    if by == "file":
        return [(f.path, _file_node(f)) for f in report.files.values()]
    root = by_directory(report) if by == "directory" else by_package(report, modules or None)
    rows: list[tuple[str, Node]] = []
    for depth, node in root.walk():
        if depth == 0:
            continue
        name = node.key if node.kind != "file" else node.name
        rows.append(("  " * (depth - 1) + name + ("/" if node.kind == "directory" else ""), node))
    return rows


def _file_node(f: FileCoverage) -> Node:
    return Node(f.path, f.path, "file", f.native, f.line_totals(), f.branch_totals())


def report_table(
    report: CoverageReport, by: str = "file", modules: Mapping[str, str] | None = None
) -> str:
    """A table with a TOTAL row: per file (or rolled up by directory or by module and package),
    the native figure as the tool prints it and the labelled unified metric."""
    unit = report.unit
    tool = report.rule.tool

    def row(name: str, native: Counts, lines: LineTotals) -> list[str]:
        return [
            name,
            str(native.total),
            str(native.missed),
            report.rule.display(native.covered, native.total),
            str(lines.total),
            str(lines.partial),
            str(lines.misses),
            _unified(lines) if lines.total else "-",
        ]

    headers = [
        "Name",
        {"statements": "Stmts", "lines": "Measured"}.get(unit, unit.capitalize()),
        "Miss",
        "Cover",
        "Lines",
        "Partial",
        "Line miss",
        "Unified",
    ]
    rows = [row(name, node.native, node.lines) for name, node in _rows(report, by, modules or {})]
    native, lines = report.native_totals(), report.line_totals()
    footer = row("TOTAL", native, lines)
    how = (
        "line-level merge of several formats"
        if report.format == "mixed"
        else f"as {tool} prints it"
    )
    note = (
        f"Format {report.format}"
        + (f" (mode {report.mode})" if report.mode else "")
        + f": {report.native_display()} of {unit} ({how}). "
        + f"Unified (hits / (hits + partials + misses), lines): {_unified(lines)}."
    )
    return _table(headers, rows, footer) + "\n\n" + note


def patch_table(result: PatchCoverage) -> str:
    rows = [[f.path, str(f.covered), str(f.total), _ranges(f.missing)] for f in result.files]
    footer = ["TOTAL", str(result.covered), str(result.total), result.display]
    text = _table(["File", "Covered", "Lines", "Missing"], rows, footer)
    if result.not_measured:
        text += "\n\nNot measured (no coverage data): " + ", ".join(result.not_measured)
    return text + f"\n\nPatch coverage (diff-cover rules): {result.display}"


def _ranges(lines: Sequence[int]) -> str:
    out: list[str] = []
    start = prev = None
    for line in lines:
        if start is None:
            start = prev = line
        elif prev is not None and line == prev + 1:
            prev = line
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = line
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(out)
