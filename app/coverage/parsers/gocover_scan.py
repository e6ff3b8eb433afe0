"""Reading a run of well-formed Go profile block lines at once, with whole-array operations.

A real profile is millions of lines ``FILE:SL.SC,EL.EC NSTMT COUNT``; splitting each in Python
costs more than the budget allows (issue 3: half the speed of a bare line loop), so a chunk of
lines is read with numpy instead. :func:`scan` either reads *every* line of the chunk or says it
cannot (``None``): the caller then reads the chunk line by line, which gives the exact error or
handles what this does not (blank lines, ``mode:`` lines, mixed line ends, long numbers).

How a chunk is read:

* the line ends are the ``\\n`` bytes; each line's *last* ``:`` splits the file name from the
  numbers part, as x/tools reads a line from the right (a name may hold ``:``, the numbers never);
* the numbers part is taken as a small matrix of bytes (one row per line); it must hold digits and
  exactly the five separators ``. , .`` space space, in that order, and nothing else; every number
  has 1 to 18 digits (so it fits a signed 64-bit integer), and the name is not empty;
* numbers are read by Horner's rule over their digit positions, all lines at once.

The result is the lines' numbers as a ``(6, n)`` integer array (int32 when every number has at most
nine digits, else int64) (rows SL, SC, EL, EC, NSTMT, COUNT: the
model's column layout) and, for the names, where each line starts and where its name ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

#: The separators of a numbers part, in order: ``SL.SC,EL.EC NSTMT COUNT``.
_SEPARATORS = np.frombuffer(b".,.  ", np.uint8)
#: Longest number read here (18 digits always fit in a signed 64-bit integer).
MAX_DIGITS = 18
#: Longest numbers part read here: six numbers of 18 digits and five separators.
_MAX_NUMBERS = 6 * MAX_DIGITS + 5
_ZERO = np.uint8(ord("0"))

Int64Array = npt.NDArray[np.int64]
#: int32 or int64 (see :func:`scan`)
IntArray = npt.NDArray[np.signedinteger[Any]]


@dataclass(frozen=True, slots=True)
class Scanned:
    """The lines of a chunk: where each starts, where its name ends (its last ``:``), and their
    numbers (six rows: SL, SC, EL, EC, NSTMT, COUNT; one column per line)."""

    starts: Int64Array
    colons: Int64Array
    numbers: IntArray

    def __len__(self) -> int:
        return len(self.starts)


def scan(data: bytes, crlf: bool = False) -> Scanned | None:
    """Read ``data``, whole lines each ending in ``\\n`` (``\\r\\n`` with ``crlf``), all of them
    block lines; ``None`` if any line is anything else or a number is out of this reader's range."""
    buf = np.frombuffer(data, np.uint8)
    if buf.size == 0 or buf[-1] != 10:
        return None
    ends = np.flatnonzero(buf == 10)
    n = ends.size
    starts = np.empty(n, np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    if crlf:
        if not (buf[ends - 1] == 13).all():
            return None
        ends = ends - 1
    colons = np.flatnonzero(buf == 58)
    last = np.searchsorted(colons, ends) - 1
    if last[0] < 0:
        return None
    colons = colons[last]
    if not (colons > starts).all():  # a line without ":" or with a blank name
        return None
    widths = ends - colons - 1  # the numbers part of each line
    width = int(widths.max())
    if width > _MAX_NUMBERS:
        return None
    columns = np.arange(width)
    at = colons[:, None] + 1 + columns
    np.minimum(at, buf.size - 1, out=at)
    digits = buf[at] - _ZERO  # uint8: every byte that is not a digit becomes 10 or more
    digits[columns >= widths[:, None]] = 0  # past the line's end: read as digits, then ignored
    separator = digits > 9
    found = np.flatnonzero(separator.ravel())
    if found.size != 5 * n:
        return None
    where = found.reshape(n, 5)
    row_start = np.arange(n) * width
    if not ((where[:, 0] >= row_start).all() and (where[:, 4] < row_start + width).all()):
        return None  # five separators in all, but not five on every line
    if not ((digits.ravel()[where] + _ZERO) == _SEPARATORS).all():
        return None
    where -= row_start[:, None]  # column of each separator within its line's numbers part
    first = np.empty((n, 6), np.int64)  # column of each number's first digit
    first[:, 0] = 0
    first[:, 1:] = where + 1
    length = np.empty((n, 6), np.int64)
    length[:, :5] = where
    length[:, 5] = widths
    length -= first
    longest = int(length.max())
    if length.min() < 1 or longest > MAX_DIGITS:
        return None
    position = (first.T + (colons + 1)).ravel()  # number by number: all SLs, then all SCs, ...
    lengths = length.T.ravel()
    # Up to 9 digits fit 32 bits (nearly always so): half the memory for the blocks read.
    values = (buf[position] - _ZERO).astype(np.int32 if longest <= 9 else np.int64)
    for k in range(1, longest):
        more = np.flatnonzero(lengths > k)
        values[more] = values[more] * 10 + (buf[position[more] + k] - _ZERO)
    return Scanned(starts, colons, values.reshape(6, n))
