"""Counter-data files (``covcounters.<H>.<pid>.<nanos>``, formats.md §2.5).

Both counter flavours are read (raw uint32, little- or big-endian, and ULEB128), every segment
of a multi-segment file is read, and every count is bounded by the bytes left, so a corrupt file
raises :class:`~app.coverage.errors.InvalidReport` naming it instead of looping or crashing.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from app.coverage.gocovdata.wire import MAX_U32, Reader, StringTableBuilder, uleb128

COUNTER_MAGIC = b"\x00cwm"
COUNTER_VERSION = 1
COUNTER_HEADER_SIZE = 32
SEGMENT_HEADER_SIZE = 16
FOOTER_SIZE = 16
FLAVOR_RAW, FLAVOR_ULEB128 = 1, 2


@dataclass(frozen=True, slots=True)
class FuncCounters:
    """The counters of one function: package index and function index in the meta file."""

    pkg: int
    func: int
    counters: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Segment:
    args: Mapping[str, str]
    funcs: tuple[FuncCounters, ...]


@dataclass(frozen=True, slots=True)
class CounterFile:
    meta_hash: bytes
    flavor: int
    big_endian: bool
    segments: tuple[Segment, ...] = field(default_factory=tuple)

    def funcs(self) -> Iterable[FuncCounters]:
        for seg in self.segments:
            yield from seg.funcs

    @property
    def args(self) -> Mapping[str, str]:
        return self.segments[0].args if self.segments else {}

    def os_args(self) -> list[str] | None:
        """The program's argv as recorded (``argc``/``argvN``), or None when absent."""
        args = self.args
        argc = args.get("argc")
        if argc is None:
            return None
        if not argc.isdigit():
            return None
        return [args.get(f"argv{i}", "") for i in range(min(int(argc), len(args)))]


def decode_counter_file(data: bytes, what: str) -> CounterFile:
    """Decode every segment of a counter-data file; ``what`` names it in errors."""
    r = Reader(data, what)
    if len(data) < 4 or data[:4] != COUNTER_MAGIC:
        raise r.fail("not a Go coverage counter-data file (bad magic)")
    minimum = COUNTER_HEADER_SIZE + SEGMENT_HEADER_SIZE + FOOTER_SIZE
    if len(data) < minimum:
        raise r.fail(f"truncated counter-data file: {len(data)} bytes, at least {minimum} needed")
    r.skip(4, "magic")
    version = r.u32("header")
    if version > COUNTER_VERSION:
        raise r.fail(f"version data incompatibility: reader is {COUNTER_VERSION} data is {version}")
    meta_hash = r.bytes(16, "header")
    flavor = r.u8("header")
    big = r.u8("header")
    r.skip(6, "header")
    if flavor not in (FLAVOR_RAW, FLAVOR_ULEB128):
        raise r.fail(f"unknown counter flavor {flavor}")
    if big > 1:
        raise r.fail(f"bad endianness flag {big}")
    footer = Reader(data, what, pos=len(data) - FOOTER_SIZE)
    if footer.bytes(4, "footer") != COUNTER_MAGIC:
        raise r.fail("invalid magic string in footer (truncated or not a counter data file)")
    footer.skip(4, "footer")
    nsegs = footer.u32("footer")
    if nsegs == 0:
        raise r.fail("invalid counter data file (no segments)")
    body_end = len(data) - FOOTER_SIZE
    if nsegs * (SEGMENT_HEADER_SIZE + FOOTER_SIZE) > len(data) - COUNTER_HEADER_SIZE:
        raise r.fail(f"segment count {nsegs} is larger than the file could hold")
    raw = flavor == FLAVOR_RAW
    segments: list[Segment] = []
    for segno in range(nsegs):
        r.end = body_end
        segments.append(_decode_segment(r, segno, raw, bool(big)))
        if segno < nsegs - 1:
            if r.bytes(4, f"footer of segment {segno}") != COUNTER_MAGIC:
                raise r.fail(f"bad footer magic after segment {segno}")
            r.skip(12, f"footer of segment {segno}")
    if r.pos != body_end:
        raise r.fail(f"{body_end - r.pos} unexpected bytes after the last counter record")
    return CounterFile(meta_hash, flavor, bool(big), tuple(segments))


