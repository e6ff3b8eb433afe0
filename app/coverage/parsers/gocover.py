"""Go text coverage profiles (``go test -coverprofile``, ``covdata textfmt``) and their merge.

Grammar (reference/formats.md §1.1, golang.org/x/tools/cover ``ParseProfilesFromReader``)::

    mode: set|count|atomic
    FILE:SL.SC,EL.EC NSTMT COUNT

Each block line is read from the right, so ``FILE`` may hold ``:`` (``C:\\src\\a.go``) and spaces.
The input is read in bounded chunks of whole lines, never held whole. What this parser does
beyond x/tools, all deliberate:

* extra ``mode:`` lines (``cat a.out b.out``) are skipped when they repeat the first mode; another
  mode is refused, naming both (x/tools would fail on any second mode line);
* blocks repeated with the same position are merged, as x/tools does (``NSTMT`` must match;
  ``set`` ORs, ``count``/``atomic`` add, saturating at ``Limits.max_count``);
* blank lines are skipped, a ``\\r\\n`` line end and a UTF-8 byte order mark are accepted;
* numbers are plain ASCII digits (no sign), line numbers are ``1..Limits.max_line_number``, a block
  never ends before it starts, and ``set`` counts above 1 read as 1;
* a line longer than :data:`MAX_LINE_BYTES` is refused (Go's ``bufio.Scanner`` refuses it too).

The native unit is statements, the headline Go's ``coverage: X% of statements``: covered = Σ NSTMT
of blocks with COUNT ≠ 0, total = Σ NSTMT of all blocks (:data:`percent.GO`). Lines are projected
from the blocks by Codecov's rule (formats.md §1.5) but without the empty (``NSTMT = 0``) blocks:
a block touches lines SL..EL-1, plus EL when EC > 2 (and always at least SL). A line's hits are
the largest count among the blocks touching it; a line touched by both run and not-run blocks is
*partial*, recorded as ``branches[line] = (blocks run, blocks touching)``. Paths stay as the
profile writes them (import paths); mapping to repository paths is :mod:`app.coverage.paths`' job.

The input is read in chunks of whole lines. A chunk of well-formed block lines (the whole of a
real profile but its mode line) is split and checked with whole-array operations
(:mod:`.gocover_scan`); any chunk holding something else (a blank or ``mode:`` line, a number out
of bounds, a new file past a limit) is read again line by line, which gives the exact error.
Repeated blocks are merged (and checked) per file once the input is read; an error about one names
the line it is on, and of several errors the one on the earliest line is raised, as if everything
had been read line by line.

:func:`merge_profiles` (:mod:`.gocover_merge`) merges parsed profiles by Go's rules; see its
docstring for the cases Go itself does not define (mixed modes, blocks from different toolchains).
:mod:`.gocover_build` turns blocks into the model.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from functools import partial
from io import BytesIO
from itertools import accumulate
from typing import BinaryIO

import numpy as np

from app.coverage.errors import CoverageError, InvalidReport, LimitExceeded
from app.coverage.model import CoverageReport
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits
from app.coverage.parsers.gocover_build import (
    FORMAT,
    GO_BLOCK_FORMATS,
    MODES,
    UNIT,
    Columns,
    GoBlocks,
    IntArray,
    SpanBudget,
    block_lines,
    build_file,
    build_files,
    package_of,
    position,
    repeated,
    report_of,
    unordered_segments,
)
from app.coverage.parsers.gocover_merge import _conflicting, merge_profiles
from app.coverage.parsers.gocover_scan import scan

__all__ = [
    "FORMAT",
    "GO_BLOCK_FORMATS",
    "MAX_LINE_BYTES",
    "MODES",
    "UNIT",
    "GoBlocks",
    "SpanBudget",
    "_conflicting",
    "block_lines",
    "build_file",
    "merge_profiles",
    "package_of",
    "parse",
    "report_of",
    "sniff",
]

#: The longest line read; Go's own reader (``bufio.Scanner``, ``MaxScanTokenSize``) stops here too.
MAX_LINE_BYTES = 64 * 1024
#: How much of the input is read and checked at once.
CHUNK_BYTES = 1 << 19

_INT64_MAX = 2**63 - 1
_BOM = b"\xef\xbb\xbf"


def sniff(name: str, head: bytes) -> bool:
    """The input starts with ``mode: set``, ``mode: count`` or ``mode: atomic`` on a line alone.

    The name is not needed: Go profiles carry any name (``cover.out``, ``coverage.txt``, ...).
    """
    first = head.removeprefix(_BOM).split(b"\n", 1)[0].rstrip(b"\r")
    return first in (b"mode: set", b"mode: count", b"mode: atomic")


def parse(stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS) -> CoverageReport:
    """Read one Go text profile (possibly several concatenated ones of the same mode)."""
    reader = _Reader(name, limits)
    try:
        reader.run(stream)
    except CoverageError:
        earlier = reader.merge_repeats()  # a repeated block on an earlier line goes first
        if earlier is not None:
            raise earlier from None
        raise
    error = reader.merge_repeats()
    if error is not None:
        raise error
    paths, blocks, offsets = reader.blocks
    reader.files.clear()
    out = build_files(paths, blocks, offsets, SpanBudget(name, limits.max_lines))
    return report_of(reader.mode, out)


def _label(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


class _Reader:
    """The reading state: the mode, lines and bytes read so far, and each file's blocks."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits
        self.mode = ""
        self.read = 0
        self.number = 0
        self.files: dict[bytes, Columns] = {}
        #: after :meth:`merge_repeats`: file names (sorted), all blocks, where each file's start
        self.blocks: tuple[list[str], IntArray, list[int]] = ([], np.empty((6, 0), np.int64), [0])

    def run(self, stream: BinaryIO) -> None:
        self.slow(_lines(stream.readline(MAX_LINE_BYTES + 1)))
        if not self.mode:
            raise InvalidReport(self.name, "empty input: a Go profile starts with a 'mode:' line")
        carry = b""
        while more := stream.read(CHUNK_BYTES):
            data = carry + more if carry else more
            cut = data.rfind(b"\n") + 1
            if cut == 0:  # no line ends in it yet
                if len(data) > MAX_LINE_BYTES:
                    self.slow(_lines(data))  # refuses the long line
                carry = data
                continue
            carry = data[cut:]
            chunk = data[:cut] if carry else data
            if not self.fast(chunk):
                self.slow(_lines(chunk))
        if carry:  # the last line, without its "\n"
            self.slow(_lines(carry))

    # -- a chunk of well-formed block lines, with whole-array operations ----------------------
    def fast(self, data: bytes) -> bool:
        """Read a chunk of block lines in bulk; ``False`` (nothing done) if it has anything else."""
        size = len(data)
        limits = self.limits
        if self.read + size > limits.max_bytes:
            return False
        scanned = scan(data, crlf=data.endswith(b"\r\n"))
        if scanned is None:
            return False
        n = len(scanned)
        starts, colons, numbers = scanned.starts, scanned.colons, scanned.numbers
        if n > 1 and int(np.diff(starts).max()) > MAX_LINE_BYTES + 1:
            return False
        if size - int(starts[-1]) > MAX_LINE_BYTES + 1:
            return False
        sl, sc, el, ec, _, cnt = numbers
        if (
            int(sl.min()) < 1
            or int(el.max()) > limits.max_line_number
            or int(cnt.max()) > limits.max_count
            or not ((sl < el) | ((sl == el) & (sc <= ec))).all()
        ):
            return False
        runs = _runs(data, starts, colons)
        files = self.files
        new = [fname for fname in dict.fromkeys(run[0] for run in runs) if fname not in files]
        if new:
            if len(files) + len(new) > limits.max_files:
                return False
            try:
                for fname in new:
                    fname.decode("utf-8")
            except UnicodeDecodeError:
                return False
            for fname in new:
                files[fname] = Columns()
        if self.mode == "set":
            np.minimum(cnt, 1, out=cnt)
        first = self.number + 1
        for fname, i, j in runs:
            files[fname].extend(numbers[:, i:j], first + i)
        self.number += n
        self.read += size
        return True

    # -- line by line, with the exact error -------------------------------------------------
    def slow(self, lines: Sequence[bytes]) -> None:
        name = self.name
        limits = self.limits
        max_line = limits.max_line_number
        max_count = limits.max_count
        for raw in lines:
            self.number += 1
            number = self.number
            self.read += len(raw)
            if self.read > limits.max_bytes:
                raise LimitExceeded(name, f"the input is larger than {limits.max_bytes} bytes")
            if raw.endswith(b"\n"):
                line = raw[:-1]
            elif len(raw) > MAX_LINE_BYTES:
                raise LimitExceeded(name, f"line {number} is longer than {MAX_LINE_BYTES} bytes")
            else:
                line = raw
            if line.endswith(b"\r"):
                line = line[:-1]
            mode = self.mode
            if not mode:
                if number == 1:
                    line = line.removeprefix(_BOM)
                self.mode = _mode_of(line, name, number)
                continue
            if line.startswith(b"mode:") and _is_mode_line(line):
                other = line[5:].strip().decode("utf-8", "replace")
                if other != mode:
                    raise InvalidReport(
                        name,
                        f"line {number}: a second profile with mode {other!r} follows one with "
                        f"mode {mode!r}; Go profiles of different modes cannot be concatenated",
                    )
                continue
            if not line.strip():
                continue
            fname, key, nstmt, count = _block_line(line, name, number)
            if key[0] > max_line or key[2] > max_line:
                raise LimitExceeded(
                    name, f"line {number}: line number {max(key[0], key[2])} is above {max_line}"
                )
            if count > max_count:
                raise LimitExceeded(name, f"line {number}: count {count} is above {max_count}")
            if mode == "set" and count > 1:
                count = 1
            blocks = self.files.get(fname)
            if blocks is None:
                if len(self.files) >= limits.max_files:
                    raise LimitExceeded(name, f"more than {limits.max_files} source files")
                try:
                    fname.decode("utf-8")
                except UnicodeDecodeError:
                    raise InvalidReport(
                        name, f"line {number}: the file name is not UTF-8"
                    ) from None
                blocks = self.files[fname] = Columns()
            blocks.append((*key, nstmt, count), number)

    # -- repeated blocks ----------------------------------------------------------------------
    def merge_repeats(self) -> InvalidReport | None:
        """Merge the blocks repeated in a file as x/tools does (``set`` ORs, the others add up,
        saturating at ``Limits.max_count``); the error about the earliest line whose repeated
        block has another NSTMT, if any. Leaves every file's blocks in :attr:`blocks`."""
        files = self.files
        raw_names = sorted(files, key=_label)
        columns = [files[raw] for raw in raw_names]
        offsets = [0, *accumulate(c.count for c in columns)]
        kinds = {part.dtype for c in columns for part in c.arrays()}
        blocks = np.empty((6, offsets[-1]), np.int32 if kinds == {np.dtype(np.int32)} else np.int64)
        at = 0
        for c in columns:  # each file's parts are let go once copied: memory stays near 1x
            for part in c.arrays():
                blocks[:, at : at + part.shape[1]] = part
                at += part.shape[1]
            c.parts = []
        first: tuple[int, str] | None = None
        merged: dict[int, IntArray] = {}
        for k in unordered_segments(blocks, offsets):
            mine = blocks[:, offsets[k] : offsets[k + 1]]
            if not repeated(mine):
                continue  # only out of order: the model sorts them
            found, merged[k] = _merge_repeats(
                columns[k], mine, self.mode == "set", self.limits.max_count
            )
            if found is not None and (first is None or found[0] < first[0]):
                number, key, before, after = found
                problem = (
                    f"line {number}: inconsistent NumStmt for the repeated block "
                    f"{_label(raw_names[k])}:{position(key)}: changed from {before} to {after}"
                )
                first = (number, problem)
        if merged:
            parts = [
                merged.get(k, blocks[:, offsets[k] : offsets[k + 1]]) for k in range(len(columns))
            ]
            offsets = [0, *accumulate(part.shape[1] for part in parts)]
            blocks = np.concatenate(parts, axis=1)
        self.blocks = ([_label(raw) for raw in raw_names], blocks, offsets)
        return None if first is None else InvalidReport(self.name, first[1])


