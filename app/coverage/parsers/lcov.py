"""LCOV tracefiles (``lcov.info``): geninfo 1.x and 2.x records (reference/formats.md §5).

The file is read in chunks of whole lines; the ``DA`` and ``BRDA`` lines that make up most of it
are read a record at a time in bulk (:mod:`.lcov_bulk`), any other line one by one, and a record
whose bulk is not plain is read again line by line for the exact error (the earliest line's).
Every record (``SF:`` ... ``end_of_record``) adds to its source file:
several records for one ``SF`` (the same or different ``TN``) are merged the way ``lcov -a`` does,
``DA`` counts summed, ``BRDA`` matched by (line, block, branch) and summed with ``'-' + n = n``,
functions matched by name with their counts summed. The summary lines ``LF/LH/FNF/FNH/BRF/BRH`` are
never trusted: everything is recomputed from the detail lines, as lcov itself does.

Deviations from lcov 1.16 (Debian 12), all deliberate and noted in :func:`parse_with_notes`:

* a negative ``DA`` count is read as 0 (lcov does the same and warns);
* a record cut off by the end of the file (no ``end_of_record``) is kept (lcov 1.16 drops it);
* lcov 2.x records are understood: string or ``e``/``U``-prefixed branch ids (1.16 ignores such
  ``BRDA`` lines), ``FN`` with an end line (1.16 takes the end line for a function name), and
  ``FNL``/``FNA`` function groups;
* a record with no ``DA`` line is dropped, as lcov does (it has no measurable line).

The native unit is lines; the headline is lcov's ``rate()`` at precision 1 (:data:`percent.LCOV`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter
from typing import BinaryIO

from app.coverage import percent
from app.coverage.errors import CoverageError, InvalidReport, LimitExceeded
from app.coverage.model import Counts, CoverageReport, FileCoverage, Function, LineHits
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits
from app.coverage.parsers.lcov_bulk import (
    BranchKey,
    add_branch,
    add_count,
    add_runs,
    fold,
    line_hits,
    saturate,
)

FORMAT = "lcov"

#: The longest single line we read; an LCOV line longer than this is not a real tracefile.
MAX_LINE_BYTES = 1 << 20
#: How much is read at a time.
CHUNK_BYTES = 1 << 20


def sniff(name: str, head: bytes) -> bool:
    """The first line that is not blank or a ``#`` comment starts with ``TN:`` or ``SF:``."""
    text = head.removeprefix(b"\xef\xbb\xbf")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(b"#"):
            continue
        return line.startswith((b"TN:", b"SF:"))
    lower = name.lower()
    return not text.strip() and (lower.endswith((".info", ".lcov")) or "lcov" in lower)


@dataclass(slots=True)
class _FileAcc:
    """What the records seen so far say about one source file (merged across records)."""

    lines: dict[int, int] = field(default_factory=dict)
    #: (line numbers, counts) of DA lines read in bulk, not yet in ``lines``
    bulk: list[tuple[list[int], list[int]]] = field(default_factory=list)
    #: (line, block, branch) -> taken, or None for '-'
    branches: dict[BranchKey, int | None] = field(default_factory=dict)
    #: name -> [start line, end line or 0, hits]
    functions: dict[str, list[int]] = field(default_factory=dict)


@dataclass(slots=True)
class _Group:
    """An lcov 2.2 function group (``FNL``): aliases at one location count as one function."""

    start: int
    end: int
    name: str = ""


@dataclass(slots=True)
class _Done:
    """A finished file kept compact until the end of the input (a later record may add to it)."""

    lines: LineHits
    branches: dict[BranchKey, int | None]
    functions: dict[str, list[int]]
    #: how many of the lines ran
    covered: int


