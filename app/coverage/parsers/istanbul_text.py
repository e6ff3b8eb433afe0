"""The four metrics of Istanbul's text summary, and the ``text-summary`` reporter's body.

Statements are a final-file report's native totals, branches its ``branch_totals()``, functions
the files' function totals and lines its ``line_totals()``, as istanbul-lib-coverage counts them.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.coverage import percent
from app.coverage.model import Counts, CoverageReport


@dataclass(frozen=True, slots=True)
class Metrics:
    """The four metrics of Istanbul's text summary."""

    statements: Counts
    branches: Counts
    functions: Counts
    lines: Counts


def metrics(report: CoverageReport) -> Metrics:
    """Statements, branches, functions and lines of a final-file report, as Istanbul counts them."""
    functions = Counts()
    for f in report.files.values():
        functions = functions + f.function_totals()
    lines = report.line_totals()
    return Metrics(
        statements=report.native_totals(),
        branches=report.branch_totals(),
        functions=functions,
        lines=Counts(lines.covered, lines.total),
    )


def text_summary(report: CoverageReport) -> str:
    """The body of Istanbul's ``text-summary`` reporter (without its ``====`` frame)."""
    m = metrics(report)
    rows = []
    for label, counts in (
        ("Statements", m.statements),
        ("Branches", m.branches),
        ("Functions", m.functions),
        ("Lines", m.lines),
    ):
        shown = percent.ISTANBUL.display(counts.covered, counts.total)
        if not report.files:
            shown = "Unknown%"  # istanbul-lib-coverage blankSummary()
        rows.append(f"{label:<12} : {shown} ( {counts.covered}/{counts.total} )")
    return "\n".join(rows)
