"""Go text coverage profiles (``go test -coverprofile``, ``covdata textfmt``) and their merge.

Grammar (reference/formats.md §1.1, golang.org/x/tools/cover ``ParseProfilesFromReader``)::

    mode: set|count|atomic
    FILE:SL.SC,EL.EC NSTMT COUNT

Each block line is read from the right, so ``FILE`` may hold ``:`` (``C:\\src\\a.go``) and spaces.
The input is read line by line (in batches) and never held whole. What this parser does beyond
x/tools, all deliberate:

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

The input is read in batches of lines. A batch of well-formed block lines (the whole of a real
profile but its mode line) is split and checked with whole-batch operations; any batch holding
something else (a blank or ``mode:`` line, a number out of bounds, a new file past a limit) is
read again line by line, which gives the exact error. Repeated blocks are merged (and checked) per
file once the input is read; an error about one names the line it is on, and of several errors the
one on the earliest line is raised, as if everything had been read line by line.

:func:`merge_profiles` (:mod:`.gocover_merge`) merges parsed profiles by Go's rules; see its
docstring for the cases Go itself does not define (mixed modes, blocks from different toolchains).
:mod:`.gocover_build` turns blocks into the model.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from functools import partial
from itertools import accumulate, islice, repeat
from operator import itemgetter, le, lt
from typing import BinaryIO

from app.coverage.errors import CoverageError, InvalidReport, LimitExceeded
from app.coverage.model import CoverageReport, FileCoverage
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits
from app.coverage.parsers.gocover_build import (
    FORMAT,
    GO_BLOCK_FORMATS,
    MODES,
    UNIT,
    Columns,
    GoBlocks,
    SpanBudget,
    block_lines,
    build_columns,
    build_file,
    package_of,
    position,
    report_of,
    strictly_increasing,
)
from app.coverage.parsers.gocover_merge import _conflicting, merge_profiles

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
#: How many lines are read and checked at once.
BATCH_LINES = 4096

_INT64_MAX = 2**63 - 1
_BOM = b"\xef\xbb\xbf"
#: What is left of a well-formed ``SL.SC,EL.EC NSTMT COUNT`` line once its digits are deleted.
_SKELETON = b".,.  \n"
_SKELETON_CRLF = b".,.  \r\n"
#: Field separators of the numbers part, all made spaces (then one split gives every number).
_SEPARATORS = bytes.maketrans(b".,\n", b"   ")


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
    budget = SpanBudget(name, limits.max_lines)
    out: dict[str, FileCoverage] = {}
    files = reader.files
    for raw_name in sorted(files, key=_label):
        path = _label(raw_name)
        blocks = files.pop(raw_name)
        out[path] = build_columns(path, blocks.cols, budget, blocks.ordered)
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

    def run(self, stream: BinaryIO) -> None:
        lines = iter(partial(stream.readline, MAX_LINE_BYTES + 1), b"")
        self.slow(list(islice(lines, 1)))
        if not self.mode:
            raise InvalidReport(self.name, "empty input: a Go profile starts with a 'mode:' line")
        while batch := list(islice(lines, BATCH_LINES)):
            if not self.fast(batch):
                self.slow(batch)

    # -- a batch of well-formed block lines, with whole-batch operations ----------------------
    def fast(self, batch: list[bytes]) -> bool:
        """Read a batch of block lines in bulk; ``False`` (nothing done) if it has anything else."""
        n = len(batch)
        data = b"".join(batch)
        size = len(data)
        if self.read + size > self.limits.max_bytes:
            return False
        newlines = data.count(b"\n")
        if newlines != n:  # only the last line of the input may lack its "\n"
            last = batch[-1]
            if newlines != n - 1 or last.endswith(b"\n") or len(last) > MAX_LINE_BYTES:
                return False
            batch = [*batch[:-1], last + b"\n"]  # a copy: the line-by-line path needs the line
            data += b"\n"
        names, counts, numbers = _split_names(batch, data)
        if not names:
            return False
        skeleton = numbers.translate(None, b"0123456789")
        if skeleton != _SKELETON * n:
            if skeleton != _SKELETON_CRLF * n:
                return False
            numbers = numbers.replace(b"\r\n", b"\n")
        tokens = numbers.translate(_SEPARATORS).split(b" ")
        tokens.pop()  # after the last "\n"
        try:
            values = list(map(_NUMBERS.__getitem__, tokens))
        except ValueError:  # an empty or too long number: line by line
            return False
        cols = [values[k::6] for k in range(6)]
        sl, sc, el, ec, _, cnt = cols
        if (
            min(sl) < 1
            or max(el) > self.limits.max_line_number
            or max(cnt) > self.limits.max_count
            or not (
                all(map(lt, sl, el))  # no block on one line: nothing more to compare
                or all(map(le, zip(sl, sc, strict=True), zip(el, ec, strict=True)))
            )
        ):
            return False
        files = self.files
        new = [fname for fname in dict.fromkeys(names) if fname not in files]
        if new:
            if len(files) + len(new) > self.limits.max_files:
                return False
            try:
                for fname in new:
                    fname.decode("utf-8")
            except UnicodeDecodeError:
                return False
            for fname in new:
                files[fname] = Columns()
        if self.mode == "set" and max(cnt) > 1:
            cols[5] = list(map(min, cnt, repeat(1)))
        start = 0
        first = self.number + 1
        for fname, count in zip(names, counts, strict=True):
            files[fname].extend(cols, start, start + count, first + start)
            start += count
        self.number += n
        self.read += size
        return True

    # -- line by line, with the exact error -------------------------------------------------
    def slow(self, batch: Sequence[bytes]) -> None:
        name = self.name
        limits = self.limits
        max_line = limits.max_line_number
        max_count = limits.max_count
        for raw in batch:
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
        block has another NSTMT, if any."""
        first: tuple[int, str] | None = None
        for fname, blocks in self.files.items():
            found = _merge_repeats(blocks, self.mode == "set", self.limits.max_count)
            if found is not None and (first is None or found[0] < first[0]):
                number, key, before, after = found
                problem = (
                    f"line {number}: inconsistent NumStmt for the repeated block "
                    f"{_label(fname)}:{position(key)}: changed from {before} to {after}"
                )
                first = (number, problem)
        return None if first is None else InvalidReport(self.name, first[1])


