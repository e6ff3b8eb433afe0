"""From Go blocks to the model: native statements, projected lines and partials (see gocover).

Blocks are integer arrays of six rows (SL, SC, EL, EC, NSTMT, COUNT), one column per block, so
that reading a profile of millions of blocks makes no tuple or GoBlock per block (a file's blocks
are gathered in :class:`Columns` while the profile is read). :func:`build_files` turns the blocks
of all files into :class:`FileCoverage` objects at once, with whole-array operations, walking line
by line only the files whose blocks share lines. The ``blocks`` of each result are a
:class:`GoBlocks`, a tuple of :class:`GoBlock` whose objects are only made when someone looks at
them.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import accumulate
from typing import Any, SupportsIndex, overload

import numpy as np
import numpy.typing as npt

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

Int64Array = npt.NDArray[np.int64]
#: the blocks' numbers: int32 when they all fit (see gocover_scan), else int64
IntArray = npt.NDArray[np.signedinteger[Any]]


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
    """One file's blocks in the order they were read: parts of a ``(6, n)`` int64 array (rows SL,
    SC, EL, EC, NSTMT, COUNT; a block per column), from the bulk reader or line by line.

    ``runs`` remembers the input line of each block (for errors about repeated blocks) as
    (index of a block, its line) for each block that does not sit on the line after the previous
    block's.
    """

    __slots__ = ("count", "parts", "pending", "runs")

    def __init__(self) -> None:
        self.parts: list[IntArray] = []
        self.pending: list[tuple[int, int, int, int, int, int]] = []
        self.runs: list[tuple[int, int]] = []
        self.count = 0

    def extend(self, blocks: IntArray, first: int) -> None:
        """Add ``blocks`` (``(6, k)``), read from input lines ``first`` on."""
        self._mark(first)
        self._flush()
        self.parts.append(blocks)
        self.count += blocks.shape[1]

    def append(self, row: tuple[int, int, int, int, int, int], number: int) -> None:
        self._mark(number)
        self.pending.append(row)
        self.count += 1

    def arrays(self) -> list[IntArray]:
        """The blocks, in parts (``(6, k)`` arrays) to be joined."""
        self._flush()
        return self.parts

    def _flush(self) -> None:
        if self.pending:
            self.parts.append(np.array(self.pending, dtype=np.int64).reshape(-1, 6).T)
            self.pending = []

    def _mark(self, number: int) -> None:
        index = self.count
        if not self.runs or self.runs[-1][1] + index - self.runs[-1][0] != number:
            self.runs.append((index, number))

    def number(self, index: int) -> int:
        """The input line of block ``index``."""
        at, number = self.runs[bisect_right(self.runs, (index, 2**63)) - 1]
        return number + index - at


def _later(a: IntArray, b: IntArray) -> npt.NDArray[np.bool_]:
    """Block by block: is the position (SL, SC, EL, EC) of ``a`` after that of ``b``?"""
    later: npt.NDArray[np.bool_] = a[0] > b[0]
    same: npt.NDArray[np.bool_] = a[0] == b[0]
    for row in (1, 2, 3):
        later |= same & (a[row] > b[row])
        same &= a[row] == b[row]
    return later


def unordered_segments(blocks: IntArray, offsets: Sequence[int]) -> list[int]:
    """Which segments ``blocks[:, offsets[k]:offsets[k + 1]]`` are not in strictly increasing
    position order (so are unsorted or repeat a position)."""
    size = blocks.shape[1]
    if size < 2:
        return []
    after = blocks[0, 1:] > blocks[0, :-1]
    inner = np.asarray(offsets[1:-1], np.int64)
    after[inner[(inner > 0) & (inner < size)] - 1] = True  # a segment's first block
    if after.all():
        return []
    suspects = np.flatnonzero(~after)
    bad = suspects[~_later(blocks[:, suspects + 1], blocks[:, suspects])]
    where = np.searchsorted(np.asarray(offsets, np.int64), bad + 1, "right") - 1
    return sorted(set(where.tolist()))


def in_order(blocks: IntArray) -> IntArray:
    """``blocks`` sorted by position (SL, SC, EL, EC)."""
    return blocks[:, np.lexsort(blocks[3::-1])]


def repeated(blocks: IntArray) -> bool:
    """Do two blocks (in any order) have the same position?"""
    keys = in_order(blocks)[:4]
    return bool((keys[:, 1:] == keys[:, :-1]).all(axis=0).any())


def build_files(
    paths: Sequence[str],
    blocks: IntArray,
    offsets: Sequence[int],
    budget: SpanBudget | None = None,
) -> dict[str, FileCoverage]:
    """The :class:`FileCoverage` of each file: ``paths[k]``'s blocks are
    ``blocks[:, offsets[k]:offsets[k + 1]]`` (a ``(6, n)`` array: rows SL, SC, EL, EC, NSTMT,
    COUNT; no position repeated within a file; any order). ``blocks`` is sorted in place.

    Everything is computed for all files at once; only files whose blocks share lines are
    projected line by line. ``budget`` is charged the lines the blocks span.
    """
    for k in unordered_segments(blocks, offsets):
        a, b = offsets[k], offsets[k + 1]
        blocks[:, a:b] = in_order(blocks[:, a:b])
    starts = np.asarray(offsets[:-1], np.int64)
    stops = np.asarray(offsets[1:], np.int64)
    sl, _, el, ec, ns, cnt = blocks
    totals = _segment_sums(ns, starts, stops).tolist()
    covered = _segment_sums(np.where(cnt != 0, ns, 0), starts, stops).tolist()
    # Empty (NSTMT = 0) blocks touch no line.
    keep = ns != 0
    kept = np.concatenate(([0], np.cumsum(keep)))
    fstarts, fstops = kept[starts], kept[stops]
    if keep.all():
        fsl, fel, fec, fcnt = sl, el, ec, cnt
    else:
        fsl, fel, fec, fcnt = sl[keep], el[keep], ec[keep], cnt[keep]
    # The last line a block touches: EL, or EL-1 when EC <= 2, but never before SL.
    lasts = np.maximum(fel - (fec < 3), fsl)
    spans = lasts - fsl + 1
    if budget is not None:
        budget.spend(int(spans.sum()))
    # Files where a block's lines do not all come after the previous block's.
    shared = np.zeros(len(fsl), np.bool_)
    if len(fsl) > 1:
        shared[1:] = fsl[1:] <= lasts[:-1]
        shared[fstarts[fstarts < len(fsl)]] = False
    overlapping = set((np.searchsorted(fstarts, np.flatnonzero(shared), "right") - 1).tolist())
    # Lines and hits of all files at once (line numbers and offsets fit 32 bits: Limits).
    ends = np.cumsum(spans, dtype=np.int64)
    line_at = np.concatenate(([0], ends))
    lines = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int32)
    lines -= np.repeat((ends - spans - fsl).astype(np.int32), spans)
    wide = len(fcnt) > 0 and int(fcnt.max()) >= 1 << 32
    all_lines = lines.view(np.uint32)
    all_hits = np.repeat(fcnt.astype(np.int64 if wide else np.uint32), spans)
    del lines
    code = "q" if wide else "I"
    out: dict[str, FileCoverage] = {}
    bounds = zip(
        starts.tolist(),
        stops.tolist(),
        line_at[fstarts].tolist(),
        line_at[fstops].tolist(),
        strict=True,
    )
    for k, (path, (s, e, lo, hi)) in enumerate(zip(paths, bounds, strict=True)):
        branches: dict[int, tuple[int, int]] = {}
        if k in overlapping:
            a, b = int(fstarts[k]), int(fstops[k])
            file_lines, branches = _overlapping(
                fsl[a:b].tolist(), lasts[a:b].tolist(), fcnt[a:b].tolist()
            )
        else:
            file_lines = LineHits(_array("I", all_lines[lo:hi]), _array(code, all_hits[lo:hi]))
        out[path] = FileCoverage(
            path=path,
            lines=file_lines,
            branches=branches,
            native=Counts(covered[k], totals[k]),
            package=package_of(path),
            blocks=GoBlocks.of_array(blocks, s, e),
        )
    return out


def _segment_sums(values: IntArray, starts: Int64Array, stops: Int64Array) -> Int64Array:
    sums = np.concatenate(([0], np.cumsum(values, dtype=np.int64)))
    result: Int64Array = sums[stops] - sums[starts]
    return result


def _array(code: str, values: npt.NDArray[Any]) -> array[int]:
    """The values (of the code's C type, contiguous) as an :class:`array.array`."""
    out = array(code)
    out.frombytes(np.ascontiguousarray(values).data.cast("B"))
    return out


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


def blocks_of(blocks: Mapping[tuple[int, int, int, int], tuple[int, int]]) -> Int64Array:
    """A block map as a ``(6, n)`` array, in position order."""
    if not blocks:
        return np.empty((6, 0), np.int64)
    return np.array(
        [(*key, nstmt, count) for key, (nstmt, count) in sorted(blocks.items())], dtype=np.int64
    ).T.copy()


def build_maps(
    files: Mapping[str, Mapping[tuple[int, int, int, int], tuple[int, int]]],
    budget: SpanBudget | None = None,
) -> dict[str, FileCoverage]:
    """The :class:`FileCoverage` of each file's blocks given as maps (position -> NSTMT, COUNT)."""
    paths = list(files)
    parts = [blocks_of(files[path]) for path in paths]
    offsets = [0, *accumulate(part.shape[1] for part in parts)]
    joined = np.concatenate(parts, axis=1) if parts else np.empty((6, 0), np.int64)
    return build_files(paths, joined, offsets, budget)


def build_file(
    path: str,
    blocks: Mapping[tuple[int, int, int, int], tuple[int, int]],
    budget: SpanBudget | None = None,
) -> FileCoverage:
    """The :class:`FileCoverage` of one file's blocks: native statements, lines, partials."""
    return build_maps({path: blocks}, budget)[path]


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
    reading the profile. The parser's block array is kept instead and the objects made, once,
    when the blocks are read. Everything a tuple offers works (the tuple's own storage stays
    empty, so every operation is answered from the made objects); copies and pickles are plain
    tuples.
    """

    #: gives the columns SL, SC, EL, EC, NSTMT, COUNT as lists, until the blocks are made
    _columns: Callable[[], list[list[int]]] | None
    _made: tuple[GoBlock, ...]
    _size: int

    def __new__(cls, items: Iterable[GoBlock] = ()) -> GoBlocks:
        """Made at once from ``items``, like a tuple (:meth:`of_array` makes them on use)."""
        self = super().__new__(cls)
        self._columns = None
        self._made = tuple(items)
        return self

    @classmethod
    def of_array(cls, blocks: IntArray, start: int, stop: int) -> GoBlocks:
        """The blocks ``blocks[:, start:stop]`` (rows SL, SC, EL, EC, NSTMT, COUNT), made when
        first used."""
        self = tuple.__new__(cls)
        self._columns = blocks[:, start:stop].tolist
        self._size = stop - start
        return self

    @classmethod
    def of_lists(cls, columns: Sequence[Sequence[int]]) -> GoBlocks:
        """The blocks of six columns SL, SC, EL, EC, NSTMT, COUNT, made when first used."""
        if len(columns) != 6 or len({len(column) for column in columns}) > 1:
            raise ValueError("Go blocks need six columns of one length")
        blocks = np.array(columns, dtype=np.int64).reshape(6, -1)
        return cls.of_array(blocks, 0, blocks.shape[1])

    def columns(self) -> list[list[int]]:
        """The six columns SL, SC, EL, EC, NSTMT, COUNT as lists (no GoBlock made)."""
        columns = self._columns
        if columns is not None:
            return columns()
        made = self._made
        rows = [
            (b.start_line, b.start_col, b.end_line, b.end_col, b.statements, b.count) for b in made
        ]
        return [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in range(6)]

    def _blocks(self) -> tuple[GoBlock, ...]:
        columns = self._columns
        if columns is not None:
            self._made = tuple(map(GoBlock, *columns()))
            self._columns = None
        return self._made

    def __len__(self) -> int:
        return self._size if self._columns is not None else len(self._made)

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
