"""Counter-data files: both flavours, multiple segments, corruption gives a clear error."""

from __future__ import annotations

import struct

import pytest

from app.coverage.errors import InvalidReport
from app.coverage.gocovdata.counters import (
    FLAVOR_RAW,
    FLAVOR_ULEB128,
    FuncCounters,
    decode_counter_file,
    encode_counter_file,
)
from app.coverage.gocovdata.wire import MAX_U32, uleb128

pytestmark = pytest.mark.unit

NAME = "dir/covcounters.x.1.2"
HASH = bytes(range(16))
FUNCS = [FuncCounters(0, 0, (1, 0, 300)), FuncCounters(1, 3, (MAX_U32,)), FuncCounters(2, 0, ())]
ARGS = {"argc": "1", "argv0": "./prog", "GOOS": "linux", "GOARCH": "amd64"}


@pytest.mark.parametrize(
    ("flavor", "big"), [(FLAVOR_ULEB128, False), (FLAVOR_RAW, False), (FLAVOR_RAW, True)]
)
def test_round_trip_both_flavours(flavor: int, big: bool) -> None:
    data = encode_counter_file(HASH, [(ARGS, FUNCS)], flavor, big)
    cf = decode_counter_file(data, NAME)
    assert cf.meta_hash == HASH
    assert (cf.flavor, cf.big_endian) == (flavor, big)
    assert list(cf.funcs()) == FUNCS
    assert dict(cf.args) == ARGS
    assert cf.os_args() == ["./prog"]
    assert data[-16:-12] == b"\x00cwm"
    assert struct.unpack_from("<I", data, len(data) - 8)[0] == 1


def test_raw_big_endian_bytes() -> None:
    data = encode_counter_file(HASH, [({}, [FuncCounters(0, 1, (2,))])], FLAVOR_RAW, True)
    assert (
        data[-16 - 16 :][:16] == b"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02"
    )


def test_multi_segment() -> None:
    seg2 = [FuncCounters(0, 0, (5, 5, 5))]
    data = encode_counter_file(HASH, [(ARGS, FUNCS), ({"GOOS": "linux"}, seg2)])
    cf = decode_counter_file(data, NAME)
    assert len(cf.segments) == 2
    assert list(cf.funcs()) == [*FUNCS, *seg2]
    assert dict(cf.segments[1].args) == {"GOOS": "linux"}
    assert struct.unpack_from("<I", data, len(data) - 8)[0] == 2


def test_truncation_at_every_length_is_a_clear_error() -> None:
    data = encode_counter_file(HASH, [(ARGS, FUNCS), ({}, FUNCS)])
    first = encode_counter_file(HASH, [(ARGS, FUNCS)])
    for cut in range(len(data)):
        if cut == len(first):
            # cut right after the first segment's footer: a valid one-segment file
            assert list(decode_counter_file(data[:cut], NAME).funcs()) == FUNCS
            continue
        with pytest.raises(InvalidReport) as info:
            decode_counter_file(data[:cut], NAME)
        assert info.value.source == NAME


def test_every_byte_flip_never_crashes() -> None:
    data = encode_counter_file(HASH, [(ARGS, FUNCS)])
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0xFF
        try:
            decode_counter_file(bytes(bad), NAME)
        except InvalidReport as exc:
            assert exc.source == NAME


@pytest.mark.parametrize(
    ("offset", "value", "message"),
    [
        (0, b"\x00cwX", "bad magic"),
        (4, struct.pack("<I", 9), "version data incompatibility"),
        (24, b"\x07", "unknown counter flavor"),
        (25, b"\x05", "endianness"),
        (32, struct.pack("<Q", 2**60), "function count"),
        (40, struct.pack("<I", 2**31), "truncated"),
    ],
)
def test_header_corruption(offset: int, value: bytes, message: str) -> None:
    data = encode_counter_file(HASH, [(ARGS, FUNCS)])
    bad = data[:offset] + value + data[offset + len(value) :]
    with pytest.raises(InvalidReport, match=message):
        decode_counter_file(bad, NAME)


def test_footer_corruption() -> None:
    data = encode_counter_file(HASH, [(ARGS, FUNCS)])
    with pytest.raises(InvalidReport, match="footer"):
        decode_counter_file(data[:-16] + b"\x00cwX" + data[-12:], NAME)
    no_segments = data[:-8] + struct.pack("<I", 0) + data[-4:]
    with pytest.raises(InvalidReport, match="no segments"):
        decode_counter_file(no_segments, NAME)
    many = data[:-8] + struct.pack("<I", 2**31) + data[-4:]
    with pytest.raises(InvalidReport, match="segment count"):
        decode_counter_file(many, NAME)
    with pytest.raises(InvalidReport, match="unexpected bytes"):
        decode_counter_file(data[:-16] + b"\x00\x00\x00\x00" + data[-16:], NAME)


def _one_record(record: bytes) -> bytes:
    """A ULEB128 counter file with one hand-written record."""
    header = struct.pack("<4sI16sBB6x", b"\x00cwm", 1, HASH, FLAVOR_ULEB128, 0)
    table = b"\x01\x00"
    args = b"\x00\x00"
    seg = struct.pack("<QII", 1, len(table), len(args)) + table + args
    return header + seg + record + struct.pack("<4s4xI4x", b"\x00cwm", 1)


def test_uleb128_counter_overflow() -> None:
    good = _one_record(b"\x01\x00\x00" + uleb128(7))
    assert list(decode_counter_file(good, NAME).funcs()) == [FuncCounters(0, 0, (7,))]
    with pytest.raises(InvalidReport, match="overflow"):
        decode_counter_file(_one_record(b"\x01\x00\x00" + uleb128(MAX_U32 + 1)), NAME)
    with pytest.raises(InvalidReport, match="overflow"):
        decode_counter_file(_one_record(b"\x01\x00\x00\xff\xff\xff\xff\xff\x01"), NAME)


def test_absurd_counter_count() -> None:
    with pytest.raises(InvalidReport, match="counter count"):
        decode_counter_file(_one_record(uleb128(2**31) + b"\x00\x00\x00"), NAME)


def test_bad_args_table() -> None:
    header = struct.pack("<4sI16sBB6x", b"\x00cwm", 1, HASH, FLAVOR_ULEB128, 0)
    table = b"\x02\x00\x01k"
    for args, message in [
        (b"\x01\x05\x01\x00", "malformed string table reference"),
        (b"\x02\x01\x01\x01\x01\x00\x00\x00", "twice"),
        (b"\x00\x07\x00\x00", "padding"),
    ]:
        seg = struct.pack("<QII", 0, len(table), len(args)) + table + args
        data = header + seg + struct.pack("<4s4xI4x", b"\x00cwm", 1)
        with pytest.raises(InvalidReport, match=message):
            decode_counter_file(data, NAME)


def test_encoder_refuses_out_of_range_values() -> None:
    with pytest.raises(ValueError):
        encode_counter_file(HASH, [({}, [FuncCounters(0, 0, (MAX_U32 + 1,))])])
    with pytest.raises(ValueError):
        encode_counter_file(b"short", [({}, [])])
    with pytest.raises(ValueError):
        encode_counter_file(HASH, [])
