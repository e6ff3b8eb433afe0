"""Clover XML (OpenClover, PHPUnit, Istanbul's ``clover`` reporter); reference/formats.md §6.4.

Layout: ``coverage > project > [package >] file > line*`` with ``metrics`` at every level; PHPUnit
puts ``class`` (with its own ``metrics``) inside ``file`` and may put files directly under
``project``. Lines:

* ``type="stmt" count=N``: a statement line, hit if N > 0;
* ``type="method" count=N [signature|name]``: a method (a function here) and a measured line;
* ``type="cond" truecount=T falsecount=F [count=N]``: a line with conditions. The two producers
  disagree on T and F:

  - OpenClover: T and F are how often the condition evaluated true and false, so the line has 2
    branches, covered = [T > 0] + [F > 0];
  - Istanbul (``istanbul-reports/lib/clover``): T = covered branches of the line and F = uncovered
    ones (any number of branches), and ``count`` is the line's statement count.

  ``semantics="auto"`` picks Istanbul when the root says ``clover="3.2.0"`` and the project is
  named ``"All files"`` (what istanbul-reports hard-codes), else OpenClover.

The native headline is Clover's TPC (total percentage coverage) =
(coveredconditionals + coveredstatements + coveredmethods) / (conditionals + statements + methods),
taken from each file's own ``metrics`` element (Istanbul writes no method lines, so methods exist
only there), or counted from the lines when a file has no metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from app.coverage import xmlsafe
from app.coverage.errors import InvalidReport, LimitExceeded
from app.coverage.model import MAX_COUNT, Counts, CoverageReport, FileCoverage, Function, LineHits
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits
from app.coverage.percent import DisplayRule

FORMAT = "clover"

#: TPC as a plain percentage with one decimal.
RULE = DisplayRule("clover", 1)

Semantics = Literal["auto", "istanbul", "openclover"]


def sniff(name: str, head: bytes) -> bool:
    """Root ``<coverage generated=...>`` whose first child is ``<project``."""
    root = xmlsafe.peek_root(head)
    if root is None or root.tag != "coverage":
        return False
    return "generated" in root.attrs and b"<project" in head


@dataclass(slots=True)
class _File:
    path: str
    package: str | None
    lines: dict[int, int] = field(default_factory=dict)
    branches: dict[int, tuple[int, int]] = field(default_factory=dict)
    functions: list[Function] = field(default_factory=list)
    metrics: Counts | None = None
    # counted from the lines, for files without a metrics element
    elements: Counts = field(default_factory=Counts)


class _Parser:
    def __init__(self, name: str, limits: Limits, semantics: Semantics) -> None:
        self.name = name
        self.limits = limits
        self.semantics = semantics
        self.istanbul = semantics == "istanbul"
        self.files: dict[str, FileCoverage] = {}
        self.total_lines = 0

    def invalid(self, problem: str) -> InvalidReport:
        return InvalidReport(self.name, problem)

    def integer(
        self, attrs: dict[str, str], key: str, where: str, default: int | None = None
    ) -> int:
        return xmlsafe.attr_int(self.name, attrs, key, where, default)

    def count(self, attrs: dict[str, str], key: str, where: str, default: int | None = None) -> int:
        value = self.integer(attrs, key, where, default)
        if value > self.limits.max_count:
            raise LimitExceeded(
                self.name, f"{where}: {key} {value} exceeds {self.limits.max_count}"
            )
        return value

    def line(self, f: _File, attrs: dict[str, str]) -> None:
        where = f"{f.path[:200]}: line"
        num = self.integer(attrs, "num", where)
        if num > self.limits.max_line_number:
            raise LimitExceeded(
                self.name,
                f"{where} number {num} exceeds the limit {self.limits.max_line_number}",
            )
        if num < 1:
            raise self.invalid(f"{where}: line number {num}")
        where = f"{f.path[:200]}: line {num}"
        kind = attrs.get("type", "stmt")
        if kind == "cond":
            true = self.count(attrs, "truecount", where, 0)
            false = self.count(attrs, "falsecount", where, 0)
            if self.istanbul:
                covered, total = true, true + false
                hits = self.count(attrs, "count", where, true)
            else:
                covered, total = (true > 0) + (false > 0), 2
                hits = self.count(attrs, "count", where, min(true + false, MAX_COUNT))
            old = f.branches.get(num, (0, 0))
            f.branches[num] = (max(old[0], covered), max(old[1], total))
            f.elements = f.elements + Counts(covered, total)
        elif kind == "method":
            hits = self.count(attrs, "count", where, 0)
            name = attrs.get("signature") or attrs.get("name") or f"(line {num})"
            f.functions.append(Function(name=name, start_line=num, hits=hits))
            f.elements = f.elements + Counts(hits > 0, 1)
        else:
            hits = self.count(attrs, "count", where, 0)
            f.elements = f.elements + Counts(hits > 0, 1)
        # A line listed twice (a method line and its statement) keeps the larger count.
        if hits > f.lines.get(num, -1):
            f.lines[num] = hits

    def metrics(self, attrs: dict[str, str], where: str) -> Counts:
        covered = total = 0
        for kind in ("conditionals", "statements", "methods"):
            t = self.count(attrs, kind, where, 0)
            c = self.count(attrs, "covered" + kind, where, 0)
            if c > t:
                raise self.invalid(f"{where}: covered{kind} {c} exceeds {kind} {t}")
            covered += c
            total += t
        return Counts(covered, total)

    def finish(self, f: _File) -> None:
        if f.path in self.files:
            raise self.invalid(f"file {f.path[:200]!r} appears twice")
        if len(self.files) >= self.limits.max_files:
            raise LimitExceeded(self.name, f"more than {self.limits.max_files} source files")
        self.total_lines += len(f.lines)
        if self.total_lines > self.limits.max_lines:
            raise LimitExceeded(self.name, f"more than {self.limits.max_lines} measured lines")
        self.files[f.path] = FileCoverage(
            path=f.path,
            lines=LineHits.from_mapping(f.lines),
            branches=dict(sorted(f.branches.items())),
            functions=tuple(f.functions),
            native=f.metrics if f.metrics is not None else f.elements,
            package=f.package,
        )

    def run(self, stream: BinaryIO) -> CoverageReport:
        stack: list[xmlsafe.Element] = []
        package: str | None = None
        current: _File | None = None
        root_seen = False
        events = xmlsafe.iterparse(
            stream, self.name, events=("start", "end"), max_bytes=self.limits.max_bytes
        )
        for event, elem in events:
            tag = elem.tag
            if event == "start":
                if not root_seen:
                    root_seen = True
                    if tag != "coverage":
                        raise self.invalid(f"root element is <{tag}>, not Clover's <coverage>")
                    if self.semantics == "auto":
                        self.istanbul = elem.get("clover") == "3.2.0"
                elif tag == "project" and self.semantics == "auto" and len(stack) == 1:
                    self.istanbul = self.istanbul and elem.get("name") == "All files"
                elif tag == "package":
                    package = elem.get("name")
                elif tag == "file":
                    if current is not None:
                        raise self.invalid("<file> inside <file>")
                    path = elem.get("path") or elem.get("name")
                    if not path:
                        raise self.invalid("a <file> without name or path")
                    current = _File(path=path, package=package)
                stack.append(elem)
                continue
            stack.pop()
            parent = stack[-1] if stack else None
            if tag == "line":
                if current is None:
                    raise self.invalid("<line> outside a <file>")
                self.line(current, dict(elem.attrib))
                if parent is not None:
                    del parent[:]  # the file's metrics came first and were read already
            elif tag == "metrics" and current is not None and parent is not None:
                if parent.tag == "file":
                    current.metrics = self.metrics(dict(elem.attrib), f"{current.path[:200]}")
            elif tag == "file" and current is not None:
                self.finish(current)
                current = None
                elem.clear()
                if parent is not None:
                    del parent[:]
            elif tag == "package":
                package = None
                elem.clear()
                if parent is not None:
                    del parent[:]
        if not root_seen:
            raise self.invalid("empty document")
        return CoverageReport(format=FORMAT, unit="elements", rule=RULE, files=self.files)


def parse(
    stream: BinaryIO,
    name: str,
    limits: Limits = DEFAULT_LIMITS,
    semantics: Semantics = "auto",
) -> CoverageReport:
    """Parse a Clover XML report from a binary stream; the native counts are TPC's elements."""
    return _Parser(name, limits, semantics).run(stream)
