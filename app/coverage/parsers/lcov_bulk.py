"""Reading the bulk of an LCOV tracefile, its ``DA`` and ``BRDA`` lines, a record at a time.

:func:`add_runs` takes the ``DA``/``BRDA`` lines of a record (in runs between its other lines),
checks and converts them all at once with C-level bytes, ``map`` and ``dict`` calls and adds them
by lcov's rules; if any of them is not plain (a checksum, a sign, a space, a bound, a comma in a
branch name) it adds nothing and the parser (:mod:`app.coverage.parsers.lcov`) reads the runs line
by line, which gives the exact error.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from itertools import islice, repeat
from operator import itemgetter, lt
from typing import Any, TypeVar

from app.coverage.model import MAX_COUNT, LineHits
from app.coverage.parsers.base import Limits

#: (line, block, branch) of a BRDA line
BranchKey = tuple[int, bytes, bytes]
_K = TypeVar("_K")
_V = TypeVar("_V")


def saturate(value: int) -> int:
    return value if value < MAX_COUNT else MAX_COUNT


def fold(lines: dict[int, int], bulk: list[tuple[list[int], list[int]]]) -> None:
    """Move the (numbers, counts) pairs of ``bulk`` into ``lines`` (counts summed)."""
    for numbers, hits in bulk:
        merge(lines, numbers, hits, add_count)
    bulk.clear()


def line_hits(
    lines: dict[int, int], bulk: list[tuple[list[int], list[int]]]
) -> tuple[LineHits, int]:
    """The record's lines as a LineHits, and how many of them ran.

    ``lines`` holds what was read line by line, ``bulk`` what :func:`add_runs` read: (numbers,
    counts) pairs. Usually ``bulk`` is one pair of increasing numbers, used as it is; otherwise
    everything is merged into ``lines`` (counts summed) first.
    """
    if not lines and len(bulk) == 1:
        numbers, hits = bulk[0]
        if all(map(lt, numbers, islice(numbers, 1, None))):
            return LineHits(array("I", numbers), array("q", hits)), len(hits) - hits.count(0)
    fold(lines, bulk)
    numbers = list(lines)
    hits = list(lines.values())
    covered = len(hits) - hits.count(0)
    if all(map(lt, numbers, islice(numbers, 1, None))):
        return LineHits(array("I", numbers), array("q", hits)), covered
    return LineHits.from_mapping(lines), covered


def merge(
    into: dict[_K, _V], keys: list[_K], values: list[_V], add: Callable[[dict[_K, _V], _K, _V], Any]
) -> None:
    """Add ``values`` by ``keys`` into ``into``; ``add`` merges a key seen before."""
    before = len(into)
    if into.keys().isdisjoint(keys):
        into.update(zip(keys, values, strict=True))
        if len(into) == before + len(keys):
            return
        for key in keys:  # a key repeated among these: undo, then add one by one
            into.pop(key, None)
    for key, value in zip(keys, values, strict=True):
        add(into, key, value)


def add_count(lines: dict[int, int], line: int, count: int) -> None:
    lines[line] = saturate(lines.get(line, 0) + count)


def _digits(digits: bytes) -> int:
    if not 0 < len(digits) < 19 or not digits.isdigit():
        raise ValueError(digits)
    return int(digits)


class _Numbers(dict[bytes, int]):
    """Numbers by their text, for the bulk paths: the small ones looked up, the others converted;
    anything but 1 to 18 ASCII digits raises ValueError (then the line-by-line path decides)."""

    def __missing__(self, digits: bytes) -> int:
        return _digits(digits)


class _Taken(dict[bytes, int | None]):
    """The same for BRDA taken counts, where "-" (a branch never evaluated) reads as None."""

    def __missing__(self, digits: bytes) -> int:
        return _digits(digits)


_NUMBERS = _Numbers((str(n).encode(), n) for n in range(10_000))
_TAKEN = _Taken({b"-": None, **_NUMBERS})


def add_branch(branches: dict[BranchKey, int | None], key: BranchKey, taken: int | None) -> None:
    """lcov's rule for a branch seen again: ``'-' + n = n``, otherwise the counts add up."""
    old = branches.get(key)
    if old is None:
        branches[key] = taken
    elif taken is not None:
        branches[key] = saturate(old + taken)


def add_runs(
    runs: list[bytes],
    limits: Limits,
    lines: list[tuple[list[int], list[int]]],
    branches: dict[BranchKey, int | None],
) -> bool:
    """Add runs of whole ``DA:`` and ``BRDA:`` lines (each run joined by ``\\n``) to a record:
    (line numbers, counts) to ``lines`` (see :func:`line_hits`), branches to ``branches``;
    ``False`` (and nothing added) if one of them is not plain."""
    # Every line is "DA:..." or "BRDA:...": cut at each "BRDA:" and the rest of its line.
    parts = b"\n".join([b"", *runs]).split(b"\nBRDA:")
    if len(parts) == 1:
        da, brda = parts[0][1:], []
    else:
        cut = list(map(bytes.partition, islice(parts, 1, None), repeat(b"\n")))
        brda = list(map(itemgetter(0), cut))
        da = b"\n".join(filter(None, [parts[0][1:], *map(itemgetter(2), cut)]))
    da_rows = _da_rows(da, limits) if da else ([], [])
    brda_rows = _brda_rows(brda, limits) if brda else ([], [])
    if da_rows is None or brda_rows is None:
        return False
    lines.append(da_rows)
    merge(branches, *brda_rows, add_branch)
    return True


def _da_rows(da: bytes, limits: Limits) -> tuple[list[int], list[int]] | None:
    """(lines, counts) of ``DA`` lines (joined by ``\\n``); ``None`` if one is not plain."""
    tokens = da[3:].replace(b"\nDA:", b",").split(b",")
    if len(tokens) != 2 * (da.count(b"\n") + 1):
        return None
    try:
        values = list(map(_NUMBERS.__getitem__, tokens))
    except ValueError:
        return None
    numbers = values[0::2]
    hits = values[1::2]
    if min(numbers) <= 0 or max(numbers) > limits.max_line_number or max(hits) > limits.max_count:
        return None
    return numbers, hits


def _brda_rows(
    brda: list[bytes], limits: Limits
) -> tuple[list[BranchKey], list[int | None]] | None:
    """(keys, taken) of ``BRDA`` lines (without ``BRDA:``); ``None`` if one is not plain."""
    tokens = b",".join(brda).split(b",")
    if len(tokens) != 4 * len(brda):  # a branch name with commas, or too few fields
        return None
    try:
        numbers = list(map(_NUMBERS.__getitem__, tokens[0::4]))
        taken = list(map(_TAKEN.__getitem__, tokens[3::4]))
    except ValueError:
        return None
    if (
        min(numbers) <= 0
        or max(numbers) > limits.max_line_number
        or max(filter(None, taken), default=0) > limits.max_count
    ):
        return None
    keys = list(zip(numbers, map(bytes.strip, tokens[1::4]), tokens[2::4], strict=True))
    return keys, taken
