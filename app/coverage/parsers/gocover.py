"""Go text coverage profiles (``go test -coverprofile``, ``covdata textfmt``) and their merge.

Grammar (reference/formats.md §1.1, golang.org/x/tools/cover ``ParseProfilesFromReader``)::

    mode: set|count|atomic
    FILE:SL.SC,EL.EC NSTMT COUNT

Each block line is read from the right, so ``FILE`` may hold ``:`` (``C:\\src\\a.go``) and spaces.
The input is read line by line and never held whole in memory. What this parser does beyond
x/tools, all deliberate:

* extra ``mode:`` lines (``cat a.out b.out``) are skipped when they repeat the first mode; another
  mode is refused, naming both (x/tools would fail on any second mode line);
* blocks repeated with the same position are merged while reading, as x/tools does (``NSTMT`` must
  match; ``set`` ORs, ``count``/``atomic`` add, saturating at ``Limits.max_count``);
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

:func:`merge_profiles` merges parsed profiles by Go's rules; see its docstring for the cases Go
itself does not define (mixed modes, blocks from different toolchains).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import BinaryIO

from app.coverage import percent
from app.coverage.errors import IncompatibleReports, InvalidReport, LimitExceeded
from app.coverage.model import Counts, CoverageReport, FileCoverage, GoBlock, LineHits
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits

FORMAT = "gocover"
UNIT = "statements"

#: Report formats that carry Go blocks and merge by Go's rules (text profiles, GOCOVERDIR data).
GO_BLOCK_FORMATS = frozenset({FORMAT, "gocovdata"})

#: The counter modes Go writes.
MODES = ("set", "count", "atomic")

#: The longest line read; Go's own reader (``bufio.Scanner``, ``MaxScanTokenSize``) stops here too.
MAX_LINE_BYTES = 64 * 1024

_INT64_MAX = 2**63 - 1
_BOM = b"\xef\xbb\xbf"

#: (SL, SC, EL, EC) -> (NSTMT, COUNT)
_BlockMap = dict[tuple[int, int, int, int], tuple[int, int]]


def sniff(name: str, head: bytes) -> bool:
    """The input starts with ``mode: set``, ``mode: count`` or ``mode: atomic`` on a line alone.

    The name is not needed: Go profiles carry any name (``cover.out``, ``coverage.txt``, ...).
    """
    first = head.removeprefix(_BOM).split(b"\n", 1)[0].rstrip(b"\r")
    return first in (b"mode: set", b"mode: count", b"mode: atomic")


def parse(stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS) -> CoverageReport:
    """Read one Go text profile (possibly several concatenated ones of the same mode)."""
    files: dict[bytes, _BlockMap] = {}
    mode = ""
    read = 0
    number = 0
    max_line = limits.max_line_number
    max_count = limits.max_count
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            break
        number += 1
        read += len(raw)
        if read > limits.max_bytes:
            raise LimitExceeded(name, f"the input is larger than {limits.max_bytes} bytes")
        if raw.endswith(b"\n"):
            line = raw[:-1]
        elif len(raw) > MAX_LINE_BYTES:
            raise LimitExceeded(name, f"line {number} is longer than {MAX_LINE_BYTES} bytes")
        else:
            line = raw
        if line.endswith(b"\r"):
            line = line[:-1]
        if not mode:
            if number == 1:
                line = line.removeprefix(_BOM)
            mode = _mode_of(line, name, number)
            continue
        if line.startswith(b"mode:") and _is_mode_line(line):
            other = line[5:].strip().decode("utf-8", "replace")
            if other != mode:
                raise InvalidReport(
                    name,
                    f"line {number}: a second profile with mode {other!r} follows one with mode "
                    f"{mode!r}; Go profiles of different modes cannot be concatenated",
                )
            continue
        if not line.strip():
            continue
        match = _BLOCK.fullmatch(line)
        if match is not None:
            fname = match[1]
            sl, sc, el, ec, nstmt, count = map(int, match.groups()[1:])
            key = (sl, sc, el, ec)
            if (
                max(key) > _INT64_MAX
                or nstmt > _INT64_MAX
                or count > _INT64_MAX
                or not sl
                or not el
                or (el, ec) < (sl, sc)
            ):
                fname, key, nstmt, count = _block_line(line, name, number)  # raises
        else:
            fname, key, nstmt, count = _block_line(line, name, number)
        if key[0] > max_line or key[2] > max_line:
            raise LimitExceeded(
                name, f"line {number}: line number {max(key[0], key[2])} is above {max_line}"
            )
        if count > max_count:
            raise LimitExceeded(name, f"line {number}: count {count} is above {max_count}")
        if mode == "set" and count > 1:
            count = 1
        blocks = files.get(fname)
        if blocks is None:
            if len(files) >= limits.max_files:
                raise LimitExceeded(name, f"more than {limits.max_files} source files")
            try:
                fname.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidReport(name, f"line {number}: the file name is not UTF-8") from None
            blocks = files[fname] = {}
        previous = blocks.get(key)
        if previous is None:
            blocks[key] = (nstmt, count)
            continue
        if previous[0] != nstmt:
            raise InvalidReport(
                name,
                f"line {number}: inconsistent NumStmt for the repeated block "
                f"{_label(fname)}:{_position(key)}: changed from {previous[0]} to {nstmt}",
            )
        merged = previous[1] | count if mode == "set" else min(previous[1] + count, max_count)
        blocks[key] = (nstmt, merged)
    if not mode:
        raise InvalidReport(name, "empty input: a Go profile starts with a 'mode:' line")
    budget = SpanBudget(name, limits.max_lines)
    out: dict[str, FileCoverage] = {}
    for raw_name in sorted(files, key=_label):
        path = _label(raw_name)
        out[path] = build_file(path, files[raw_name], budget)
    return report_of(mode, out)


def _label(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _position(key: tuple[int, int, int, int]) -> str:
    return f"{key[0]}.{key[1]},{key[2]}.{key[3]}"


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


#: The well-formed block line, fast path of :func:`_block_line` (the numbers fix the split).
_BLOCK = re.compile(
    rb"(.+):([0-9]{1,19})\.([0-9]{1,19}),([0-9]{1,19})\.([0-9]{1,19}) ([0-9]{1,19}) ([0-9]{1,19})",
    re.DOTALL,
)

_SEEK = (
    (b" ", "Count"),
    (b" ", "NumStmt"),
    (b".", "EndCol"),
    (b",", "EndLine"),
    (b".", "StartCol"),
    (b":", "StartLine"),
)


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


def package_of(path: str) -> str | None:
    """The directory part of a profile path: the Go import path of the file's package."""
    cut = max(path.rfind("/"), path.rfind("\\"))
    return path[:cut] if cut > 0 else None