class _Parser:
    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits
        self.notes: list[str] = []
        self.files: dict[str, _Done] = {}
        self.lineno = 0
        self.total_lines = 0
        self.negative = 0
        self.line_zero = 0

    # -- errors -------------------------------------------------------------------------------
    def invalid(self, problem: str) -> InvalidReport:
        return InvalidReport(self.name, f"line {self.lineno}: {problem}")

    def number(self, text: str, what: str) -> int:
        text = text.strip()
        # int() alone would accept "1_000", " +1" or non-ASCII digits.
        body = text[1:] if text[:1] == "-" else text
        if not body.isascii() or not body.isdigit():
            raise self.invalid(f"{what} is not an integer: {text[:40]!r}")
        if len(body) > 40:  # far beyond any limit; int() would refuse past 4300 digits anyway
            raise LimitExceeded(
                self.name, f"line {self.lineno}: {what} {text[:40]}... has {len(body)} digits"
            )
        return int(text)

    def line_number(self, text: str, what: str = "line number") -> int | None:
        value = self.number(text, what)
        if value > self.limits.max_line_number:
            raise LimitExceeded(
                self.name,
                f"line {self.lineno}: {what} {value} exceeds the limit "
                f"{self.limits.max_line_number}",
            )
        if value < 1:
            if value < 0:
                raise self.invalid(f"negative {what} {value}")
            self.line_zero += 1
            return None
        return value

    def count(self, text: str, what: str = "count") -> int:
        value = self.number(text, what)
        if value < 0:
            self.negative += 1
            return 0
        if value > self.limits.max_count:
            raise LimitExceeded(
                self.name, f"line {self.lineno}: {what} {value} exceeds {self.limits.max_count}"
            )
        return value

    # -- reading ------------------------------------------------------------------------------
    def blocks(self, stream: BinaryIO) -> Iterator[bytes]:
        """The input in big blocks of whole lines, joined by ``\n`` (no trailing ``\n``, no CR)."""
        size = 0
        rest = b""
        lines_before = 0
        first = True
        while True:
            chunk = stream.read(CHUNK_BYTES)
            if not chunk:
                break
            size += len(chunk)
            if size > self.limits.max_bytes:
                raise LimitExceeded(self.name, f"input exceeds {self.limits.max_bytes} bytes")
            if first:
                chunk = chunk.removeprefix(b"\xef\xbb\xbf")
                first = False
            text = rest + chunk
            cut = text.rfind(b"\n")
            if cut < 0:
                rest = text
                if len(rest) > MAX_LINE_BYTES:
                    raise self.too_long(lines_before + 1)
                continue
            whole, rest = text[:cut], text[cut + 1 :]
            if b"\r" in whole:
                whole = whole.replace(b"\r\n", b"\n").removesuffix(b"\r")
            if len(whole) > MAX_LINE_BYTES:  # only then can a whole line be too long
                lengths = list(map(len, whole.split(b"\n")))
                if max(lengths) > MAX_LINE_BYTES:
                    at = next(i for i, x in enumerate(lengths) if x > MAX_LINE_BYTES)
                    raise self.too_long(lines_before + at + 1)
            if len(rest) > MAX_LINE_BYTES:
                raise self.too_long(lines_before + whole.count(b"\n") + 2)
            lines_before += whole.count(b"\n") + 1
            yield whole
        if rest:
            yield rest.removesuffix(b"\r")

    def too_long(self, lineno: int) -> LimitExceeded:
        return LimitExceeded(self.name, f"line {lineno} is longer than {MAX_LINE_BYTES} bytes")

    def detail_lines(self, pending: list[tuple[int, bytes]], acc: _FileAcc) -> None:
        """Add the pending runs of ``DA`` and ``BRDA`` lines of a record to ``acc``; clear them.

        ``pending`` holds (number of the line before the run, the run's whole lines joined by
        ``\n``). The bulk of every tracefile is ``DA:<line>,<count>`` and ``BRDA`` lines: all runs
        of a record are checked and converted at once with C-level bytes and ``map`` calls;
        anything unusual (a checksum, a sign, a bound, a comma in a branch name) sends them down
        the line-by-line path with its exact errors.
        """
        if not pending:
            return
        runs = [run for _, run in pending]
        if not add_runs(runs, self.limits, acc.bulk, acc.branches):
            for lineno, run in pending:
                for raw in run.split(b"\n"):
                    lineno += 1
                    self.lineno = lineno
                    if raw.startswith(b"DA:"):
                        self.da(raw.strip()[3:].decode("utf-8", "replace"), acc.lines)
                    else:
                        self.brda(raw.strip()[5:], acc)
        pending.clear()

    def brda(self, rest_b: bytes, acc: _FileAcc) -> None:
        """One ``BRDA`` line (after ``BRDA:``): a fast path for well-formed lines."""
        first = rest_b.split(b",", 2)
        if len(first) == 3:
            branch, comma, taken_b = first[2].rpartition(b",")
            a = first[0]
            if (
                comma
                and a.isdigit()
                and len(a) < 19
                and (taken_b == b"-" or (taken_b.isdigit() and len(taken_b) < 19))
            ):
                number = int(a)
                taken = None if taken_b == b"-" else int(taken_b)
                limits = self.limits
                if 0 < number <= limits.max_line_number and (
                    taken is None or taken <= limits.max_count
                ):
                    add_branch(acc.branches, (number, first[1].strip(), branch), taken)
                    return
        self.detail(b"BRDA", rest_b.decode("utf-8", "replace"), acc, {})

    def da(self, rest: str, lines: dict[int, int]) -> None:
        parts = rest.split(",")
        if len(parts) < 2:
            raise self.invalid(f"DA needs a line and a count: {rest[:40]!r}")
        line = self.line_number(parts[0])
        hits = self.count(parts[1])
        if line is not None:
            add_count(lines, line, hits)

    def run(self, stream: BinaryIO) -> None:
        acc: _FileAcc | None = None
        path = ""
        fnl: dict[str, _Group] = {}  # FNL index -> function group (lcov >= 2.2)
        lineno = 0
        pending: list[tuple[int, bytes]] = []  # the record's DA lines not added yet
        for block in self.blocks(stream):
            text = b"\n" + block  # every line is "\n" + the line: found by a literal search
            pos = 0  # the "\n" before the next line
            end = len(text)
            try:
                while True:
                    match = _NOT_DETAIL.search(text, pos)
                    start = match.start() if match is not None else end
                    if start > pos:  # DA and BRDA lines from after pos up to start
                        run = text[pos + 1 : start]
                        if acc is None:
                            self.lineno = lineno + 1
                            what = "DA" if run.startswith(b"DA:") else "BRDA"
                            raise self.invalid(f"{what} outside a record (no SF)")
                        pending.append((lineno, run))
                        lineno += run.count(b"\n") + 1
                    if match is None:
                        break
                    pos = match.end()
                    lineno += 1
                    self.lineno = lineno
                    line = match[1].strip()
                    if not line or line.startswith(b"#"):
                        continue
                    if line == b"end_of_record":
                        if acc is not None:
                            self.detail_lines(pending, acc)
                            self.finish(path, acc)
                        acc = None
                        fnl = {}
                        continue
                    key, sep, rest_b = line.partition(b":")
                    if not sep:
                        raise self.invalid(f"not an LCOV line: {line[:40]!r}")
                    if key == b"SF":
                        if acc is not None:  # a record without end_of_record: close it
                            self.detail_lines(pending, acc)
                            self.finish(path, acc)
                        try:
                            path = rest_b.decode("utf-8")
                        except UnicodeDecodeError:
                            raise self.invalid("SF path is not valid UTF-8") from None
                        if not path:
                            raise self.invalid("empty SF path")
                        acc = _FileAcc()
                        fnl = {}
                        continue
                    if key in (b"TN", b"VER") or key not in _DETAIL_KEYS:
                        # TN and VER carry nothing we need; unknown keys (MCDC...) are accepted.
                        continue
                    if acc is None:
                        raise self.invalid(
                            f"{key.decode('ascii', 'replace')} outside a record (no SF)"
                        )
                    if key == b"BRDA":
                        self.brda(rest_b, acc)
                    else:
                        self.detail(key, rest_b.decode("utf-8", "replace"), acc, fnl)
            except CoverageError:
                if acc is not None:  # a DA line before the error's line may be wrong too
                    self.detail_lines(pending, acc)
                raise
            if acc is not None:
                self.detail_lines(pending, acc)
        self.lineno = lineno
        if acc is not None:
            self.notes.append(f"the last record ({path}) has no end_of_record; kept")
            self.finish(path, acc)

    def detail(self, key: bytes, rest: str, acc: _FileAcc, fnl: dict[str, _Group]) -> None:
        if key == b"DA":
            self.da(rest, acc.lines)
        elif key == b"BRDA":
            # BRDA:<line>,[e][f][U]<block>,<branch>,<taken>; branch may contain commas.
            first = rest.split(",", 2)
            if len(first) < 3 or "," not in first[2]:
                raise self.invalid(f"BRDA needs line, block, branch and taken: {rest[:40]!r}")
            branch, _, taken_text = first[2].rpartition(",")
            line = self.line_number(first[0])
            block = first[1].strip()
            taken_text = taken_text.strip()
            taken = None if taken_text == "-" else self.count(taken_text, "branch count")
            if line is not None:
                add_branch(acc.branches, (line, block.encode(), branch.encode()), taken)
        elif key == b"FN":
            # FN:<start>,[<end>,]<name>; the name may contain commas.
            parts = rest.split(",", 2)
            if len(parts) < 2:
                raise self.invalid(f"FN needs a line and a name: {rest[:40]!r}")
            fn_start = self.line_number(parts[0], "function line")
            fn_end = 0
            if len(parts) == 3 and parts[1].strip().isascii() and parts[1].strip().isdigit():
                fn_end = self.line_number(parts[1], "function end line") or 0
                fname = parts[2]
            else:
                fname = ",".join(parts[1:])
            self.function(acc, fname, fn_start, fn_end, None)
        elif key == b"FNDA":
            count_text, sep, fname = rest.partition(",")
            if not sep:
                raise self.invalid(f"FNDA needs a count and a name: {rest[:40]!r}")
            self.function(acc, fname, None, 0, self.count(count_text, "function count"))
        elif key == b"FNL":
            parts = rest.split(",")
            if len(parts) < 2:
                raise self.invalid(f"FNL needs an index and a line: {rest[:40]!r}")
            start = self.line_number(parts[1], "function line") or 0
            end = (self.line_number(parts[2], "function end line") or 0) if len(parts) > 2 else 0
            fnl[parts[0].strip()] = _Group(start, end)
        elif key == b"FNA":
            parts = rest.split(",", 2)
            if len(parts) < 3:
                raise self.invalid(f"FNA needs an index, a count and a name: {rest[:40]!r}")
            group = fnl.get(parts[0].strip())
            if group is None:
                raise self.invalid(f"FNA refers to unknown function index {parts[0][:20]!r}")
            hits = self.count(parts[1], "function count")
            if not group.name:
                group.name = parts[2]
            self.function(acc, group.name, group.start or None, group.end, hits)

    def function(
        self, acc: _FileAcc, fname: str, start: int | None, end: int, hits: int | None
    ) -> None:
        entry = acc.functions.get(fname)
        if entry is None:
            entry = acc.functions[fname] = [0, 0, 0]
        if start is not None and not entry[0]:
            entry[0] = start
        if end and not entry[1]:
            entry[1] = end
        if hits is not None:
            entry[2] = saturate(entry[2] + hits)

    def finish(self, path: str, acc: _FileAcc) -> None:
        done = self.files.get(path)
        if done is not None:
            fold(acc.lines, acc.bulk)
            self.total_lines -= len(done.lines)
            for line, hits in done.lines.items_sorted():
                acc.lines[line] = saturate(acc.lines.get(line, 0) + hits)
            for bkey, taken in done.branches.items():
                add_branch(acc.branches, bkey, taken)
            for fname, (start, end, hits) in done.functions.items():
                self.function(acc, fname, start or None, end, hits)
        elif len(self.files) >= self.limits.max_files:
            raise LimitExceeded(self.name, f"more than {self.limits.max_files} source files")
        lines, covered = line_hits(acc.lines, acc.bulk)
        self.total_lines += len(lines)
        if self.total_lines > self.limits.max_lines:
            raise LimitExceeded(self.name, f"more than {self.limits.max_lines} measured lines")
        self.files[path] = _Done(lines, acc.branches, acc.functions, covered)

    def report(self) -> CoverageReport:
        if self.negative:
            self.notes.append(f"{self.negative} negative counts read as 0")
        if self.line_zero:
            self.notes.append(f"{self.line_zero} entries for line 0 ignored")
        files: dict[str, FileCoverage] = {}
        for path, done in self.files.items():
            if not len(done.lines):
                # lcov drops records without DA lines: nothing in them is measurable.
                self.notes.append(f"{path}: no DA lines; dropped as lcov does")
                continue
            # per line: (branches taken at least once, branches)
            per_line = Counter(map(itemgetter(0), done.branches))
            taken = Counter(compress(map(itemgetter(0), done.branches), done.branches.values()))
            branches = {line: (taken[line], per_line[line]) for line in sorted(per_line)}
            functions = tuple(
                Function(name=fname, start_line=start, hits=hits, end_line=end or None)
                for fname, (start, end, hits) in sorted(
                    done.functions.items(), key=lambda item: (item[1][0], item[0])
                )
            )
            lines = done.lines
            files[path] = FileCoverage(
                path=path,
                lines=lines,
                branches=branches,
                functions=functions,
                native=Counts(done.covered, len(lines)),
            )
        return CoverageReport(format=FORMAT, unit="lines", rule=percent.LCOV, files=files)