def _runs(data: bytes, starts: IntArray, colons: IntArray) -> list[tuple[bytes, int, int]]:
    """The runs of consecutive lines of one file in a chunk: (file name, first line, the line
    after the last), lines counted from 0 in the chunk; a line's name ends at ``colons``."""
    n = len(starts)
    begin, names_end = starts, colons  # read a few times per run: no lists made
    widths = colons - starts
    runs: list[tuple[bytes, int, int]] = []
    i = 0
    while i < n:
        head = data[begin[i] : names_end[i] + 1]  # "FILE:"
        width = len(head) - 1
        # Where this file's lines end, if they are all together (checked just below: every
        # line in between starts "\nFILE:" and its name is as long as FILE).
        j = bisect_left(begin, True, i + 1, n, key=partial(_lacks, data, head))
        stop = begin[j] if j < n else len(data)
        if data.count(b"\n" + head, begin[i], stop) != j - i - 1 or (widths[i:j] != width).any():
            j = i + 1
            while j < n and names_end[j] - begin[j] == width and data.startswith(head, begin[j]):
                j += 1
        runs.append((head[:-1], i, j))
        i = j
    return runs


def _lacks(data: bytes, head: bytes, start: int) -> bool:
    return not data.startswith(head, start)


def _lines(data: bytes) -> list[bytes]:
    """``data`` cut as the line-by-line reader reads it (lines of at most MAX_LINE_BYTES + 1)."""
    return list(iter(partial(BytesIO(data).readline, MAX_LINE_BYTES + 1), b""))