def build_file(
    path: str,
    blocks: Mapping[tuple[int, int, int, int], tuple[int, int]],
    budget: SpanBudget | None = None,
) -> FileCoverage:
    """The :class:`FileCoverage` of one file's blocks: native statements, lines, partials."""
    ordered = tuple(
        GoBlock(key[0], key[1], key[2], key[3], nstmt, count)
        for key, (nstmt, count) in sorted(blocks.items())
    )
    covered = total = 0
    hits: dict[int, int] = {}
    touching: dict[int, int] = {}
    run: dict[int, int] = {}
    for b in ordered:
        total += b.statements
        if b.count:
            covered += b.statements
        if not b.statements:
            continue
        lines = block_lines(b.key)
        if budget is not None:
            budget.spend(len(lines))
        was_run = 1 if b.count else 0
        for line in lines:
            if line in hits:
                if b.count > hits[line]:
                    hits[line] = b.count
                touching[line] += 1
                run[line] += was_run
            else:
                hits[line] = b.count
                touching[line] = 1
                run[line] = was_run
    branches = {line: (run[line], n) for line, n in sorted(touching.items()) if 0 < run[line] < n}
    return FileCoverage(
        path=path,
        lines=LineHits.from_mapping(hits),
        branches=branches,
        native=Counts(covered, total),
        package=package_of(path),
        blocks=ordered,
    )


def report_of(mode: str, files: Mapping[str, FileCoverage]) -> CoverageReport:
    return CoverageReport(
        format=FORMAT,
        unit=UNIT,
        rule=percent.GO,
        mode=mode,
        files={path: files[path] for path in sorted(files)},
    )


# --------------------------------------------------------------------------------------------
# merging


def merge_profiles(
    reports: Sequence[CoverageReport], source: str, limits: Limits = DEFAULT_LIMITS
) -> CoverageReport:
    """Merge parsed Go profiles the way Go's tools do; ``source`` names the merge in errors.

    Inputs may be text profiles (``gocover``) or GOCOVERDIR reports (``gocovdata``): both carry
    Go blocks. The result is a ``gocover`` report (:mod:`app.coverage.writers.gocover` writes it).

    * Blocks of the same file at the same position (SL, SC, EL, EC) are one block: their NSTMT
      must be equal (else :class:`IncompatibleReports`); ``set`` ORs the counts, ``count`` and
      ``atomic`` add them, saturating at ``limits.max_count`` (x/tools, gocovmerge, covdata).
    * A block present in only some inputs is kept as it is (gocovmerge inserts it) as long as it
      does not overlap a block that the other inputs have at another position.
    * Different modes: every count becomes hit/miss (0/1) and the result is labelled ``set``
      (formats.md §1.3 service rule: 0/1 must not be summed with real counts). Go's covdata
      would instead upgrade the mode; the covered statements, hence the headline, are the same.
    * Blocks of one file that overlap without being identical (profiles of the same source from
      different Go toolchains, whose block boundaries differ) cannot be merged block by block.
      That file is then merged at line level: its blocks are dropped (``blocks=None``), line hits
      are ORed (``set``) or added, and a line stays partial only if every input that ran it had
      it partial. Its native statements are those of the first input that still has blocks,
      a block counting as covered when it ran there or when every line it touches is fully hit
      after the merge. A file that only line-level data is left for (merged that way before)
      keeps the first input's statement total and the best covered count seen for that total.
    """
    if not reports:
        raise IncompatibleReports(source, "there is no Go profile to merge")
    for r in reports:
        if r.format not in GO_BLOCK_FORMATS or r.mode not in MODES:
            raise IncompatibleReports(
                source, f"a {r.format} report cannot be merged with Go profiles by Go's rules"
            )
    modes = {r.mode for r in reports}
    mode = reports[0].mode if len(modes) == 1 else "set"
    assert mode is not None
    to_set = mode == "set"
    by_path: dict[str, list[FileCoverage]] = {}
    for r in reports:
        for path, f in r.files.items():
            by_path.setdefault(path, []).append(f)
    if len(by_path) > limits.max_files:
        raise LimitExceeded(source, f"more than {limits.max_files} source files")
    budget = SpanBudget(source, limits.max_lines)
    out: dict[str, FileCoverage] = {}
    for path, inputs in by_path.items():
        if all(f.blocks is not None for f in inputs):
            maps = [_block_map(f, to_set) for f in inputs]
            if not _conflicting(maps):
                merged = _merge_blocks(maps, path, to_set, source, limits.max_count)
                out[path] = build_file(path, merged, budget)
                continue
        out[path] = _merge_lines(path, inputs, to_set, limits.max_count)
    return report_of(mode, out)


