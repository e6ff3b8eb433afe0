"""JaCoCo XML (``jacoco.xml``, ``jacocoTestReport.xml``); reference/formats.md §6.2.

``report > (group >)* package[name="com/foo"] > (class > method)*, sourcefile[name="Bar.java"] >
line[nr mi ci mb cb]*, counter*``. The ``DOCTYPE`` (``-//JACOCO//DTD Report 1.1//EN``) is accepted
and never fetched (:mod:`app.coverage.xmlsafe`).

Per source file, path = package name + "/" + source file name (``Bar.java`` in the default package):

* native unit "instructions" (the JaCoCo HTML headline, :data:`percent.JACOCO`: integer percent,
  floor, ``n/a`` when there are none): the source file's ``INSTRUCTION`` counter, or the sum of
  ``mi``/``ci`` over its lines when it has none;
* lines: every ``line`` element is measured; JaCoCo has no execution counts, so a line's hits are
  1 if any of its instructions ran (``ci > 0``, JaCoCo's "covered or partly covered") and 0 if not;
* branches per line: ``cb`` covered of ``mb + cb``;
* functions: the ``method`` elements of the classes whose ``sourcefilename`` is that file, covered
  when their ``METHOD`` counter says so.

The report-level ``INSTRUCTION`` counter is JaCoCo's own total. It also counts classes without
source file information, which belong to no file; when it differs from the sum of the files it is
kept as ``native_override`` so that the headline still equals JaCoCo's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from app.coverage import percent, xmlsafe
from app.coverage.errors import InvalidReport, LimitExceeded
from app.coverage.model import Counts, CoverageReport, FileCoverage, Function, LineHits
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits

FORMAT = "jacoco"


def sniff(name: str, head: bytes) -> bool:
    """A ``-//JACOCO//DTD Report`` DOCTYPE, or a root ``<report name=...>``."""
    root = xmlsafe.peek_root(head)
    if root is None:
        return False
    if root.doctype_public and root.doctype_public.startswith("-//JACOCO//DTD Report"):
        return True
    return root.tag == "report" and "name" in root.attrs


@dataclass(slots=True)
class _Source:
    path: str
    package: str | None
    lines: dict[int, int] = field(default_factory=dict)
    branches: dict[int, tuple[int, int]] = field(default_factory=dict)
    line_instructions: Counts = field(default_factory=Counts)
    instructions: Counts | None = None