def _merge_repeats(
    read: Columns, blocks: IntArray, to_set: bool, max_count: int
) -> tuple[tuple[int, tuple[int, int, int, int], int, int] | None, IntArray]:
    """One file's blocks with the repeated ones merged; the first inconsistent repeat, if any:
    (input line, position, NSTMT before, NSTMT on that line)."""
    merged: dict[tuple[int, int, int, int], list[int]] = {}
    for index, (sl, sc, el, ec, nstmt, count) in enumerate(blocks.T.tolist()):
        key = (sl, sc, el, ec)
        previous = merged.get(key)
        if previous is None:
            merged[key] = [nstmt, count]
        elif previous[0] != nstmt:
            return (read.number(index), key, previous[0], nstmt), blocks
        elif to_set:
            previous[1] |= count
        else:
            previous[1] = min(previous[1] + count, max_count)
    rows = [(*key, nstmt, count) for key, (nstmt, count) in merged.items()]
    return None, np.array(rows, dtype=np.int64).T.copy()


def _is_mode_line(line: bytes) -> bool:
    """``mode: X`` with a single word X (a file name holding "mode:" still has its ``:SL.SC``)."""
    rest = line[5:].strip()
    return bool(rest) and b" " not in rest and b":" not in rest


def _mode_of(line: bytes, name: str, number: int) -> str:
    if not line.startswith(b"mode: ") or line == b"mode: ":
        shown = line[:80].decode("utf-8", "replace")
        raise InvalidReport(
            name, f"line {number}: bad mode line {shown!r}: expected 'mode: set|count|atomic'"
        )
    mode = line[6:].decode("utf-8", "replace")
    if mode not in MODES:
        raise InvalidReport(
            name, f"line {number}: unknown mode {mode!r}: expected one of set, count, atomic"
        )
    return mode