def _split_names(batch: list[bytes], data: bytes) -> tuple[list[bytes], list[int], bytes]:
    """Split lines ``FILE:NUMBERS\\n`` (``data`` is them joined) into runs of one file: the files,
    the lines in each run and the numbers parts of all lines (each ending in ``\\n``). No names if
    a line has no ``:`` or a blank name. A line seen as ``FILE:`` + something that is not numbers
    (its file name holds ``:``) is caught by the caller's check of the numbers."""
    names: list[bytes] = []
    counts: list[int] = []
    parts: list[bytes] = []
    offsets = list(accumulate(map(len, batch), initial=0))
    n = len(batch)
    i = 0
    while i < n:
        line = batch[i]
        colon = line.rfind(b":")
        if colon <= 0:
            return [], [], b""
        head = line[: colon + 1]
        # Where the lines of this file end, if they are all together (checked just below).
        j = bisect_left(batch, True, i + 1, n, key=partial(_lacks, head))
        prefix = b"\n" + head
        if data.count(prefix, offsets[i], offsets[j]) != j - i - 1:
            j = i + 1
            while j < n and batch[j].startswith(head):
                j += 1
        names.append(line[:colon])
        counts.append(j - i)
        parts += map(itemgetter(slice(colon + 1, None)), islice(batch, i, j))
        i = j
    return names, counts, b"".join(parts)


def _lacks(head: bytes, line: bytes) -> bool:
    return not line.startswith(head)


class _Numbers(dict[bytes, int]):
    """Numbers by their digits: the small ones looked up, the others converted (up to 18 digits:
    longer ones, and empty ones, raise ValueError)."""

    def __missing__(self, digits: bytes) -> int:
        if len(digits) > 18:
            raise ValueError(digits)
        return int(digits)


_NUMBERS = _Numbers((str(value).encode(), value) for value in range(10_000))


def _merge_repeats(
    blocks: Columns, to_set: bool, max_count: int
) -> tuple[int, tuple[int, int, int, int], int, int] | None:
    """Merge one file's repeated blocks in place; the first inconsistent repeat, if any:
    (input line, position, NSTMT before, NSTMT on that line)."""
    sl, sc, el, ec, ns, cnt = blocks.cols
    blocks.ordered = strictly_increasing(sl, sc, el, ec)
    if blocks.ordered:
        return None
    keys = list(zip(sl, sc, el, ec, strict=True))
    if len(set(keys)) == len(keys):
        return None
    merged: dict[tuple[int, int, int, int], list[int]] = {}
    for index, (key, nstmt, count) in enumerate(zip(keys, ns, cnt, strict=True)):
        previous = merged.get(key)
        if previous is None:
            merged[key] = [nstmt, count]
        elif previous[0] != nstmt:
            return blocks.number(index), key, previous[0], nstmt
        elif to_set:
            previous[1] |= count
        else:
            previous[1] = min(previous[1] + count, max_count)
    rows = [(*key, nstmt, count) for key, (nstmt, count) in merged.items()]
    blocks.cols = tuple(list(col) for col in zip(*rows, strict=True))
    blocks.runs = []  # no error can be about these blocks any more
    return None


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
