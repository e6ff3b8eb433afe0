"""Primitives: ULEB128 (with overflow), string tables, FNV-1a 128 against Go's golden values."""

from __future__ import annotations

import pytest

from app.coverage.errors import InvalidReport
from app.coverage.gocovdata.wire import (
    MAX_U32,
    Reader,
    StringTableBuilder,
    encode_string_table,
    fnv128a,
    uleb128,
)

pytestmark = pytest.mark.unit


def test_fnv128a_matches_go_golden_values() -> None:
    # hash/fnv fnv_test.go golden128a
    assert fnv128a(b"").hex() == "6c62272e07bb014262b821756295c58d"
    assert fnv128a(b"a").hex() == "d228cb696f1a8caf78912b704e4a8964"
    assert fnv128a(b"ab").hex() == "08809544bbab1be95aa0733055b69a62"
    assert fnv128a(b"a", b"bc") == fnv128a(b"abc")
    assert fnv128a(b"abc").hex() == "a68d622cec8b5822836dbc7977af7f3b"


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 16383, 16384, 2**31, MAX_U32])
def test_uleb128_round_trip(value: int) -> None:
    data = uleb128(value)
    r = Reader(data, "x")
    assert r.uleb("v") == value
    assert r.remaining == 0


def test_uleb128_known_bytes() -> None:
    assert uleb128(0) == b"\x00"
    assert uleb128(624485) == b"\xe5\x8e\x26"
    with pytest.raises(ValueError):
        uleb128(-1)


def test_uleb128_value_above_uint32_is_overflow() -> None:
    with pytest.raises(InvalidReport, match="overflow"):
        Reader(uleb128(MAX_U32 + 1), "f.bin").uleb("counter")


def test_uleb128_too_many_bytes_is_overflow() -> None:
    # six bytes for a uint32, and an endless run of continuation bytes: both refused quickly
    with pytest.raises(InvalidReport, match="longer than 5 bytes"):
        Reader(b"\x80\x80\x80\x80\x80\x00", "f.bin").uleb("counter")
    with pytest.raises(InvalidReport, match="overflow"):
        Reader(b"\xff" * 1_000_000, "f.bin").uleb("counter")


def test_uleb128_truncated_names_the_input() -> None:
    with pytest.raises(InvalidReport) as info:
        Reader(b"\x80\x80", "covcounters.x").uleb("counter")
    assert info.value.source == "covcounters.x"
    assert "truncated" in info.value.problem


def test_string_table_round_trip_and_index_zero_is_empty() -> None:
    b = StringTableBuilder(["x", "héllo", "x"])
    assert b.strings == ["", "x", "héllo"]
    data = b.encode()
    assert data == encode_string_table(["", "x", "héllo"])
    assert Reader(data, "t").string_table("t") == ["", "x", "héllo"]


def test_string_table_absurd_count_and_length() -> None:
    with pytest.raises(InvalidReport, match="larger than"):
        Reader(uleb128(1_000_000) + b"\x00", "t").string_table("table")
    with pytest.raises(InvalidReport, match="truncated"):
        Reader(b"\x01" + uleb128(4000) + b"abc", "t").string_table("table")
    with pytest.raises(InvalidReport, match="UTF-8"):
        Reader(b"\x01\x02\xff\xfe", "t").string_table("table")


def test_reader_bounds() -> None:
    r = Reader(b"\x01\x02\x03", "f")
    with pytest.raises(InvalidReport, match="truncated header"):
        r.u32("header")
    assert r.u8("x") == 1
    with pytest.raises(InvalidReport):
        r.u64("x")
    with pytest.raises(InvalidReport):
        r.bytes(-1, "x")