def _decode_segment(r: Reader, segno: int, raw: bool, big: bool) -> Segment:
    part = f"segment {segno}"
    nfuncs = r.u64(f"{part} header")
    strtab_len = r.u32(f"{part} header")
    args_len = r.u32(f"{part} header")
    r.need(strtab_len + args_len, f"{part} string table and args")
    st = Reader(r.data, r.what, pos=r.pos, end=r.pos + strtab_len)
    strings = st.string_table(f"{part} string table")
    if st.pos != st.end:
        raise r.fail(f"{part} string table: {st.end - st.pos} stray bytes at its end")
    r.pos += strtab_len
    ar = Reader(r.data, r.what, pos=r.pos, end=r.pos + args_len)
    nargs = ar.count(f"{part} args count", 2)
    args: dict[str, str] = {}
    for i in range(nargs):
        kidx = ar.uleb(f"{part} arg {i} key")
        vidx = ar.uleb(f"{part} arg {i} value")
        if kidx >= len(strings) or vidx >= len(strings):
            raise r.fail(f"{part} arg {i}: malformed string table reference")
        key = strings[kidx]
        if key in args:
            raise r.fail(f"{part}: malformed args table (key {key!r} twice)")
        args[key] = strings[vidx]
    if any(ar.data[ar.pos : ar.end]):
        raise r.fail(f"{part} args table: non-zero bytes in its padding")
    r.pos += args_len
    # Go's reader aligns the file offset to 4 after the args table.
    pad = (-r.pos) % 4
    r.skip(pad, f"{part} padding")
    min_record = 12 if raw else 3
    if nfuncs * min_record > r.remaining:
        raise r.fail(f"{part} function count {nfuncs} is larger than the file could hold")
    fmt = ">I" if big else "<I"
    data = r.data
    funcs: list[FuncCounters] = []
    for i in range(nfuncs):
        if raw:
            r.need(12, f"{part} record {i}")
            nctrs, pkg, fn = struct.unpack_from(fmt[0] + "3I", data, r.pos)
            r.pos += 12
            if nctrs * 4 > r.remaining:
                raise r.fail(f"{part} record {i}: counter count {nctrs} exceeds the file")
            counters = struct.unpack_from(f"{fmt[0]}{nctrs}I", data, r.pos)
            r.pos += 4 * nctrs
        else:
            nctrs = r.count(f"{part} record {i} counter count", 1)
            pkg = r.uleb(f"{part} record {i} package index")
            fn = r.uleb(f"{part} record {i} function index")
            counters = tuple(r.uleb(f"{part} record {i} counter") for _ in range(nctrs))
        funcs.append(FuncCounters(pkg, fn, tuple(counters)))
    return Segment(args, tuple(funcs))


def encode_counter_file(
    meta_hash: bytes,
    segments: Sequence[tuple[Mapping[str, str], Sequence[FuncCounters]]],
    flavor: int = FLAVOR_ULEB128,
    big_endian: bool = False,
) -> bytes:
    """A counter-data file as ``encodecounter`` writes it (one segment per entry)."""
    if len(meta_hash) != 16:
        raise ValueError("meta hash must be 16 bytes")
    if not segments:
        raise ValueError("a counter-data file needs at least one segment")
    out = bytearray(
        struct.pack("<4sI16sBB6x", COUNTER_MAGIC, COUNTER_VERSION, meta_hash, flavor, big_endian)
    )
    order = ">I" if big_endian else "<I"

    def value(v: int) -> bytes:
        if not 0 <= v <= MAX_U32:
            raise ValueError(f"counter value {v} out of uint32 range")
        return struct.pack(order, v) if flavor == FLAVOR_RAW else uleb128(v)

    for segno, (args, funcs) in enumerate(segments, start=1):
        keys = sorted(args)
        stab = StringTableBuilder()
        for k in keys:
            stab.lookup(k)
            stab.lookup(args[k])
        table = stab.encode()
        argbytes = bytearray(uleb128(len(keys)))
        for k in keys:
            argbytes += uleb128(stab.lookup(k)) + uleb128(stab.lookup(args[k]))
        start = len(out) + SEGMENT_HEADER_SIZE + len(table)
        argbytes += bytes((-(start + len(argbytes))) % 4)
        records = bytearray()
        for fc in funcs:
            records += value(len(fc.counters)) + value(fc.pkg) + value(fc.func)
            for c in fc.counters:
                records += value(c)
        out += struct.pack("<QII", len(funcs), len(table), len(argbytes))
        out += table + argbytes + records
        out += struct.pack("<4s4xI4x", COUNTER_MAGIC, segno)
    return bytes(out)
