"""From Go blocks to the model: native statements, projected lines and partials (see gocover).

Blocks of one file arrive as columns (:class:`Columns`: parallel lists of SL, SC, EL, EC, NSTMT
and COUNT) so that reading a profile of millions of blocks makes no tuple or GoBlock per block.
:func:`build_columns` turns them into a :class:`FileCoverage` with whole-list operations in the
common case (blocks in position order whose lines do not overlap) and falls back to a per-line walk
otherwise; both give the same result. The ``blocks`` of the result are a :class:`GoBlocks`, a
tuple of :class:`GoBlock` whose objects are only made when someone looks at them.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain, compress, islice, repeat
from operator import add, le, lt, sub
from typing import Any, SupportsIndex, overload

from app.coverage import percent
from app.coverage.errors import LimitExceeded
from app.coverage.model import Counts, CoverageReport, FileCoverage, GoBlock, LineHits

FORMAT = "gocover"
UNIT = "statements"

#: Report formats that carry Go blocks and merge by Go's rules (text profiles, GOCOVERDIR data).
GO_BLOCK_FORMATS = frozenset({FORMAT, "gocovdata"})

#: The counter modes Go writes.
MODES = ("set", "count", "atomic")

#: (SL, SC, EL, EC) -> (NSTMT, COUNT)
BlockMap = dict[tuple[int, int, int, int], tuple[int, int]]


class SpanBudget:
    """Bounds the line projection work: Σ over blocks of the lines each one spans.

    A hostile profile can repeat a block that spans ten million lines; the projection would then
    cost far more than the input's size. Real profiles' blocks hardly overlap, so the sum is about
    the number of measured lines, and ``Limits.max_lines`` bounds it.
    """

    __slots__ = ("left", "limit", "name")

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self.left = limit

    def spend(self, lines: int) -> None:
        self.left -= lines
        if self.left < 0:
            raise LimitExceeded(
                self.name, f"the blocks span more than {self.limit} lines in all (Limits.max_lines)"
            )


def block_lines(block: tuple[int, int, int, int]) -> range:
    """Lines a block touches: SL..EL-1, EL too when EC > 2, and never fewer than SL itself."""
    sl, _, el, ec = block
    last = el if ec > 2 else el - 1
    return range(sl, max(last, sl) + 1)


def position(key: tuple[int, int, int, int]) -> str:
    return f"{key[0]}.{key[1]},{key[2]}.{key[3]}"


def package_of(path: str) -> str | None:
    """The directory part of a profile path: the Go import path of the file's package."""
    cut = max(path.rfind("/"), path.rfind("\\"))
    return path[:cut] if cut > 0 else None


class Columns:
    """One file's blocks as parallel columns (lists), in the order they were read.

    ``runs`` remembers the input line of each block (for errors about repeated blocks) as
    (index of a block, its line) for each block that does not sit on the line after the previous
    block's.
    """

    __slots__ = ("cols", "ordered", "runs")

    def __init__(self) -> None:
        self.cols: tuple[list[int], ...] = ([], [], [], [], [], [])
        self.runs: list[tuple[int, int]] = []
        #: whether the blocks are in strictly increasing position order, once known
        self.ordered: bool | None = None

    def extend(self, cols: Sequence[list[int]], start: int, stop: int, first: int) -> None:
        """Add rows ``start:stop`` of ``cols``, read from input lines ``first`` on."""
        self._mark(first)
        for mine, theirs in zip(self.cols, cols, strict=True):
            mine += theirs[start:stop]

    def append(self, row: tuple[int, int, int, int, int, int], number: int) -> None:
        self._mark(number)
        for mine, value in zip(self.cols, row, strict=True):
            mine.append(value)

    def _mark(self, number: int) -> None:
        index = len(self.cols[0])
        if not self.runs or self.runs[-1][1] + index - self.runs[-1][0] != number:
            self.runs.append((index, number))

    def number(self, index: int) -> int:
        """The input line of block ``index``."""
        at, number = self.runs[bisect_right(self.runs, (index, 2**63)) - 1]
        return number + index - at


