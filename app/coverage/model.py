"""The normalised coverage model that every parser produces and every consumer reads.

One :class:`CoverageReport` holds :class:`FileCoverage` per repository-relative path.
Each file keeps

* line hits (``lines``): measured line -> execution count, stored compactly (two arrays) because a
  big report has millions of lines and memory must stay flat in the input size;
* branch data per line (``branches``): line -> (covered, total);
* functions where the format has them;
* the format's *native* counts (``native``) in the format's own unit: Go counts statements,
  coverage.py counts statements plus branches, JaCoCo counts instructions. The native counts are
  what the tool itself prints as its headline, and they add up across files;
* for Go, the raw blocks, so that Go profiles merge block by block as the Go tools do.

Totals add up (``Counts.__add__``). Percentages are kept as integer pairs and only turned into a
display string at the edge, by the tool's own rule (:mod:`app.coverage.percent`).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import ItemsView, Iterable, Iterator, Mapping, ValuesView
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.coverage.percent import DisplayRule

#: The largest execution count we keep; bigger counts saturate here (signed 64-bit).
MAX_COUNT = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Counts:
    """A covered/total pair in one unit. Adds up; never rounds."""

    covered: int = 0
    total: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.covered + other.covered, self.total + other.total)

    @property
    def missed(self) -> int:
        return self.total - self.covered

    def ratio(self) -> Fraction | None:
        """The exact covered share, or ``None`` when nothing is measurable."""
        return Fraction(self.covered, self.total) if self.total else None


@dataclass(frozen=True, slots=True)
class LineTotals:
    """Line counts: ``covered`` lines ran at least once, ``partial`` of them missed a branch.

    The unified metric (Codecov's definition) is hits / (hits + partials + misses), where
    hits = covered - partial and misses = total - covered.
    """

    covered: int = 0
    partial: int = 0
    total: int = 0

    def __add__(self, other: LineTotals) -> LineTotals:
        return LineTotals(
            self.covered + other.covered, self.partial + other.partial, self.total + other.total
        )

    @property
    def hits(self) -> int:
        return self.covered - self.partial

    @property
    def misses(self) -> int:
        return self.total - self.covered

    def unified(self) -> Fraction | None:
        """hits / (hits + partials + misses), exact; ``None`` when no line is measured."""
        return Fraction(self.hits, self.total) if self.total else None


class LineHits(Mapping[int, int]):
    """An immutable, compact mapping of line number -> execution count, ordered by line.

    Stored as two parallel arrays (about 12 bytes a line instead of about 100 for a dict entry).
    Build it with :meth:`from_pairs` (any order; repeated lines are summed) or :meth:`from_sorted`.
    """

    __slots__ = ("_hits", "_lines")

    def __init__(self, lines: array[int], hits: array[int]) -> None:
        self._lines = lines
        # 4 bytes a count when every count fits (nearly always): a 500 MB report then stays
        # within its memory budget; the same values always get the same type (equality, hash)
        if hits.typecode != "I" and (not hits or (min(hits) >= 0 and max(hits) < 1 << 32)):
            hits = array("I", hits)
        self._hits = hits

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int, int]]) -> LineHits:
        """Build from (line, hits) pairs in any order; a line given twice has its hits summed."""
        merged: dict[int, int] = {}
        for line, hits in pairs:
            merged[line] = min(merged.get(line, 0) + hits, MAX_COUNT)
        return cls.from_mapping(merged)

    @classmethod
    def from_mapping(cls, mapping: Mapping[int, int]) -> LineHits:
        keys = sorted(mapping)
        return cls(array("I", keys), array("q", map(mapping.__getitem__, keys)))

    @classmethod
    def empty(cls) -> LineHits:
        return cls(array("I"), array("q"))

    def __getitem__(self, line: int) -> int:
        index = self._index(line)
        if index < 0:
            raise KeyError(line)
        return self._hits[index]

    def _index(self, line: int) -> int:
        lines = self._lines
        lo, hi = 0, len(lines)
        while lo < hi:
            mid = (lo + hi) // 2
            if lines[mid] < line:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(lines) and lines[lo] == line else -1

    def __contains__(self, line: object) -> bool:
        return isinstance(line, int) and self._index(line) >= 0

    def __iter__(self) -> Iterator[int]:
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)

    def columns(self) -> tuple[array[int], array[int]]:
        """The lines and their hits, as the two arrays held (do not change them)."""
        return self._lines, self._hits

    def items_sorted(self) -> Iterator[tuple[int, int]]:
        """(line, hits) pairs in line order, without building a dict."""
        return zip(self._lines, self._hits, strict=True)

    def covered_count(self) -> int:
        hits = self._hits
        if hits.typecode == "I":  # unsigned: every count but 0 is a hit
            return len(hits) - hits.count(0)
        return sum(1 for h in hits if h > 0)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LineHits):
            return self._lines == other._lines and self._hits == other._hits
        return Mapping.__eq__(self, other)

    def __hash__(self) -> int:
        return hash((bytes(self._lines), bytes(self._hits)))

    def __repr__(self) -> str:
        preview = dict(list(self.items_sorted())[:6])
        more = "..." if len(self) > 6 else ""
        return f"LineHits({preview}{more})"


#: Largest branch count kept per line (the compact store uses unsigned 32-bit cells).
MAX_BRANCHES = 2**32 - 1


class BranchCounts(Mapping[int, tuple[int, int]]):
    """An immutable, compact line -> (covered, total) mapping ordered by line (12 bytes a line
    instead of about 200 for a dict entry holding a tuple): what keeps a big report's memory in
    budget. Parsers that read branches per line into big reports build it (Cobertura)."""

    __slots__ = ("_covered", "_lines", "_total")

    def __init__(self, lines: array[int], covered: array[int], total: array[int]) -> None:
        self._lines = lines
        self._covered = covered
        self._total = total

    @classmethod
    def from_mapping(cls, mapping: Mapping[int, tuple[int, int]]) -> BranchCounts:
        keys = sorted(mapping)
        return cls(
            array("I", keys),
            array("I", (mapping[k][0] for k in keys)),
            array("I", (mapping[k][1] for k in keys)),
        )

    def __getitem__(self, line: int) -> tuple[int, int]:
        lines = self._lines
        index = bisect_left(lines, line)
        if index == len(lines) or lines[index] != line:
            raise KeyError(line)
        return self._covered[index], self._total[index]

    # Mapping's own get/in/items/values go through __getitem__: a bisection per line, and a
    # raised KeyError per miss (``line_totals`` asks for every covered line). These walk the
    # arrays instead.

    def get(self, line: int, default: Any = None) -> Any:
        lines = self._lines
        index = bisect_left(lines, line)
        if index == len(lines) or lines[index] != line:
            return default
        return self._covered[index], self._total[index]

    def __contains__(self, line: object) -> bool:
        if not isinstance(line, int):
            return False
        lines = self._lines
        index = bisect_left(lines, line)
        return index != len(lines) and lines[index] == line

    def items(self) -> ItemsView[int, tuple[int, int]]:
        return _BranchItems(self)

    def values(self) -> ValuesView[tuple[int, int]]:
        return _BranchValues(self)

    def __iter__(self) -> Iterator[int]:
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)

    def totals(self) -> tuple[int, int]:
        """Covered and total branches over all lines."""
        return sum(self._covered), sum(self._total)

    def __repr__(self) -> str:
        return f"BranchCounts({dict(self.items())})"


class _BranchItems(ItemsView[int, tuple[int, int]]):
    __slots__ = ("_counts",)

    def __init__(self, counts: BranchCounts) -> None:
        super().__init__(counts)
        self._counts = counts

    def __iter__(self) -> Iterator[tuple[int, tuple[int, int]]]:
        counts = self._counts
        pairs = zip(counts._covered, counts._total, strict=True)
        return zip(counts._lines, pairs, strict=True)


class _BranchValues(ValuesView[tuple[int, int]]):
    __slots__ = ("_counts",)

    def __init__(self, counts: BranchCounts) -> None:
        super().__init__(counts)
        self._counts = counts

    def __iter__(self) -> Iterator[tuple[int, int]]:
        counts = self._counts
        return zip(counts._covered, counts._total, strict=True)


@dataclass(frozen=True, slots=True)
class GoBlock:
    """One Go coverage block: a source range, its statement count and its execution count."""

    start_line: int
    start_col: int
    end_line: int
    end_col: int
    statements: int
    count: int

    @property
    def key(self) -> tuple[int, int, int, int]:
        return (self.start_line, self.start_col, self.end_line, self.end_col)


@dataclass(frozen=True, slots=True)
class Function:
    """A function as the format reports it; ``hits`` is how often it was entered."""

    name: str
    start_line: int
    hits: int
    end_line: int | None = None


@dataclass(frozen=True, slots=True)
class FileCoverage:
    """Coverage of one source file, path relative to the repository root."""

    path: str
    lines: LineHits = field(default_factory=LineHits.empty)
    #: line -> (covered branches, total branches); only lines that have branches
    branches: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    functions: tuple[Function, ...] = ()
    #: counts in the report's native unit (see CoverageReport.unit)
    native: Counts = field(default_factory=Counts)
    #: the package or module the file belongs to (Go import path, Java package), if known
    package: str | None = None
    #: Go only: the blocks, for block-level merging by Go's rules
    blocks: tuple[GoBlock, ...] | None = None

    def line_totals(self) -> LineTotals:
        covered = partial = 0
        branches = self.branches
        for line, hits in self.lines.items_sorted():
            if hits > 0:
                covered += 1
                pair = branches.get(line)
                if pair is not None and pair[0] < pair[1]:
                    partial += 1
        return LineTotals(covered=covered, partial=partial, total=len(self.lines))

    def branch_totals(self) -> Counts:
        covered = total = 0
        for c, t in self.branches.values():
            covered += c
            total += t
        return Counts(covered, total)

    def function_totals(self) -> Counts:
        return Counts(sum(1 for f in self.functions if f.hits > 0), len(self.functions))

    def missed_lines(self) -> list[int]:
        return [line for line, hits in self.lines.items_sorted() if hits == 0]


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """A whole report: files by path, plus what the producing tool needs to print its headline.

    ``format`` names the parser ("cobertura", "lcov", "gocover", ...; "mixed" after merging
    different formats). ``unit`` is the native unit ("statements", "lines", "instructions", ...).
    ``rule`` reproduces the tool's own headline from the native counts. ``mode`` is Go's counter
    mode ("set", "count", "atomic") where it applies. ``native_override`` is for formats that only
    carry a total (a coverage.py HTML directory, an Istanbul summary): it then wins over the sum of
    the files.
    """

    format: str
    unit: str
    rule: DisplayRule
    files: Mapping[str, FileCoverage]
    mode: str | None = None
    native_override: Counts | None = None

    def native_totals(self) -> Counts:
        if self.native_override is not None:
            return self.native_override
        total = Counts()
        for f in self.files.values():
            total = total + f.native
        return total

    def line_totals(self) -> LineTotals:
        total = LineTotals()
        for f in self.files.values():
            total = total + f.line_totals()
        return total

    def branch_totals(self) -> Counts:
        total = Counts()
        for f in self.files.values():
            total = total + f.branch_totals()
        return total

    def native_percent(self) -> float | None:
        """The unrounded headline percentage, computed in the tool's own operation order."""
        counts = self.native_totals()
        return self.rule.percent(counts.covered, counts.total)

    def native_display(self) -> str:
        """The headline exactly as the tool prints it."""
        counts = self.native_totals()
        return self.rule.display(counts.covered, counts.total)