#: "\n" and a line that is not a DA or BRDA line (those are read in bulk between such lines).
_NOT_DETAIL = re.compile(rb"\n(?!DA:|BRDA:)([^\n]*)")
_DETAIL_KEYS = frozenset({b"DA", b"BRDA", b"FN", b"FNDA", b"FNL", b"FNA"})


def parse_with_notes(
    stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS
) -> tuple[CoverageReport, list[str]]:
    """Parse a tracefile; also return notes on what was repaired or ignored (negative counts...)."""
    parser = _Parser(name, limits)
    parser.run(stream)
    report = parser.report()
    return report, parser.notes


def parse(stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS) -> CoverageReport:
    """Parse an LCOV tracefile from a binary stream; errors name ``name`` and the line."""
    return parse_with_notes(stream, name, limits)[0]


def summary(report: CoverageReport, branch_coverage: bool = True) -> str:
    """The ``Summary coverage rate:`` block as ``lcov --summary`` (1.16) prints it.

    A kind with nothing found prints ``no data found`` (not genhtml's ``-``). lcov 1.16 ignores
    ``BRDA`` unless run with ``--rc lcov_branch_coverage=1`` (Debian's /etc/lcovrc says 0): with
    ``branch_coverage=False`` the branches row says ``no data found`` as lcov then does.
    """
    functions = Counts()
    for f in report.files.values():
        functions = functions + f.function_totals()
    lines = report.line_totals()
    branches = report.branch_totals() if branch_coverage else Counts()

    def one(covered: int, total: int, singular: str, plural: str) -> str:
        if total == 0:
            return "no data found"
        noun = singular if total == 1 else plural
        return f"{percent.LCOV.display(covered, total)} ({covered} of {total} {noun})"

    return "\n".join(
        [
            "Summary coverage rate:",
            f"  lines......: {one(lines.covered, lines.total, 'line', 'lines')}",
            f"  functions..: {one(functions.covered, functions.total, 'function', 'functions')}",
            f"  branches...: {one(branches.covered, branches.total, 'branch', 'branches')}",
        ]
    )