def strictly_increasing(
    sl: Sequence[int], sc: Sequence[int], el: Sequence[int], ec: Sequence[int]
) -> bool:
    """Are the positions (SL, SC, EL, EC) strictly increasing (so sorted, none repeated)?"""
    if all(map(lt, sl, islice(sl, 1, None))):
        return True
    keys = zip(sl, sc, el, ec, strict=True)
    return all(map(lt, keys, islice(zip(sl, sc, el, ec, strict=True), 1, None)))


def build_columns(
    path: str,
    cols: Sequence[Sequence[int]],
    budget: SpanBudget | None = None,
    ordered: bool | None = None,
) -> FileCoverage:
    """The :class:`FileCoverage` of one file's blocks, given as columns with no repeated position.

    The blocks need not be in position order. ``budget`` is charged the lines the blocks span.
    """
    sl, sc, el, ec, ns, cnt = cols
    if not (strictly_increasing(sl, sc, el, ec) if ordered is None else ordered):
        rows = sorted(zip(sl, sc, el, ec, ns, cnt, strict=True))
        sl, sc, el, ec, ns, cnt = (
            (array("q", col) for col in zip(*rows, strict=True)) if rows else cols
        )
    total = sum(ns)
    covered = sum(compress(ns, cnt))
    if all(ns):  # the usual case: no empty block
        fsl, fel, fec, fcnt = sl, el, ec, cnt
    else:
        fsl, fel, fec, fcnt = (list(compress(col, ns)) for col in (sl, el, ec, cnt))
    # The last line a block touches: EL, or EL-1 when EC <= 2, but never before SL.
    lasts = list(map(sub, fel, map(lt, fec, repeat(3))))
    if not all(map(le, fsl, lasts)):
        lasts = list(map(max, fsl, lasts))
    if budget is not None:
        budget.spend(sum(lasts) - sum(fsl) + len(fsl))
    branches: dict[int, tuple[int, int]] = {}
    if all(map(lt, lasts, islice(fsl, 1, None))):
        # Each block's lines come after the previous block's: every line has exactly one block.
        ends = list(map(add, lasts, repeat(1)))
        lines = LineHits(
            array("I", chain.from_iterable(map(range, fsl, ends))),
            array("q", chain.from_iterable(map(repeat, fcnt, map(sub, ends, fsl)))),
        )
    else:
        lines, branches = _overlapping(fsl, lasts, fcnt)
    return FileCoverage(
        path=path,
        lines=lines,
        branches=branches,
        native=Counts(covered, total),
        package=package_of(path),
        blocks=GoBlocks.of_columns((sl, sc, el, ec, ns, cnt)),
    )


def _overlapping(
    firsts: Sequence[int], lasts: Sequence[int], counts: Sequence[int]
) -> tuple[LineHits, dict[int, tuple[int, int]]]:
    """Lines of blocks that share lines: the largest count wins; run and not-run is partial."""
    hits: dict[int, int] = {}
    touching: dict[int, int] = {}
    run: dict[int, int] = {}
    for first, last, count in zip(firsts, lasts, counts, strict=True):
        was_run = 1 if count else 0
        for line in range(first, last + 1):
            if line in hits:
                if count > hits[line]:
                    hits[line] = count
                touching[line] += 1
                run[line] += was_run
            else:
                hits[line] = count
                touching[line] = 1
                run[line] = was_run
    branches = {line: (run[line], n) for line, n in sorted(touching.items()) if 0 < run[line] < n}
    return LineHits.from_mapping(hits), branches


def build_file(
    path: str,
    blocks: Mapping[tuple[int, int, int, int], tuple[int, int]],
    budget: SpanBudget | None = None,
) -> FileCoverage:
    """The :class:`FileCoverage` of one file's blocks: native statements, lines, partials."""
    rows = [(*key, nstmt, count) for key, (nstmt, count) in sorted(blocks.items())]
    cols = tuple(list(col) for col in zip(*rows, strict=True)) if rows else Columns().cols
    return build_columns(path, cols, budget)