def _block_map(f: FileCoverage, to_set: bool) -> _BlockMap:
    assert f.blocks is not None
    if to_set:
        return {b.key: (b.statements, 1 if b.count else 0) for b in f.blocks}
    return {b.key: (b.statements, b.count) for b in f.blocks}


def _conflicting(maps: Sequence[_BlockMap]) -> bool:
    """Do two blocks overlap while not every input has both? (then they are not Go's blocks)."""
    if all(m.keys() == maps[0].keys() for m in maps[1:]):
        return False
    holders: dict[tuple[int, int, int, int], int] = {}
    for index, m in enumerate(maps):
        bit = 1 << index
        for key in m:
            holders[key] = holders.get(key, 0) | bit
    # Sweep by start position; for each group of inputs (a bit mask) remember the furthest end
    # seen. A block overlaps an earlier one exactly when that one ends after this one starts.
    furthest: dict[int, tuple[int, int]] = {}
    for key in sorted(holders):
        start, end = (key[0], key[1]), (key[2], key[3])
        if start == end:
            continue
        mask = holders[key]
        for other, other_end in furthest.items():
            if other != mask and other_end > start:
                return True
        if furthest.get(mask, (0, 0)) < end:
            furthest[mask] = end
    return False


def _merge_blocks(
    maps: Sequence[_BlockMap], path: str, to_set: bool, source: str, max_count: int
) -> _BlockMap:
    merged: _BlockMap = dict(maps[0])
    for m in maps[1:]:
        for key, (nstmt, count) in m.items():
            previous = merged.get(key)
            if previous is None:
                merged[key] = (nstmt, count)
                continue
            if previous[0] != nstmt:
                raise IncompatibleReports(
                    source,
                    f"{path}:{_position(key)} has {previous[0]} statements in one profile and "
                    f"{nstmt} in another",
                )
            total = previous[1] | count if to_set else min(previous[1] + count, max_count)
            merged[key] = (nstmt, total)
    return merged


def _merge_lines(
    path: str, inputs: Sequence[FileCoverage], to_set: bool, max_count: int
) -> FileCoverage:
    hits: dict[int, int] = {}
    full: set[int] = set()  # lines some input ran without being partial
    partials: dict[int, tuple[int, int]] = {}
    for f in inputs:
        for line, count in f.lines.items_sorted():
            if to_set:
                count = 1 if count else 0
                hits[line] = max(hits.get(line, 0), count)
            else:
                hits[line] = min(hits.get(line, 0) + count, max_count)
            if not count:
                continue
            pair = f.branches.get(line)
            if pair is None or pair[0] >= pair[1]:
                full.add(line)
            elif line not in partials or _ratio(pair) > _ratio(partials[line]):
                partials[line] = pair
    branches = {line: pair for line, pair in sorted(partials.items()) if line not in full}
    native = _line_level_native(inputs, hits, branches)
    return FileCoverage(
        path=path,
        lines=LineHits.from_mapping(hits),
        branches=branches,
        native=native,
        package=inputs[0].package,
        blocks=None,
    )


def _ratio(pair: tuple[int, int]) -> Fraction:
    return Fraction(pair[0], pair[1]) if pair[1] else Fraction(0)


def _line_level_native(
    inputs: Iterable[FileCoverage], hits: Mapping[int, int], partial: Mapping[int, object]
) -> Counts:
    inputs = list(inputs)
    for f in inputs:
        if f.blocks is None:
            continue
        covered = total = 0
        for b in f.blocks:
            total += b.statements
            if b.count or all(hits.get(n, 0) and n not in partial for n in block_lines(b.key)):
                covered += b.statements
        return Counts(covered, total)
    total = inputs[0].native.total
    best = max(f.native.covered for f in inputs if f.native.total == total)
    return Counts(min(best, total), total)
