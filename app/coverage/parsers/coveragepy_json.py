"""coverage.py's JSON report (``coverage json``), every format version (reference/formats.md §4.1).

* no ``meta.format`` (coverage.py before 7.4.1), ``format: 2`` (7.4.1 - 7.5.x), ``format: 3``
  (7.6+: ``functions`` / ``classes`` regions, ``start_line`` from 7.13.1);
* line hits: ``executed_lines`` -> 1, ``missing_lines`` -> 0 (coverage.py records no counts);
* branches: ``executed_branches`` / ``missing_branches`` arcs grouped by their source line into
  (covered, total) per line; arcs to negative lines are exits and count like any other;
* functions from the ``functions`` regions (the ``""`` region is code outside any function);
* native counts per file: (covered statements + covered branches, statements + branches), the
  numbers ``coverage report`` adds up, taken from the file's ``summary``. The summary is what
  coverage.py computed from its own analysis; the lists are not always the same set: before 7.13.1
  ``executed_lines`` may also hold non-statement lines such as a module docstring (verified with
  coverage.py 6.5.0 on six: 319 executed lines for 311 covered statements). So the summary is the
  headline, and the parser checks everything it can cross-check and refuses a file where they
  disagree: ``missing_lines`` and ``missing_branches`` lists against the summary's counts, the
  summary's own arithmetic, and ``totals`` against the sum of the files;
* the headline precision is the number of decimals in ``totals.percent_covered_display``, so that
  the display equals what ``coverage report`` printed with the same ``[report] precision``.
"""

from __future__ import annotations

import json
import re
from typing import Any, BinaryIO

from app.coverage.errors import InvalidReport, LimitExceeded
from app.coverage.model import Counts, CoverageReport, FileCoverage, Function, LineHits
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits
from app.coverage.percent import coveragepy

FORMAT = "coveragepy-json"
UNIT = "statements+branches"

_HEAD = re.compile(r'\A\s*\{\s*"meta"\s*:\s*\{[^{}]*"version"\s*:', re.DOTALL)
_META_KEYS = ('"branch_coverage"', '"show_contexts"', '"timestamp"')
_DISPLAY = re.compile(r"\A\d+(?:\.(\d+))?\Z")


def sniff(name: str, head: bytes) -> bool:
    """A JSON object that starts with coverage.py's ``meta`` block."""
    text = head.decode("utf-8-sig", errors="ignore")
    match = _HEAD.match(text)
    if match is None:
        return False
    meta = text[match.start() : text.find("}", match.end()) if "}" in text else len(text)]
    return any(key in meta for key in _META_KEYS)