def report_of(mode: str, files: Mapping[str, FileCoverage]) -> CoverageReport:
    return CoverageReport(
        format=FORMAT,
        unit=UNIT,
        rule=percent.GO,
        mode=mode,
        files={path: files[path] for path in sorted(files)},
    )


class GoBlocks(tuple[GoBlock, ...]):
    """A file's blocks in position order: a tuple of :class:`GoBlock` made on first use.

    A big profile has millions of blocks while most uses of a parsed report (headlines, lines,
    comparisons) never look at them; making a Python object per block would cost more than
    reading the profile. The columns are kept instead and the objects made, once, when the blocks
    are read. Everything a tuple offers works (the tuple's own storage stays empty, so every
    operation is answered from the made objects); copies and pickles are plain tuples.
    """

    _columns: tuple[Sequence[int], ...] | None
    _made: tuple[GoBlock, ...]

    def __new__(cls, items: Iterable[GoBlock] = ()) -> GoBlocks:
        """Made at once from ``items``, like a tuple (:meth:`of_columns` makes them on use)."""
        self = super().__new__(cls)
        self._columns = None
        self._made = tuple(items)
        return self

    @classmethod
    def of_columns(cls, columns: tuple[Sequence[int], ...]) -> GoBlocks:
        """The blocks of columns SL, SC, EL, EC, NSTMT, COUNT, made when first used."""
        self = tuple.__new__(cls)
        self._columns = columns
        return self

    def _blocks(self) -> tuple[GoBlock, ...]:
        columns = self._columns
        if columns is not None:
            self._made = tuple(map(GoBlock, *columns))
            self._columns = None
        return self._made

    def __len__(self) -> int:
        columns = self._columns
        return len(columns[0]) if columns is not None else len(self._made)

    def __iter__(self) -> Iterator[GoBlock]:
        return iter(self._blocks())

    def __reversed__(self) -> Iterator[GoBlock]:
        return reversed(self._blocks())

    @overload
    def __getitem__(self, index: SupportsIndex) -> GoBlock: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[GoBlock, ...]: ...
    def __getitem__(self, index: SupportsIndex | slice) -> GoBlock | tuple[GoBlock, ...]:
        return self._blocks()[index]

    def __contains__(self, item: object) -> bool:
        return item in self._blocks()

    def count(self, value: Any) -> int:
        return self._blocks().count(value)

    def index(self, value: Any, start: SupportsIndex = 0, stop: SupportsIndex = 2**63 - 1) -> int:
        return self._blocks().index(value, start, stop)

    def __eq__(self, other: object) -> bool:
        return self._blocks() == other

    def __ne__(self, other: object) -> bool:
        return self._blocks() != other

    def __lt__(self, other: tuple[GoBlock, ...]) -> bool:
        return self._blocks() < tuple(other)

    def __le__(self, other: tuple[GoBlock, ...]) -> bool:
        return self._blocks() <= tuple(other)

    def __gt__(self, other: tuple[GoBlock, ...]) -> bool:
        return self._blocks() > tuple(other)

    def __ge__(self, other: tuple[GoBlock, ...]) -> bool:
        return self._blocks() >= tuple(other)

    def __hash__(self) -> int:
        return hash(self._blocks())

    def __add__(self, other: tuple[Any, ...]) -> tuple[Any, ...]:
        return self._blocks() + tuple(other)

    def __radd__(self, other: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(other) + self._blocks()

    def __mul__(self, times: SupportsIndex) -> tuple[GoBlock, ...]:
        return self._blocks() * times

    def __rmul__(self, times: SupportsIndex) -> tuple[GoBlock, ...]:
        return times * self._blocks()

    def __repr__(self) -> str:
        return repr(self._blocks())

    def __getnewargs__(self) -> tuple[tuple[GoBlock, ...]]:
        return (self._blocks(),)

    def __reduce__(self) -> tuple[type[tuple[GoBlock, ...]], tuple[tuple[GoBlock, ...]]]:
        return (tuple, (self._blocks(),))
