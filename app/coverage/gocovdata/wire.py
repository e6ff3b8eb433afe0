"""Primitives of Go's binary coverage encoding (reference/formats.md §2.2, §2.7).

Everything here is bounds-checked: a read past the end of the buffer, an over-long ULEB128 or a
count larger than the bytes left to hold it raises :class:`~app.coverage.errors.InvalidReport`
naming the input. No loop runs longer than the input is long.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

from app.coverage.errors import InvalidReport

#: FNV-1a 128 parameters (hash/fnv New128a).
FNV128_OFFSET = 0x6C62272E07BB014262B821756295C58D
FNV128_PRIME = (1 << 88) + 0x13B
_MASK128 = (1 << 128) - 1

#: The largest value a uint32 field can hold; counter sums saturate here.
MAX_U32 = 0xFFFFFFFF

#: A ULEB128 encoding of a value that fits in 64 bits never needs more than 10 bytes.
MAX_ULEB_BYTES = 10


def fnv128a(*chunks: bytes) -> bytes:
    """FNV-1a 128 of the concatenated chunks, as the 16 big-endian digest bytes Go produces."""
    h = FNV128_OFFSET
    for chunk in chunks:
        for byte in chunk:
            h = ((h ^ byte) * FNV128_PRIME) & _MASK128
    return h.to_bytes(16, "big")


def uleb128(value: int) -> bytes:
    """The ULEB128 encoding of a non-negative integer."""
    if value < 0:
        raise ValueError("ULEB128 encodes non-negative integers only")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_string_table(strings: Sequence[str]) -> bytes:
    """A string table: ``uleb N`` then N x (``uleb len``, UTF-8 bytes)."""
    out = bytearray(uleb128(len(strings)))
    for s in strings:
        raw = s.encode("utf-8")
        out += uleb128(len(raw))
        out += raw
    return bytes(out)


class StringTableBuilder:
    """Interns strings in first-use order; index 0 is always ``""`` as Go's writers make it."""

    def __init__(self, initial: Iterable[str] = ()) -> None:
        self._index: dict[str, int] = {}
        self.strings: list[str] = []
        self.lookup("")
        for s in initial:
            self.lookup(s)

    def lookup(self, s: str) -> int:
        idx = self._index.get(s)
        if idx is None:
            idx = len(self.strings)
            self._index[s] = idx
            self.strings.append(s)
        return idx

    def encode(self) -> bytes:
        return encode_string_table(self.strings)


class Reader:
    """A cursor over a byte buffer that refuses to read past ``end``.

    ``what`` names the input in errors (a file name, with the part being read added by callers).
    """

    __slots__ = ("data", "end", "pos", "what")

    def __init__(self, data: bytes | memoryview, what: str, pos: int = 0, end: int | None = None):
        self.data = data
        self.what = what
        self.pos = pos
        self.end = len(data) if end is None else end

    def fail(self, problem: str) -> InvalidReport:
        return InvalidReport(self.what, problem)

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def need(self, n: int, part: str) -> None:
        if n < 0 or self.pos + n > self.end:
            raise self.fail(
                f"truncated {part}: needs {n} bytes at offset {self.pos}, "
                f"{max(self.remaining, 0)} left"
            )

    def bytes(self, n: int, part: str) -> bytes:
        self.need(n, part)
        out = bytes(self.data[self.pos : self.pos + n])
        self.pos += n
        return out

    def skip(self, n: int, part: str) -> None:
        self.need(n, part)
        self.pos += n

    def u8(self, part: str) -> int:
        self.need(1, part)
        value = self.data[self.pos]
        self.pos += 1
        return value

    def u32(self, part: str, big_endian: bool = False) -> int:
        self.need(4, part)
        value: int = struct.unpack_from(">I" if big_endian else "<I", self.data, self.pos)[0]
        self.pos += 4
        return value

    def u64(self, part: str) -> int:
        self.need(8, part)
        value: int = struct.unpack_from("<Q", self.data, self.pos)[0]
        self.pos += 8
        return value

    def uleb(self, part: str, limit: int = MAX_U32) -> int:
        """One ULEB128 value, at most ``limit`` (a uint32 by default) and at most as many bytes
        as such a value needs (5 for a uint32): longer encodings are refused as overflow."""
        max_bytes = min(MAX_ULEB_BYTES, max(1, (limit.bit_length() + 6) // 7))
        value = 0
        shift = 0
        data = self.data
        for _ in range(max_bytes):
            if self.pos >= self.end:
                raise self.fail(f"truncated {part}: ULEB128 runs past the end at offset {self.pos}")
            byte = data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if value > limit:
                    raise self.fail(f"{part} {value} out of range (ULEB128 overflow, max {limit})")
                return value
            shift += 7
        raise self.fail(f"{part}: ULEB128 longer than {max_bytes} bytes (overflow)")

    def count(self, part: str, min_item_bytes: int, limit: int = MAX_U32) -> int:
        """A ULEB128 element count, bounded by what the bytes left could hold."""
        n = self.uleb(part, limit)
        if n * min_item_bytes > self.remaining:
            raise self.fail(f"{part} {n} is larger than the {self.remaining} bytes left could hold")
        return n

    def string_table(self, part: str) -> list[str]:
        n = self.count(f"{part} entry count", 1)
        out: list[str] = []
        for i in range(n):
            length = self.uleb(f"{part} string {i} length")
            raw = self.bytes(length, f"{part} string {i}")
            try:
                out.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise self.fail(f"{part} string {i} is not valid UTF-8") from None
        return out
