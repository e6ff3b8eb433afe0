"""The Go text profile parser, writer and merge (app.coverage.parsers.gocover, writers.gocover).

The numbers that must equal Go's own are checked against the real toolchain in
tests/crosscheck/test_go_crosscheck.py; here: the grammar, the limits, the model it builds and the
merge rules, with hand-made profiles whose expected values follow from the rules in the docstrings.
"""

from __future__ import annotations

import dataclasses
import io
from typing import BinaryIO, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.coverage import percent
from app.coverage.errors import IncompatibleReports, InvalidReport, LimitExceeded
from app.coverage.model import MAX_COUNT, Counts, CoverageReport, FileCoverage, GoBlock, LineTotals
from app.coverage.parsers import gocover
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits
from app.coverage.writers.gocover import write

pytestmark = pytest.mark.unit

NAME = "uploads/cover.out"


def parse(text: str | bytes, limits: Limits = DEFAULT_LIMITS, name: str = NAME) -> CoverageReport:
    data = text.encode() if isinstance(text, str) else text
    return gocover.parse(io.BytesIO(data), name, limits)


def only(report: CoverageReport) -> FileCoverage:
    assert len(report.files) == 1
    return next(iter(report.files.values()))


# --------------------------------------------------------------------------------------------
# detection


@pytest.mark.parametrize(
    "head",
    [
        b"mode: set\n",
        b"mode: count\r\nx.go:1.1,2.2 1 1\n",
        b"\xef\xbb\xbfmode: atomic\n",
        b"mode: set",
    ],
)
def test_sniff_accepts_mode_lines(head: bytes) -> None:
    assert gocover.sniff("whatever.txt", head)


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"mode: \n",
        b"mode: sets\n",
        b"TN:\nSF:a.c\n",
        b"<?xml version='1.0'?>",
        b" mode: set\n",
    ],
)
def test_sniff_refuses_other_content(head: bytes) -> None:
    assert not gocover.sniff("cover.out", head)


# --------------------------------------------------------------------------------------------
# the model built from a profile


def test_a_small_profile_gives_statements_lines_partials_and_blocks() -> None:
    report = parse(
        "mode: count\n"
        "example.com/m/pkg/a.go:3.20,5.3 2 7\n"  # lines 3, 4, 5 (EC 3 > 2)
        "example.com/m/pkg/a.go:5.3,7.2 1 0\n"  # lines 5, 6 (EC 2: not 7)
        "example.com/m/pkg/a.go:9.1,9.14 0 0\n"  # empty block: no line, no statement
        "example.com/m/pkg/b.go:1.1,1.9 3 1\n"
    )
    assert report.format == "gocover"
    assert report.unit == "statements"
    assert report.rule == percent.GO
    assert report.mode == "count"
    assert list(report.files) == ["example.com/m/pkg/a.go", "example.com/m/pkg/b.go"]
    a = report.files["example.com/m/pkg/a.go"]
    assert a.path == "example.com/m/pkg/a.go"
    assert a.package == "example.com/m/pkg"
    assert a.blocks == (
        GoBlock(3, 20, 5, 3, 2, 7),
        GoBlock(5, 3, 7, 2, 1, 0),
        GoBlock(9, 1, 9, 14, 0, 0),
    )
    assert a.native == Counts(2, 3)
    assert dict(a.lines) == {3: 7, 4: 7, 5: 7, 6: 0}
    assert a.branches == {5: (1, 2)}  # touched by a run and a not-run block
    assert a.line_totals() == LineTotals(covered=3, partial=1, total=4)
    assert report.native_totals() == Counts(5, 6)
    assert report.native_display() == "83.3%"  # Go: 100.0*5/6 = 83.33...


def test_a_block_always_touches_its_start_line() -> None:
    f = only(parse("mode: set\nx/a.go:4.1,4.2 1 1\nx/a.go:6.5,7.1 1 0\n"))
    assert dict(f.lines) == {4: 1, 6: 0}