class _Parser:
    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits
        self.sources: dict[str, _Source] = {}
        self.functions: dict[str, list[Function]] = {}
        self.total_lines = 0
        self.report_instructions: Counts | None = None

    def invalid(self, problem: str) -> InvalidReport:
        return InvalidReport(self.name, problem)

    def integer(self, attrs: dict[str, str], key: str, where: str, default: int | None = 0) -> int:
        value = xmlsafe.attr_int(self.name, attrs, key, where, default)
        if value > self.limits.max_count:
            raise LimitExceeded(
                self.name, f"{where}: {key} {value} exceeds {self.limits.max_count}"
            )
        return value

    def line_number(self, attrs: dict[str, str], key: str, where: str) -> int:
        value = self.integer(attrs, key, where, None)
        if value > self.limits.max_line_number:
            raise LimitExceeded(
                self.name,
                f"{where}: line number {value} exceeds the limit {self.limits.max_line_number}",
            )
        if value < 1:
            raise self.invalid(f"{where}: line number {value}")
        return value

    def counter(self, attrs: dict[str, str], where: str) -> tuple[str, Counts]:
        kind = attrs.get("type", "")
        missed = self.integer(attrs, "missed", where, None)
        covered = self.integer(attrs, "covered", where, None)
        return kind, Counts(covered, covered + missed)

    def line(self, src: _Source, attrs: dict[str, str]) -> None:
        where = f"{src.path[:200]}: line"
        nr = self.line_number(attrs, "nr", where)
        where = f"{src.path[:200]}: line {nr}"
        mi = self.integer(attrs, "mi", where)
        ci = self.integer(attrs, "ci", where)
        mb = self.integer(attrs, "mb", where)
        cb = self.integer(attrs, "cb", where)
        if nr in src.lines:
            raise self.invalid(f"{where} appears twice")
        src.lines[nr] = 1 if ci > 0 else 0
        if mb + cb:
            src.branches[nr] = (cb, mb + cb)
        src.line_instructions = src.line_instructions + Counts(ci, ci + mi)

    def finish(self, src: _Source) -> None:
        if src.path in self.sources:
            raise self.invalid(f"source file {src.path[:200]!r} appears twice")
        if len(self.sources) >= self.limits.max_files:
            raise LimitExceeded(self.name, f"more than {self.limits.max_files} source files")
        self.total_lines += len(src.lines)
        if self.total_lines > self.limits.max_lines:
            raise LimitExceeded(self.name, f"more than {self.limits.max_lines} measured lines")
        self.sources[src.path] = src

    def run(self, stream: BinaryIO) -> CoverageReport:
        stack: list[xmlsafe.Element] = []
        package = ""
        source: _Source | None = None
        klass: tuple[str, str] | None = None  # (file path, simple class name)
        method: dict[str, str] | None = None
        method_covered: bool | None = None
        root_seen = False
        events = xmlsafe.iterparse(
            stream, self.name, events=("start", "end"), max_bytes=self.limits.max_bytes
        )
        for event, elem in events:
            tag = elem.tag
            if event == "start":
                if not root_seen:
                    root_seen = True
                    if tag != "report":
                        raise self.invalid(f"root element is <{tag}>, not JaCoCo's <report>")
                elif tag == "package":
                    package = elem.get("name", "")
                elif tag == "sourcefile":
                    fname = elem.get("name")
                    if not fname:
                        raise self.invalid(f"package {package[:200]!r}: a sourcefile without name")
                    path = f"{package}/{fname}" if package else fname
                    source = _Source(path=path, package=package.replace("/", ".") or None)
                elif tag == "class":
                    sfname = elem.get("sourcefilename")
                    cname = elem.get("name", "")
                    if sfname:
                        path = f"{package}/{sfname}" if package else sfname
                        klass = (path, cname.rsplit("/", 1)[-1])
                elif tag == "method":
                    method = dict(elem.attrib)
                    method_covered = None
                stack.append(elem)
                continue
            stack.pop()
            parent = stack[-1] if stack else None
            if tag == "line":
                if source is None:
                    raise self.invalid("<line> outside a <sourcefile>")
                self.line(source, dict(elem.attrib))
                if parent is not None:
                    del parent[:]
            elif tag == "counter" and parent is not None:
                where = f"<{parent.tag} name={parent.get('name', '')[:200]!r}> counter"
                kind, counts = self.counter(dict(elem.attrib), where)
                if parent.tag == "sourcefile" and source is not None and kind == "INSTRUCTION":
                    source.instructions = counts
                elif parent.tag == "report" and kind == "INSTRUCTION":
                    self.report_instructions = counts
                elif parent.tag == "method" and kind == "METHOD":
                    method_covered = counts.covered > 0
            elif tag == "method":
                if klass is not None and method is not None and "line" in method:
                    where = f"{klass[0][:200]}: method {method.get('name', '')[:100]!r}"
                    line = self.line_number(method, "line", where)
                    name = f"{klass[1]}.{method.get('name', '')}{method.get('desc', '')}"
                    hits = 1 if method_covered else 0
                    self.functions.setdefault(klass[0], []).append(Function(name, line, hits))
                method = None
            elif tag == "class":
                klass = None
                elem.clear()
            elif tag == "sourcefile":
                if source is not None:
                    self.finish(source)
                source = None
                elem.clear()
            elif tag in ("package", "group"):
                package = ""
                elem.clear()
                if parent is not None:
                    del parent[:]
        if not root_seen:
            raise self.invalid("empty document")
        return self.report()

    def report(self) -> CoverageReport:
        files: dict[str, FileCoverage] = {}
        total = Counts()
        for path, src in self.sources.items():
            native = src.instructions if src.instructions is not None else src.line_instructions
            total = total + native
            files[path] = FileCoverage(
                path=path,
                lines=LineHits.from_mapping(src.lines),
                branches=dict(sorted(src.branches.items())),
                functions=tuple(sorted(self.functions.get(path, ()), key=lambda f: f.start_line)),
                native=native,
                package=src.package,
            )
        override = self.report_instructions
        if override == total:
            override = None
        return CoverageReport(
            format=FORMAT,
            unit="instructions",
            rule=percent.JACOCO,
            files=files,
            native_override=override,
        )


def parse(stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS) -> CoverageReport:
    """Parse a JaCoCo XML report from a binary stream."""
    return _Parser(name, limits).run(stream)
