"""The HTML report coverhub generates when an upload carried none: an index with the totals and
the hierarchical tree (module, package or directory, file) with percentages, and one page per file
listing its covered, partial and missed lines.

Pure: the report in, HTML text out. Views are built as plain dataclasses and handed to Jinja
templates (``app/render/templates``) with autoescaping on, because every path and name in a report
comes from an untrusted upload.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

import jinja2

from app.coverage import rollup
from app.coverage.model import Counts, CoverageReport, FileCoverage, LineTotals
from app.coverage.percent import UNIFIED, DisplayRule

#: Where file pages live inside a generated report.
FILES_DIR = "files/"
UNIFIED_LABEL = "Unified (lines: hits / (hits + partials + misses), as Codecov)"


@functools.cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("app.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass(frozen=True, slots=True)
class Totals:
    native_display: str
    native_counts: str
    unified_display: str
    lines: str
    branches: str


@dataclass(frozen=True, slots=True)
class Row:
    depth: int
    name: str
    kind: str
    href: str | None
    native_display: str
    native_counts: str
    unified_display: str
    lines: str


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    hits: int
    status: str  # covered | partial | missed
    branches: str


def _totals(rule: DisplayRule, native: Counts, lines: LineTotals, branches: Counts) -> Totals:
    return Totals(
        native_display=rule.display(native.covered, native.total),
        native_counts=f"{native.covered} of {native.total}",
        unified_display=UNIFIED.display(lines.hits, lines.total),
        lines=f"{lines.hits} hit, {lines.partial} partial, {lines.misses} missed",
        branches=f"{branches.covered} of {branches.total}" if branches.total else "",
    )


def file_page_name(path: str) -> str:
    """The page of ``path`` inside a generated report (URL-quoted, relative to the index)."""
    return FILES_DIR + quote(path, safe="/") + ".html"


def _tree(report: CoverageReport) -> tuple[str, rollup.Node]:
    if any(f.package for f in report.files.values()):
        return "By package", rollup.by_package(report)
    return "By directory", rollup.by_directory(report)


def _native_label(report: CoverageReport) -> str:
    return f"Native ({report.unit}, as {report.rule.tool} prints it)"


def render_index(report: CoverageReport, *, title: str, subtitle: str) -> str:
    """The index page: totals, then the tree with native and unified percentages per node."""
    heading, root = _tree(report)
    rows = []
    for depth, node in root.walk():
        if node.kind == rollup.ROOT:
            continue
        href = file_page_name(node.key) if node.kind == rollup.FILE else None
        t = _totals(report.rule, node.native, node.lines, node.branches)
        rows.append(
            Row(
                depth - 1,
                node.name,
                node.kind,
                href,
                t.native_display,
                t.native_counts,
                t.unified_display,
                t.lines,
            )
        )
    return (
        _env()
        .get_template("index.html")
        .render(
            title=title,
            subtitle=subtitle,
            totals=_totals(report.rule, root.native, root.lines, root.branches),
            native_label=_native_label(report),
            native_short="native",
            native_unit=report.unit,
            unified_label=UNIFIED_LABEL,
            tree_heading=heading,
            rows=rows,
        )
    )


def line_status(f: FileCoverage) -> list[Line]:
    """Each measured line of ``f`` with its status: missed (no hits), partial (hit, but some of
    its branches were not taken) or covered."""
    out = []
    for number, hits in f.lines.items_sorted():
        pair = f.branches.get(number)
        if hits == 0:
            status = "missed"
        elif pair is not None and pair[0] < pair[1]:
            status = "partial"
        else:
            status = "covered"
        out.append(Line(number, hits, status, f"{pair[0]}/{pair[1]}" if pair else ""))
    return out


def ranges(numbers: Iterable[int]) -> str:
    """``1, 2, 3, 7`` -> ``"1-3, 7"``."""
    parts: list[str] = []
    start = prev = None
    for n in numbers:
        if start is None:
            start = prev = n
        elif prev is not None and n == prev + 1:
            prev = n
        else:
            parts.append(f"{start}-{prev}" if start != prev else str(start))
            start = prev = n
    if start is not None:
        parts.append(f"{start}-{prev}" if start != prev else str(start))
    return ", ".join(parts)


def render_file(report: CoverageReport, path: str, *, title: str, subtitle: str) -> str:
    """The page of one file; KeyError if the report has no such file."""
    f = report.files[path]
    lines = line_status(f)
    depth = (FILES_DIR + path).count("/")
    return (
        _env()
        .get_template("file.html")
        .render(
            title=f"{path} - {title}",
            report_title=title,
            subtitle=subtitle,
            path=path,
            index_href="../" * depth,
            totals=_totals(report.rule, f.native, f.line_totals(), f.branch_totals()),
            native_label=_native_label(report),
            unified_label=UNIFIED_LABEL,
            missed_ranges=ranges(ln.number for ln in lines if ln.status == "missed"),
            partial_ranges=ranges(ln.number for ln in lines if ln.status == "partial"),
            lines=lines,
        )
    )


def render_message(title: str, message: str, links: Iterable[tuple[str, str]] = ()) -> str:
    """A small page: an error (404, 403) or a list of links (the flags of a commit)."""
    return (
        _env().get_template("message.html").render(title=title, message=message, links=list(links))
    )