def test_line_hits_are_the_largest_count_of_the_blocks_on_the_line() -> None:
    f = only(parse("mode: count\nx/a.go:1.1,2.10 1 3\nx/a.go:2.10,2.20 1 9\n"))
    assert dict(f.lines) == {1: 3, 2: 9}
    assert f.branches == {}  # both ran: not partial


def test_zero_statement_blocks_count_nowhere_but_are_kept() -> None:
    report = parse("mode: set\np/e.go:12.22,13.2 0 0\np/e.go:20.2,21.10 0 1\n")
    f = only(report)
    assert f.native == Counts(0, 0)
    assert len(f.lines) == 0
    assert f.blocks == (GoBlock(12, 22, 13, 2, 0, 0), GoBlock(20, 2, 21, 10, 0, 1))
    assert report.native_display() == "[no statements]"


def test_a_profile_with_only_a_mode_line_is_empty() -> None:
    report = parse("mode: atomic\n")
    assert report.files == {}
    assert report.mode == "atomic"
    assert report.native_totals() == Counts(0, 0)
    assert report.native_display() == "[no statements]"


def test_file_names_may_hold_colons_and_spaces() -> None:
    report = parse("mode: set\nmy dir/we:ird name.go:1.2,3.4 5 1\n")
    f = report.files["my dir/we:ird name.go"]
    assert f.blocks == (GoBlock(1, 2, 3, 4, 5, 1),)
    assert f.package == "my dir"


def test_windows_paths() -> None:
    f = only(parse("mode: count\r\nC:\\work\\proj\\a.go:3.10,5.2 2 4\r\n"))
    assert f.path == "C:\\work\\proj\\a.go"
    assert f.package == "C:\\work\\proj"
    assert f.native == Counts(2, 2)


def test_crlf_and_byte_order_mark_are_accepted() -> None:
    lf = parse("mode: count\na/b.go:1.1,2.5 1 2\na/b.go:3.1,3.9 1 0\n")
    crlf = parse(b"\xef\xbb\xbfmode: count\r\na/b.go:1.1,2.5 1 2\r\na/b.go:3.1,3.9 1 0\r\n")
    assert crlf == lf


def test_a_file_without_a_directory_has_no_package() -> None:
    assert only(parse("mode: set\nmain.go:1.1,1.5 1 1\n")).package is None


def test_last_line_without_newline_is_read() -> None:
    f = only(parse("mode: set\na/b.go:1.1,1.5 1 1\na/b.go:2.1,2.5 1 0"))
    assert f.native == Counts(1, 2)


def test_a_truncated_last_line_is_refused_with_the_file_name() -> None:
    with pytest.raises(InvalidReport) as err:
        parse("mode: set\na/b.go:1.1,1.5 1 1\na/b.go:2.1,2")
    assert err.value.source == NAME
    assert NAME in str(err.value)
    assert "line 3" in str(err.value)


def test_blank_lines_are_skipped() -> None:
    assert parse("mode: set\n\na/b.go:1.1,1.5 1 1\n  \n") == parse(
        "mode: set\na/b.go:1.1,1.5 1 1\n"
    )


# --------------------------------------------------------------------------------------------
# duplicates and concatenated profiles


def test_repeated_blocks_are_summed_in_count_mode() -> None:
    f = only(parse("mode: count\na/b.go:1.1,2.5 2 3\na/b.go:1.1,2.5 2 4\na/b.go:1.1,2.5 2 0\n"))
    assert f.blocks == (GoBlock(1, 1, 2, 5, 2, 7),)
    assert f.native == Counts(2, 2)


def test_repeated_blocks_are_ored_in_set_mode() -> None:
    f = only(parse("mode: set\na/b.go:1.1,2.5 2 0\na/b.go:1.1,2.5 2 1\na/b.go:1.1,2.5 2 0\n"))
    assert f.blocks == (GoBlock(1, 1, 2, 5, 2, 1),)