def _number(text: bytes, what: str, line: bytes, number: int, name: str) -> int:
    if text.isdigit() and len(text) <= 19:
        value = int(text)
        if value <= _INT64_MAX:
            return value
    shown_number = text[:40].decode() + ("..." if len(text) > 40 else "")
    if text.startswith(b"-") and text[1:].isdigit():
        problem = f"negative values are not allowed for {what}, found {shown_number}"
    elif text.isdigit():
        problem = f"{what} {shown_number} is out of range"
    else:
        problem = f"couldn't parse {what} {text[:40].decode('utf-8', 'replace')!r}"
    shown = line[:200].decode("utf-8", "replace")
    raise InvalidReport(
        name, f"line {number}: {shown!r} doesn't match 'FILE:SL.SC,EL.EC NSTMT COUNT': {problem}"
    )


def _block_line(
    line: bytes, name: str, number: int
) -> tuple[bytes, tuple[int, int, int, int], int, int]:
    """Split ``FILE:SL.SC,EL.EC NSTMT COUNT`` from the right, as x/tools ``parseLine`` does."""
    fields: list[bytes] = []
    rest = line
    for sep, what in _SEEK:
        head, found, tail = rest.rpartition(sep)
        if not found:
            shown = line[:200].decode("utf-8", "replace")
            raise InvalidReport(
                name,
                f"line {number}: {shown!r} doesn't match 'FILE:SL.SC,EL.EC NSTMT COUNT': "
                f"couldn't find a {sep.decode()!r} before {what}",
            )
        fields.append(tail)
        rest = head
    if not rest:
        raise InvalidReport(name, f"line {number}: a block line has a blank file name")
    count, nstmt, ec, el, sc, sl = (
        _number(text, what, line, number, name)
        for text, (_, what) in zip(fields, _SEEK, strict=True)
    )
    if sl == 0 or el == 0:
        raise InvalidReport(name, f"line {number}: line numbers start at 1, found 0")
    if (el, ec) < (sl, sc):
        raise InvalidReport(
            name, f"line {number}: the block {sl}.{sc},{el}.{ec} ends before it starts"
        )
    return rest, (sl, sc, el, ec), nstmt, count


_SEEK = (
    (b" ", "Count"),
    (b" ", "NumStmt"),
    (b".", "EndCol"),
    (b",", "EndLine"),
    (b".", "StartCol"),
    (b":", "StartLine"),
)
