"""LCOV tracefiles (``lcov.info``): geninfo 1.x and 2.x records (reference/formats.md §5).

The file is read line by line. Every record (``SF:`` ... ``end_of_record``) adds to its source file:
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from app.coverage import percent
from app.coverage.errors import InvalidReport, LimitExceeded
from app.coverage.model import MAX_COUNT, Counts, CoverageReport, FileCoverage, Function, LineHits
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits

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
    #: line -> {(block, branch): taken or None for '-'}
    branches: dict[int, dict[tuple[bytes, bytes], int | None]] = field(default_factory=dict)
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
    branches: dict[int, dict[tuple[bytes, bytes], int | None]]
    functions: dict[str, list[int]]


def _saturate(value: int) -> int:
    return value if value < MAX_COUNT else MAX_COUNT


def _add_branch(acc: _FileAcc, line: int, key: tuple[bytes, bytes], taken: int | None) -> None:
    """lcov's rule for a branch seen again: ``'-' + n = n``, otherwise the counts add up."""
    per_line = acc.branches.get(line)
    if per_line is None:
        per_line = acc.branches[line] = {}
    old = per_line.get(key)
    if old is None:
        per_line[key] = taken
    elif taken is not None:
        per_line[key] = _saturate(old + taken)


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

    def da_block(self, da: bytes, lines: dict[int, int], lineno: int) -> int:
        """Read consecutive ``DA`` lines (``da``: whole lines joined by ``\n``) in bulk.

        The bulk of every tracefile is ``DA:<line>,<count>`` lines. They are checked and converted
        with C-level bytes and ``map`` calls; anything unusual (a checksum, a sign, a bound) makes
        the block take the line-by-line path with its exact error messages. Returns the new line
        number.
        """
        n = da.count(b"\n") + 1
        tokens = da[3:].replace(b"\nDA:", b",").split(b",")
        if (
            len(tokens) == 2 * n
            and b"".join(tokens).isdigit()
            and min(map(len, tokens)) > 0
            and max(map(len, tokens)) < 19
        ):
            numbers = list(map(int, tokens[0::2]))
            hits = list(map(int, tokens[1::2]))
            if (
                min(numbers) > 0
                and max(numbers) <= self.limits.max_line_number
                and max(hits) <= self.limits.max_count
            ):
                if lines.keys().isdisjoint(numbers) and len(set(numbers)) == n:
                    lines.update(zip(numbers, hits, strict=True))
                else:
                    for number, count in zip(numbers, hits, strict=True):
                        lines[number] = _saturate(lines.get(number, 0) + count)
                return lineno + n
        for raw in da.split(b"\n"):
            lineno += 1
            self.lineno = lineno
            self.da(raw.strip()[3:].decode("utf-8", "replace"), lines)
        return lineno

    def da(self, rest: str, lines: dict[int, int]) -> None:
        parts = rest.split(",")
        if len(parts) < 2:
            raise self.invalid(f"DA needs a line and a count: {rest[:40]!r}")
        line = self.line_number(parts[0])
        hits = self.count(parts[1])
        if line is not None:
            lines[line] = _saturate(lines.get(line, 0) + hits)

    def run(self, stream: BinaryIO) -> None:
        acc: _FileAcc | None = None
        path = ""
        fnl: dict[str, _Group] = {}  # FNL index -> function group (lcov >= 2.2)
        lineno = 0
        max_line = self.limits.max_line_number
        max_count = self.limits.max_count
        for text in self.blocks(stream):
            pos = 0
            end = len(text)
            while pos <= end:
                match = _NOT_DA.search(text, pos)
                start = match.start() if match is not None else end + 1
                if start > pos:  # whole DA lines from pos up to the newline before start
                    if acc is None:
                        self.lineno = lineno + 1
                        raise self.invalid("DA outside a record (no SF)")
                    lineno = self.da_block(text[pos : start - 1], acc.lines, lineno)
                if match is None:
                    break
                pos = match.end() + 1
                lineno += 1
                self.lineno = lineno
                line = match.group().strip()
                if not line or line.startswith(b"#"):
                    continue
                if line == b"end_of_record":
                    if acc is not None:
                        self.finish(path, acc)
                    acc = None
                    fnl = {}
                    continue
                key, sep, rest_b = line.partition(b":")
                if not sep:
                    raise self.invalid(f"not an LCOV line: {line[:40]!r}")
                if key == b"SF":
                    if acc is not None:  # a record without end_of_record: close it
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
                    # TN and VER carry nothing we need; unknown keys (MCDC, MCF...) are accepted.
                    continue
                if acc is None:
                    raise self.invalid(f"{key.decode('ascii', 'replace')} outside a record (no SF)")
                if key == b"BRDA":  # fast path for well-formed branch lines
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
                            if 0 < number <= max_line and (taken is None or taken <= max_count):
                                _add_branch(acc, number, (first[1].strip(), branch), taken)
                                continue
                self.detail(key, rest_b.decode("utf-8", "replace"), acc, fnl)
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
                _add_branch(acc, line, (block.encode(), branch.encode()), taken)
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
            entry[2] = _saturate(entry[2] + hits)

    def finish(self, path: str, acc: _FileAcc) -> None:
        done = self.files.get(path)
        if done is not None:
            self.total_lines -= len(done.lines)
            for line, hits in done.lines.items_sorted():
                acc.lines[line] = _saturate(acc.lines.get(line, 0) + hits)
            for line, per_line in done.branches.items():
                mine = acc.branches.setdefault(line, {})
                for bkey, taken in per_line.items():
                    old = mine.get(bkey)
                    if old is None:
                        mine[bkey] = taken
                    elif taken is not None:
                        mine[bkey] = _saturate(old + taken)
            for fname, (start, end, hits) in done.functions.items():
                self.function(acc, fname, start or None, end, hits)
        elif len(self.files) >= self.limits.max_files:
            raise LimitExceeded(self.name, f"more than {self.limits.max_files} source files")
        self.total_lines += len(acc.lines)
        if self.total_lines > self.limits.max_lines:
            raise LimitExceeded(self.name, f"more than {self.limits.max_lines} measured lines")
        self.files[path] = _Done(LineHits.from_mapping(acc.lines), acc.branches, acc.functions)

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
            branches = {
                line: (sum(1 for t in per_line.values() if t), len(per_line))
                for line, per_line in sorted(done.branches.items())
                if per_line
            }
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
                native=Counts(lines.covered_count(), len(lines)),
            )
        return CoverageReport(format=FORMAT, unit="lines", rule=percent.LCOV, files=files)


#: A line that is not a DA line (DA lines are read in bulk between such lines).
_NOT_DA = re.compile(rb"^(?!DA:)[^\n]*", re.MULTILINE)
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