def test_set_counts_above_one_read_as_one() -> None:
    assert only(parse("mode: set\na/b.go:1.1,2.5 2 7\n")).blocks == (GoBlock(1, 1, 2, 5, 2, 1),)


def test_repeated_blocks_saturate_at_the_count_limit() -> None:
    limits = Limits(max_count=10)
    f = only(parse("mode: atomic\na/b.go:1.1,2.5 1 6\na/b.go:1.1,2.5 1 6\n", limits))
    assert f.blocks == (GoBlock(1, 1, 2, 5, 1, 10),)
    big = MAX_COUNT - 1
    f = only(parse(f"mode: count\na/b.go:1.1,2.5 1 {big}\na/b.go:1.1,2.5 1 {big}\n"))
    assert f.blocks is not None
    assert f.blocks[0].count == MAX_COUNT


def test_inconsistent_statement_counts_are_refused() -> None:
    with pytest.raises(InvalidReport, match=r"inconsistent NumStmt .*a/b\.go:1\.1,2\.5.* 2 to 3"):
        parse("mode: count\na/b.go:1.1,2.5 2 1\na/b.go:1.1,2.5 3 1\n")


def test_extra_identical_mode_lines_are_skipped() -> None:
    one = "mode: count\na/b.go:1.1,2.5 1 2\n"
    two = "mode: count\na/b.go:1.1,2.5 1 5\nc/d.go:1.1,1.8 1 0\n"
    report = parse(one + two)
    assert report.files["a/b.go"].blocks == (GoBlock(1, 1, 2, 5, 1, 7),)
    assert list(report.files) == ["a/b.go", "c/d.go"]


def test_a_different_mode_in_a_concatenated_profile_is_refused() -> None:
    with pytest.raises(InvalidReport) as err:
        parse("mode: set\na/b.go:1.1,2.5 1 1\nmode: count\na/b.go:1.1,2.5 1 5\n")
    assert err.value.source == NAME
    message = str(err.value)
    assert NAME in message
    assert "'set'" in message
    assert "'count'" in message


# --------------------------------------------------------------------------------------------
# refused input


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty input"),
        ("a/b.go:1.1,2.5 1 1\n", "bad mode line"),
        ("mode: \n", "bad mode line"),
        ("mode:set\n", "bad mode line"),
        ("mode: sometimes\n", "unknown mode 'sometimes'"),
        ("\nmode: set\n", "bad mode line"),
        ("mode: set\nhello world\n", "doesn't match"),
        ("mode: set\n:1.1,2.5 1 1\n", "blank file name"),
        ("mode: set\na/b.go:1.1,2.5 1\n", "doesn't match"),
        ("mode: set\na/b.go:1.1;2.5 1 1\n", "doesn't match"),
        ("mode: set\na/b.go:x.1,2.5 1 1\n", "couldn't parse StartLine"),
        ("mode: set\na/b.go:1.1,2.5 1 1.5\n", "couldn't parse Count"),
        ("mode: set\na/b.go:1.1,2.5 1 +1\n", "couldn't parse Count"),
        ("mode: set\na/b.go:1.1,2.5 1 1_0\n", "couldn't parse Count"),
        ("mode: set\na/b.go:1.1,2.5 1  1\n", "couldn't parse NumStmt"),
        ("mode: count\na/b.go:1.1,2.5 1 -1\n", "negative values are not allowed for Count"),
        ("mode: count\na/b.go:1.1,2.5 -2 1\n", "negative values are not allowed for NumStmt"),
        ("mode: count\na/b.go:-1.1,2.5 1 1\n", "negative values are not allowed for StartLine"),
        ("mode: count\na/b.go:1.-1,2.5 1 1\n", "negative values are not allowed for StartCol"),
        ("mode: count\na/b.go:1.1,2.5 1 99999999999999999999\n", "Count 9999"),
        ("mode: count\na/b.go:0.1,2.5 1 1\n", "start at 1"),
        ("mode: count\na/b.go:3.1,2.5 1 1\n", "ends before it starts"),
        ("mode: count\na/b.go:3.9,3.5 1 1\n", "ends before it starts"),
    ],
)
def test_garbage_is_refused_with_the_file_name(text: str, problem: str) -> None:
    with pytest.raises(InvalidReport) as err:
        parse(text)
    assert err.value.source == NAME
    assert str(err.value).startswith(NAME + ": ")
    assert problem in str(err.value)