class _Reader:
    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits

    def fail(self, problem: str) -> InvalidReport:
        return InvalidReport(self.name, problem)

    def obj(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{where} is not a JSON object")
        return value

    def count(self, value: object, where: str) -> int:
        # bool is an int subclass; floats, strings and NaN are refused.
        if type(value) is not int or value < 0:
            raise self.fail(f"{where} is {value!r}, not a non-negative integer")
        return value

    def line(self, value: object, where: str) -> int:
        if type(value) is not int:
            raise self.fail(f"{where}: line {value!r} is not an integer")
        if value < 1:
            raise self.fail(f"{where}: line number {value} is not positive")
        if value > self.limits.max_line_number:
            raise LimitExceeded(
                self.name,
                f"{where}: line number {value} is above the limit of {self.limits.max_line_number}",
            )
        return value

    def lines(self, value: object, where: str) -> list[int]:
        if not isinstance(value, list):
            raise self.fail(f"{where} is not a list")
        return [self.line(item, where) for item in value]

    def arcs(self, value: object, where: str) -> list[int]:
        """The source line of each arc [from, to] (to < 0 is an exit from the code object)."""
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{where} is not a list")
        sources = []
        for arc in value:
            if not (isinstance(arc, list) and len(arc) == 2) or type(arc[1]) is not int:
                raise self.fail(f"{where}: {arc!r} is not a [from, to] pair of line numbers")
            if abs(arc[1]) > self.limits.max_line_number:
                raise LimitExceeded(
                    self.name,
                    f"{where}: line number {arc[1]} is above the limit of "
                    f"{self.limits.max_line_number}",
                )
            sources.append(self.line(arc[0], where))
        return sources

    def summary(self, data: dict[str, Any], where: str) -> tuple[Counts, int, int]:
        """(native counts, missing statements, missing branches) from a summary block."""
        summary = self.obj(data.get("summary"), f"{where} summary")
        return self.summary_counts(summary, f"{where} summary")

    def summary_counts(self, summary: dict[str, Any], where: str) -> tuple[Counts, int, int]:
        covered = self.count(summary.get("covered_lines"), f"{where} covered_lines")
        statements = self.count(summary.get("num_statements"), f"{where} num_statements")
        missing = self.count(summary.get("missing_lines"), f"{where} missing_lines")
        if covered + missing != statements:
            raise self.fail(
                f"{where}: covered_lines {covered} + missing_lines {missing} "
                f"!= num_statements {statements}"
            )
        branches = covered_branches = missing_branches = 0
        if "num_branches" in summary:
            branches = self.count(summary.get("num_branches"), f"{where} num_branches")
            covered_branches = self.count(
                summary.get("covered_branches"), f"{where} covered_branches"
            )
            missing_branches = self.count(
                summary.get("missing_branches"), f"{where} missing_branches"
            )
            if covered_branches + missing_branches != branches:
                raise self.fail(
                    f"{where}: covered_branches {covered_branches} + missing_branches "
                    f"{missing_branches} != num_branches {branches}"
                )
        return Counts(covered + covered_branches, statements + branches), missing, missing_branches

    def file(self, path: str, data: dict[str, Any]) -> FileCoverage:
        where = f"file {path!r}"
        executed = self.lines(data.get("executed_lines"), f"{where} executed_lines")
        missing = self.lines(data.get("missing_lines"), f"{where} missing_lines")
        native, missing_count, missing_branch_count = self.summary(data, where)
        if len(set(missing)) != missing_count:
            raise self.fail(
                f"{where}: {len(set(missing))} missing_lines listed but the summary says "
                f"{missing_count}"
            )
        hits = dict.fromkeys(missing, 0)
        for line in executed:
            hits[line] = 1
        taken = self.arcs(data.get("executed_branches"), f"{where} executed_branches")
        not_taken = self.arcs(data.get("missing_branches"), f"{where} missing_branches")
        if "missing_branches" in data and len(not_taken) != missing_branch_count:
            raise self.fail(
                f"{where}: {len(not_taken)} missing_branches listed but the summary says "
                f"{missing_branch_count}"
            )
        branches: dict[int, tuple[int, int]] = {}
        for line in taken:
            c, t = branches.get(line, (0, 0))
            branches[line] = (c + 1, t + 1)
        for line in not_taken:
            c, t = branches.get(line, (0, 0))
            branches[line] = (c, t + 1)
        return FileCoverage(
            path=path,
            lines=LineHits.from_mapping(hits),
            branches=branches,
            functions=self.functions(data.get("functions"), where),
            native=native,
        )

    def functions(self, regions: object, where: str) -> tuple[Function, ...]:
        if regions is None:
            return ()
        regions = self.obj(regions, f"{where} functions")
        functions = []
        for name, region in regions.items():
            if name == "":
                continue  # code outside any function
            region = self.obj(region, f"{where} function {name!r}")
            rwhere = f"{where} function {name!r}"
            executed = self.lines(region.get("executed_lines", []), f"{rwhere} executed_lines")
            missing = self.lines(region.get("missing_lines", []), f"{rwhere} missing_lines")
            start = region.get("start_line")
            if start is not None:
                start = self.line(start, f"{rwhere} start_line")
            elif executed or missing:
                start = min(executed + missing)
            else:
                continue  # no line to hang it on
            functions.append(Function(name, start, 1 if executed else 0))
        return tuple(functions)

    def read(self, stream: BinaryIO) -> CoverageReport:
        limit = self.limits.max_bytes
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise LimitExceeded(self.name, f"larger than the limit of {limit} bytes")
        try:
            document = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise self.fail(f"invalid JSON: {exc}") from None
        except UnicodeDecodeError as exc:
            raise self.fail(f"invalid JSON: not UTF-8/16/32 text ({exc.reason})") from None
        except RecursionError:
            raise self.fail("invalid JSON: nested too deeply") from None
        document = self.obj(document, "the document")
        meta = self.obj(document.get("meta"), "meta")
        if "version" not in meta:
            raise self.fail("not a coverage.py JSON report: meta has no version")
        fmt = meta.get("format", 1)
        if fmt not in (1, 2, 3):
            raise self.fail(f"unsupported coverage.py JSON format {fmt!r} (known: 1, 2, 3)")
        files_data = self.obj(document.get("files"), "files")
        if len(files_data) > self.limits.max_files:
            raise LimitExceeded(self.name, f"more than {self.limits.max_files} files in one report")
        files: dict[str, FileCoverage] = {}
        total = Counts()
        measured = 0
        for path, data in files_data.items():
            cov = self.file(path, self.obj(data, f"file {path!r}"))
            measured += len(cov.lines)
            if measured > self.limits.max_lines:
                raise LimitExceeded(
                    self.name, f"more than {self.limits.max_lines} measured lines in one report"
                )
            files[path] = cov
            total = total + cov.native
        totals = self.obj(document.get("totals"), "totals")
        claimed, _, _ = self.summary_counts(totals, "totals")
        if claimed != total:
            raise self.fail(
                f"totals say {claimed.covered}/{claimed.total} but the files add up to "
                f"{total.covered}/{total.total}"
            )
        display = totals.get("percent_covered_display")
        match = _DISPLAY.match(display) if isinstance(display, str) else None
        if match is None:
            raise self.fail(f"totals percent_covered_display {display!r} is not a percentage")
        precision = len(match[1] or "")
        if precision > 10:
            raise self.fail(f"totals percent_covered_display {display!r}: too many decimals")
        return CoverageReport(FORMAT, UNIT, coveragepy(precision), files)


def parse(stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS) -> CoverageReport:
    """Parse a coverage.py JSON report; errors name ``name``."""
    return _Reader(name, limits).read(stream)