def test_numbers_too_long_for_int64_are_refused_briefly() -> None:
    with pytest.raises(InvalidReport, match=r"Count 9{40}\.\.\. is out of range") as err:
        parse("mode: count\na/b.go:1.1,2.5 1 " + "9" * 5000 + "\n")
    assert len(str(err.value)) < 500
    with pytest.raises(InvalidReport, match="negative values are not allowed for StartCol"):
        parse("mode: count\na/b.go:1.-" + "9" * 5000 + ",2.5 1 1\n")


def test_binary_garbage_is_refused() -> None:
    with pytest.raises(InvalidReport, match="bad mode line"):
        parse(b"\x00\x63\x76\x6d\x01\x00\x00\x00\xff\xfe")
    with pytest.raises(InvalidReport, match="not UTF-8"):
        parse(b"mode: set\na/\xff.go:1.1,2.5 1 1\n")


def test_line_numbers_up_to_the_limit_are_accepted() -> None:
    limits = Limits(max_line_number=100)
    f = only(parse("mode: set\na/b.go:99.1,100.5 1 1\n", limits))
    assert dict(f.lines) == {99: 1, 100: 1}


@pytest.mark.parametrize("block", ["101.1,101.5", "99.1,101.5"])
def test_line_numbers_over_the_limit_are_refused(block: str) -> None:
    with pytest.raises(LimitExceeded, match="line number 101 is above 100") as err:
        parse(f"mode: set\na/b.go:{block} 1 1\n", Limits(max_line_number=100))
    assert err.value.source == NAME


def test_default_line_number_limit() -> None:
    ok = DEFAULT_LIMITS.max_line_number
    assert only(parse(f"mode: set\na/b.go:{ok}.1,{ok}.5 1 1\n")).native == Counts(1, 1)
    with pytest.raises(LimitExceeded):
        parse(f"mode: set\na/b.go:{ok}.1,{ok + 1}.5 1 1\n")


def test_counts_over_the_limit_are_refused() -> None:
    limits = Limits(max_count=1000)
    assert only(parse("mode: count\na/b.go:1.1,1.5 1 1000\n", limits)).native == Counts(1, 1)
    with pytest.raises(LimitExceeded, match="count 1001"):
        parse("mode: count\na/b.go:1.1,1.5 1 1001\n", limits)


def test_too_many_files_are_refused() -> None:
    text = "mode: set\n" + "".join(f"p/f{i}.go:1.1,1.5 1 1\n" for i in range(4))
    assert len(parse(text, Limits(max_files=4)).files) == 4
    with pytest.raises(LimitExceeded, match="more than 3 source files"):
        parse(text, Limits(max_files=3))


def test_input_over_the_byte_limit_is_refused() -> None:
    text = "mode: set\n" + "a/b.go:1.1,1.5 1 1\n" * 100
    parse(text, Limits(max_bytes=len(text)))
    with pytest.raises(LimitExceeded, match="larger than"):
        parse(text, Limits(max_bytes=len(text) - 1))


def test_a_huge_line_is_refused_without_reading_it_whole() -> None:
    text = "mode: set\n" + "a" * (gocover.MAX_LINE_BYTES + 10) + ".go:1.1,1.5 1 1\n"
    with pytest.raises(LimitExceeded, match="longer than"):
        parse(text)


def test_blocks_spanning_too_many_lines_are_refused() -> None:
    text = "mode: set\na/b.go:1.1,1000.5 1 1\nc/d.go:1.1,1000.5 1 1\n"
    assert parse(text, Limits(max_lines=2000)).line_totals().total == 2000
    with pytest.raises(LimitExceeded, match="span more than 1999 lines"):
        parse(text, Limits(max_lines=1999))


class BoundedReads:
    """A stream that refuses unbounded reads, recording how much was asked for at once."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)
        self.largest = 0
        self.reads = 0

    def readline(self, size: int = -1) -> bytes:
        assert size > 0, "the parser must bound every read"
        line = self._inner.readline(size)
        self.largest = max(self.largest, len(line))
        self.reads += 1
        return line

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "the parser must bound every read"
        self.largest = max(self.largest, size)
        self.reads += 1
        return self._inner.read(size)


def test_the_input_is_streamed_in_bounded_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gocover, "CHUNK_BYTES", 4096)
    data = (
        "mode: count\n" + "".join(f"p/a.go:{i}.1,{i}.9 1 {i}\n" for i in range(1, 5001))
    ).encode()
    stream = BoundedReads(data)
    report = gocover.parse(cast(BinaryIO, stream), NAME, DEFAULT_LIMITS)
    assert report.native_totals() == Counts(5000, 5000)
    assert stream.largest == 4096 and stream.reads > len(data) // 4096


# --------------------------------------------------------------------------------------------
# writing


def test_write_orders_files_and_blocks() -> None:
    text = "mode: count\nz/z.go:5.1,5.9 1 2\na/a.go:9.1,9.4 1 0\na/a.go:2.3,4.1 3 1\n"
    assert write(parse(text)) == (
        "mode: count\na/a.go:2.3,4.1 3 1\na/a.go:9.1,9.4 1 0\nz/z.go:5.1,5.9 1 2\n"
    )


def test_write_refuses_files_merged_at_line_level() -> None:
    merged = gocover.merge_profiles(
        [parse("mode: set\na/a.go:1.1,3.5 2 1\n"), parse("mode: set\na/a.go:2.1,4.5 2 0\n")], "m"
    )
    assert merged.files["a/a.go"].blocks is None
    with pytest.raises(IncompatibleReports, match=r"a/a\.go"):
        write(merged)


def test_write_refuses_reports_without_a_go_mode() -> None:
    report = CoverageReport(format="lcov", unit="lines", rule=percent.LCOV, files={})
    with pytest.raises(IncompatibleReports):
        write(report)


# --------------------------------------------------------------------------------------------
# merging


def test_merge_sums_count_profiles_block_by_block() -> None:
    a = parse("mode: count\np/a.go:1.1,2.5 2 3\np/a.go:3.1,3.9 1 0\n")
    b = parse("mode: count\np/a.go:1.1,2.5 2 4\np/a.go:3.1,3.9 1 0\nq/b.go:1.1,1.5 1 1\n")
    merged = gocover.merge_profiles([a, b], "m")
    assert merged.mode == "count"
    assert merged.files["p/a.go"].blocks == (GoBlock(1, 1, 2, 5, 2, 7), GoBlock(3, 1, 3, 9, 1, 0))
    assert merged.native_totals() == Counts(3, 4)
    assert list(merged.files) == ["p/a.go", "q/b.go"]


def test_merge_ors_set_profiles() -> None:
    a = parse("mode: set\np/a.go:1.1,2.5 2 1\np/a.go:3.1,3.9 1 0\n")
    b = parse("mode: set\np/a.go:1.1,2.5 2 1\np/a.go:3.1,3.9 1 1\n")
    merged = gocover.merge_profiles([a, b], "m")
    assert merged.files["p/a.go"].blocks == (GoBlock(1, 1, 2, 5, 2, 1), GoBlock(3, 1, 3, 9, 1, 1))


def test_merge_saturates_at_the_count_limit() -> None:
    a = parse(f"mode: atomic\np/a.go:1.1,2.5 2 {MAX_COUNT}\n")
    b = parse("mode: atomic\np/a.go:1.1,2.5 2 5\n")
    merged = gocover.merge_profiles([a, b], "m")
    assert merged.files["p/a.go"].blocks == (GoBlock(1, 1, 2, 5, 2, MAX_COUNT),)
    merged = gocover.merge_profiles([b, b, b], "m", Limits(max_count=12))
    assert merged.files["p/a.go"].blocks == (GoBlock(1, 1, 2, 5, 2, 12),)


def test_merge_of_different_modes_is_set_of_hits() -> None:
    a = parse("mode: set\np/a.go:1.1,2.5 2 1\np/a.go:3.1,3.9 1 0\n")
    b = parse("mode: count\np/a.go:1.1,2.5 2 40\np/a.go:3.1,3.9 1 0\nq/b.go:1.1,1.5 1 9\n")
    merged = gocover.merge_profiles([a, b], "m")
    assert merged.mode == "set"
    assert merged.files["p/a.go"].blocks == (GoBlock(1, 1, 2, 5, 2, 1), GoBlock(3, 1, 3, 9, 1, 0))
    assert merged.files["q/b.go"].blocks == (GoBlock(1, 1, 1, 5, 1, 1),)
    assert dict(merged.files["q/b.go"].lines) == {1: 1}


def test_merge_refuses_different_statement_counts() -> None:
    a = parse("mode: count\np/a.go:1.1,2.5 2 3\n")
    b = parse("mode: count\np/a.go:1.1,2.5 3 3\n")
    with pytest.raises(IncompatibleReports, match=r"p/a\.go:1\.1,2\.5 has 2 statements") as err:
        gocover.merge_profiles([a, b], "merge of 2 uploads")
    assert err.value.source == "merge of 2 uploads"


def test_merge_refuses_other_formats_and_nothing() -> None:
    lcov = CoverageReport(format="lcov", unit="lines", rule=percent.LCOV, files={})
    with pytest.raises(IncompatibleReports, match="lcov"):
        gocover.merge_profiles([parse("mode: set\n"), lcov], "m")
    with pytest.raises(IncompatibleReports):
        gocover.merge_profiles([], "m")


def test_merge_inserts_blocks_that_do_not_overlap() -> None:
    a = parse("mode: count\np/a.go:1.1,2.5 2 3\n")
    b = parse("mode: count\np/a.go:4.1,5.5 1 1\n")
    merged = gocover.merge_profiles([a, b], "m")
    assert merged.files["p/a.go"].blocks == (GoBlock(1, 1, 2, 5, 2, 3), GoBlock(4, 1, 5, 5, 1, 1))


def test_nested_blocks_within_every_input_are_merged_block_by_block() -> None:
    # A function literal inside a statement: the literal's block lies inside the statement's.
    text = "mode: count\np/a.go:1.1,9.5 2 {}\np/a.go:3.10,5.3 1 {}\n"
    merged = gocover.merge_profiles([parse(text.format(1, 0)), parse(text.format(2, 5))], "m")
    assert merged.files["p/a.go"].blocks == (GoBlock(1, 1, 9, 5, 2, 3), GoBlock(3, 10, 5, 3, 1, 5))


def test_overlapping_blocks_of_different_toolchains_merge_at_line_level() -> None:
    # Old toolchains: one block from '{' to '}'; go1.27: blocks split around the statements.
    old = parse("mode: set\np/a.go:3.20,6.2 2 1\np/a.go:8.1,8.9 1 0\n")
    new = parse("mode: count\np/a.go:4.2,4.30 1 0\np/a.go:5.2,5.20 1 0\np/a.go:8.1,8.9 1 3\n")
    merged = gocover.merge_profiles([new, old], "m")
    f = merged.files["p/a.go"]
    assert f.blocks is None
    assert merged.mode == "set"
    # old's block touches 3..5 (EC 2: not 6) and ran; new's touch 4, 5 (not run) and 8 (ran)
    assert dict(f.lines) == {3: 1, 4: 1, 5: 1, 8: 1}
    # statements: those of the first input with blocks (new: 3), all lines now fully hit
    assert f.native == Counts(3, 3)
    # the line-level result merges again at line level, keeping its statement total
    again = gocover.merge_profiles([merged, new], "m")
    assert again.files["p/a.go"].blocks is None
    assert again.files["p/a.go"].native == Counts(3, 3)


def test_line_level_merge_sums_counts_and_keeps_partials_only_if_never_fully_hit() -> None:
    a = parse("mode: count\np/a.go:1.1,2.5 1 2\np/a.go:2.5,3.1 1 0\n")  # line 2 partial
    b = parse("mode: count\np/a.go:1.1,1.9 1 1\np/a.go:1.9,2.9 1 4\n")  # overlaps a's blocks
    f = gocover.merge_profiles([a, b], "m").files["p/a.go"]
    assert f.blocks is None
    assert dict(f.lines) == {1: 6, 2: 6}
    assert f.branches == {}  # b ran line 2 fully
    c = parse("mode: count\np/a.go:1.1,1.9 1 1\np/a.go:1.9,3.9 1 0\n")  # line 2 missed
    f = gocover.merge_profiles([a, c], "m").files["p/a.go"]
    assert dict(f.lines) == {1: 3, 2: 2, 3: 0}
    assert f.branches == {2: (1, 2)}
    # a's second block spans only line 2, which is still partial: not covered
    assert f.native == Counts(1, 2)


def test_merging_one_report_gives_it_back() -> None:
    report = parse("mode: atomic\np/a.go:1.1,2.5 2 3\np/a.go:2.5,2.9 0 0\nq/b.go:1.1,1.5 1 0\n")
    assert gocover.merge_profiles([report], "m") == report


# --------------------------------------------------------------------------------------------
# properties


@st.composite
def profiles(
    draw: st.DrawFn, mode: str | None = None, keys: list[tuple[str, tuple[int, ...]]] | None = None
) -> str:
    """A Go profile text; with ``keys`` given, the blocks are a subset of those positions."""
    mode = mode or draw(st.sampled_from(gocover.MODES))
    if keys is None:
        keys = draw(block_layouts())
    top = 1 if mode == "set" else 2**40
    lines = [f"mode: {mode}\n"]
    for path, key in keys:
        if draw(st.booleans()) or len(lines) == 1:
            count = draw(st.integers(0, top) | st.just(0))
            lines.append(f"{path}:{key[0]}.{key[1]},{key[2]}.{key[3]} {key[4]} {count}\n")
    return lines[0] + "".join(draw(st.permutations(lines[1:])))


FILE_NAMES = st.sampled_from(
    ["p/a.go", "example.com/m/v2/x.go", "C:\\w\\s p\\a.go", "we:ird/na me.go", "main.go"]
)


@st.composite
def block_layouts(draw: st.DrawFn) -> list[tuple[str, tuple[int, ...]]]:
    """Non-overlapping blocks (as one Go toolchain writes them), with statement counts."""
    out: list[tuple[str, tuple[int, ...]]] = []
    for path in draw(st.lists(FILE_NAMES, min_size=1, max_size=3, unique=True)):
        line = draw(st.integers(1, 5))
        for _ in range(draw(st.integers(1, 6))):
            start_col = draw(st.integers(1, 40))
            length = draw(st.integers(0, 4))
            end_col = draw(st.integers(1, 40)) if length else draw(st.integers(start_col, 60))
            nstmt = draw(st.integers(0, 4))
            out.append((path, (line, start_col, line + length, end_col, nstmt)))
            line += length + 1
    return out


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_round_trip(data: st.DataObject) -> None:
    report = parse(data.draw(profiles()))
    text = write(report)
    again = parse(text)
    assert again == report
    assert write(again) == text


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_merge_equals_reading_the_concatenated_profiles(data: st.DataObject) -> None:
    mode = data.draw(st.sampled_from(gocover.MODES))
    keys = data.draw(block_layouts())
    texts = [data.draw(profiles(mode, keys)) for _ in range(data.draw(st.integers(1, 4)))]
    reports = [parse(t) for t in texts]
    merged = gocover.merge_profiles(reports, "m")
    assert merged == parse("".join(texts))
    assert gocover.merge_profiles(list(reversed(reports)), "m") == merged
    if len(reports) > 2:  # associative
        assert (
            gocover.merge_profiles([gocover.merge_profiles(reports[:2], "m"), *reports[2:]], "m")
            == merged
        )


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_merging_mixed_modes_covers_the_union(data: st.DataObject) -> None:
    keys = data.draw(block_layouts())
    a = parse(data.draw(profiles("set", keys)))
    b = parse(data.draw(profiles(data.draw(st.sampled_from(["count", "atomic"])), keys)))
    merged = gocover.merge_profiles([a, b], "m")
    assert merged.mode == "set"
    hit = {
        (path, blk.key)
        for r in (a, b)
        for path, f in r.files.items()
        for blk in f.blocks or ()
        if blk.count
    }
    for path, f in merged.files.items():
        assert f.blocks is not None
        for blk in f.blocks:
            assert blk.count == (1 if (path, blk.key) in hit else 0)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_native_counts_are_the_statement_sums(data: st.DataObject) -> None:
    report = parse(data.draw(profiles()))
    for f in report.files.values():
        assert f.blocks is not None
        assert f.native.total == sum(b.statements for b in f.blocks)
        assert f.native.covered == sum(b.statements for b in f.blocks if b.count)
        run_lines = {
            n for b in f.blocks if b.count and b.statements for n in gocover.block_lines(b.key)
        }
        assert {n for n, hits in f.lines.items_sorted() if hits} == run_lines


KEYS = st.tuples(st.integers(1, 6), st.integers(1, 4), st.integers(0, 3), st.integers(1, 4)).map(
    lambda t: (t[0], t[1], t[0] + t[2], t[3] if t[2] else max(t[1], t[3]))
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sets(KEYS, max_size=6), min_size=1, max_size=3))
def test_overlap_detection_matches_a_brute_force_check(
    key_sets: list[set[tuple[int, ...]]],
) -> None:
    maps = [{cast(tuple[int, int, int, int], k): (1, 0) for k in keys} for keys in key_sets]
    universe = sorted(set().union(*key_sets))

    def holders(key: tuple[int, ...]) -> set[int]:
        return {i for i, keys in enumerate(key_sets) if key in keys}

    def overlap(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
        # half-open ranges [start, end): an empty block overlaps nothing
        if a[:2] == a[2:] or b[:2] == b[2:]:
            return False
        return (a[0], a[1]) < (b[2], b[3]) and (b[0], b[1]) < (a[2], a[3])

    expected = any(
        overlap(a, b) and holders(a) != holders(b)
        for i, a in enumerate(universe)
        for b in universe[i + 1 :]
    )
    assert gocover._conflicting(maps) == expected


def test_gocovdata_reports_merge_by_go_rules_too() -> None:
    text = parse("mode: count\np/a.go:1.1,2.5 2 3\n")
    covdata = dataclasses.replace(parse("mode: count\np/a.go:1.1,2.5 2 4\n"), format="gocovdata")
    merged = gocover.merge_profiles([covdata, text], "m")
    assert merged.format == "gocover"
    assert merged.files["p/a.go"].blocks == (GoBlock(1, 1, 2, 5, 2, 7),)
