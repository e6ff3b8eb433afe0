"""The LCOV parser and writer (app.coverage.parsers.lcov, app.coverage.writers.lcov).

Numbers that must equal lcov's own are checked against the real tool in
tests/crosscheck/test_js_lcov_crosscheck.py; here: the grammar of 1.x and 2.x records, merging of
repeated records, the limits and hostile input, and writer round trips. Expected values follow from
lcov's rules (reference/formats.md §5, /usr/bin/lcov 1.16 ``read_info_file``/``brcount_to_db``).
"""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.coverage import percent
from app.coverage.errors import CoverageError, InvalidReport, LimitExceeded
from app.coverage.model import MAX_COUNT, Counts, CoverageReport, FileCoverage, Function, LineHits
from app.coverage.parsers import lcov
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits
from app.coverage.writers.lcov import write

pytestmark = pytest.mark.unit

NAME = "artifacts/lcov.info"


def parse(text: str | bytes, limits: Limits = DEFAULT_LIMITS) -> CoverageReport:
    data = text.encode() if isinstance(text, str) else text
    return lcov.parse(io.BytesIO(data), NAME, limits)


def notes(text: str) -> list[str]:
    return lcov.parse_with_notes(io.BytesIO(text.encode()), NAME)[1]


def only(report: CoverageReport) -> FileCoverage:
    assert len(report.files) == 1
    return next(iter(report.files.values()))


def rec(*lines: str, sf: str = "src/a.c") -> str:
    return "\n".join([f"SF:{sf}", *lines, "end_of_record"]) + "\n"


# --------------------------------------------------------------------------------------------
# detection


@pytest.mark.parametrize(
    "head",
    [b"TN:\nSF:a.c\n", b"SF:a.c\nDA:1,1\n", b"# comment\n\nTN:x\n", b"\xef\xbb\xbfSF:a\n"],
)
def test_sniff_accepts_tracefiles(head: bytes) -> None:
    assert lcov.sniff("whatever.txt", head)


@pytest.mark.parametrize("head", [b"mode: set\n", b"<?xml version='1.0'?>", b'{"a": 1}', b"DA:1,1"])
def test_sniff_rejects_other_formats(head: bytes) -> None:
    assert not lcov.sniff("lcov.info", head)


# --------------------------------------------------------------------------------------------
# grammar


def test_basic_record_and_native_headline() -> None:
    report = parse(rec("DA:1,1", "DA:2,0", "DA:3,5", "DA:4,1", "LF:4", "LH:3"))
    f = only(report)
    assert dict(f.lines) == {1: 1, 2: 0, 3: 5, 4: 1}
    assert report.format == "lcov" and report.unit == "lines"
    assert report.rule == percent.LCOV
    assert report.native_totals() == Counts(3, 4)
    assert report.native_display() == "75.0%"


def test_summary_lines_are_recomputed_not_trusted() -> None:
    f = only(parse(rec("DA:1,1", "DA:2,0", "LF:9", "LH:9", "BRF:40", "BRH:40", "FNF:7", "FNH:7")))
    assert f.native == Counts(1, 2)
    assert f.branch_totals() == Counts(0, 0)
    assert f.function_totals() == Counts(0, 0)


def test_crlf_blank_lines_comments_and_unknown_keys() -> None:
    text = (
        "# produced by hand\r\n\r\nTN:unit\r\nVER:abc123\r\nSF:src/a.c\r\nDA:1,1\r\n"
        "MCDC:1,2,t,1,0,a && b\r\nMCF:2\r\nMCH:1\r\nXYZ:anything at all\r\n\r\nDA:2,0\r\n"
        "end_of_record\r\n"
    )
    f = only(parse(text))
    assert dict(f.lines) == {1: 1, 2: 0}
    assert f.path == "src/a.c"  # no \r left in the path


def test_da_with_checksum() -> None:
    f = only(parse(rec("DA:3,2,PF4Rz2r7RTliO9u6bZ7h6g", "DA:4,0,abc")))
    assert dict(f.lines) == {3: 2, 4: 0}


def test_missing_end_of_record_at_eof_is_kept_and_noted() -> None:
    text = "SF:a.c\nDA:1,1\nend_of_record\nSF:b.c\nDA:1,0\nDA:2,3"
    report, found = lcov.parse_with_notes(io.BytesIO(text.encode()), NAME)
    assert set(report.files) == {"a.c", "b.c"}
    assert dict(report.files["b.c"].lines) == {1: 0, 2: 3}
    assert any("end_of_record" in n for n in found)


def test_sf_without_end_of_record_before_next_sf_closes_the_record() -> None:
    report = parse("SF:a.c\nDA:1,1\nSF:b.c\nDA:2,1\nend_of_record\n")
    assert dict(report.files["a.c"].lines) == {1: 1}
    assert dict(report.files["b.c"].lines) == {2: 1}


def test_functions_1x_2x_and_names_with_commas() -> None:
    f = only(
        parse(
            rec(
                "FN:3,main",
                "FN:10,20,operator,(int, int)",
                "FN:30,lambda at x.c:30:5",
                "FNDA:4,main",
                "FNDA:0,operator,(int, int)",
                "FNDA:1,lambda at x.c:30:5",
                "DA:3,4",
            )
        )
    )
    assert f.functions == (
        Function("main", 3, 4),
        Function("operator,(int, int)", 10, 0, end_line=20),
        Function("lambda at x.c:30:5", 30, 1),
    )
    assert f.function_totals() == Counts(2, 3)


def test_fn_with_digit_name_and_no_end_line() -> None:
    # "FN:5,42" is the 1.x form with the name "42": an end line needs a third field.
    f = only(parse(rec("FN:5,42", "FNDA:1,42", "DA:5,1")))
    assert f.functions == (Function("42", 5, 1),)


def test_fnl_fna_groups_of_lcov_2_2() -> None:
    f = only(
        parse(
            rec(
                "FNL:0,5,9",
                "FNA:0,2,foo",
                "FNA:0,3,foo_alias",
                "FNL:1,12",
                "FNA:1,0,bar",
                "FNF:2",
                "FNH:1",
                "DA:5,5",
            )
        )
    )
    # a group is one function named after its first alias; its hits are the aliases' sum
    assert f.functions == (Function("foo", 5, 5, end_line=9), Function("bar", 12, 0))


def test_fna_with_unknown_index_is_an_error() -> None:
    with pytest.raises(InvalidReport, match=r"artifacts/lcov.info: line 2: FNA refers"):
        parse(rec("FNA:7,1,foo", "DA:1,1"))


def test_brda_dash_string_ids_and_commas() -> None:
    f = only(
        parse(
            rec(
                "DA:4,1",
                "DA:9,0",
                "BRDA:4,0,0,3",
                "BRDA:4,0,1,-",
                "BRDA:4,e1,jump to line 5,0",
                "BRDA:4,U2,return from function 'f, g',7",
                "BRDA:9,0,0,-",
                "BRDA:9,0,1,-",
                "BRF:99",
            )
        )
    )
    assert f.branches == {4: (2, 4), 9: (0, 2)}
    assert f.branch_totals() == Counts(2, 6)
    assert f.line_totals().partial == 1


def test_same_file_records_merge_like_lcov_add() -> None:
    text = (
        "TN:t1\n"
        + rec("FN:1,main", "FNDA:0,main", "DA:1,-5", "DA:2,0", "BRDA:2,0,0,-", "BRDA:2,0,1,-")
        + "TN:t2\n"
        + rec("FN:1,main", "FNDA:2,main", "DA:2,4", "DA:3,0", "BRDA:2,0,0,3")
        + rec("DA:3,1", "BRDA:2,0,1,0")
    )
    f = only(parse(text))
    assert dict(f.lines) == {1: 0, 2: 4, 3: 1}
    assert f.branches == {2: (1, 2)}  # '-' + 3 = 3 (taken); '-' + 0 = 0 (not taken)
    assert f.functions == (Function("main", 1, 2),)


def test_repeated_da_in_one_record_is_summed() -> None:
    assert dict(only(parse(rec("DA:1,2", "DA:1,3"))).lines) == {1: 5}


def test_negative_counts_become_zero_with_a_note() -> None:
    text = rec("DA:1,-1", "DA:2,-7", "DA:3,2")
    assert dict(only(parse(text)).lines) == {1: 0, 2: 0, 3: 2}
    assert "2 negative counts read as 0" in notes(text)


def test_records_without_da_are_dropped_like_lcov() -> None:
    report, found = lcov.parse_with_notes(
        io.BytesIO((rec("FN:1,f", "FNDA:1,f", sf="empty.c") + rec("DA:1,1")).encode()), NAME
    )
    assert set(report.files) == {"src/a.c"}
    assert any("empty.c" in n for n in found)


def test_line_zero_is_ignored_with_a_note() -> None:
    text = rec("DA:0,1", "DA:1,1")
    assert dict(only(parse(text)).lines) == {1: 1}
    assert "1 entries for line 0 ignored" in notes(text)


def test_counts_saturate_when_summed() -> None:
    f = only(parse(rec(f"DA:1,{MAX_COUNT}", "DA:1,5")))
    assert f.lines[1] == MAX_COUNT


def test_empty_input_gives_an_empty_report() -> None:
    report = parse("")
    assert report.files == {}
    assert report.native_display() == "no data found"


# --------------------------------------------------------------------------------------------
# hostile input: every error names the input


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (rec("DA:x,1"), "line 2: line number is not an integer: 'x'"),
        (rec("DA:1"), "line 2: DA needs a line and a count"),
        (rec("DA:1,1.5"), "line 2: count is not an integer: '1.5'"),
        (rec("DA:1,NaN"), "line 2: count is not an integer: 'NaN'"),
        (rec("DA:-3,1"), "line 2: negative line number -3"),
        (rec("DA:1_0,1"), "line 2: line number is not an integer"),
        (rec("DA:\u0661,1"), "line 2: line number is not an integer"),  # Arabic-Indic digit
        (rec("BRDA:1,0,0"), "line 2: BRDA needs line, block, branch and taken"),
        (rec("BRDA:1,0,0,x"), "line 2: branch count is not an integer"),
        (rec("FN:abc"), "line 2: FN needs a line and a name"),
        (rec("FNDA:1"), "line 2: FNDA needs a count and a name"),
        ("DA:1,1\n", "line 1: DA outside a record"),
        ("SF:\nDA:1,1\n", "line 1: empty SF path"),
        ("garbage without colon\n", "line 1: not an LCOV line"),
    ],
)
def test_malformed_lines_are_invalid(text: str, message: str) -> None:
    with pytest.raises(InvalidReport) as exc:
        parse(text)
    assert exc.value.source == NAME
    assert message in str(exc.value)


def test_non_utf8_path_is_an_error_naming_the_file() -> None:
    with pytest.raises(
        InvalidReport, match=r"artifacts/lcov\.info: line 1: SF path is not valid UTF-8"
    ):
        parse(b"SF:src/caf\xe9.c\nDA:1,1\nend_of_record\n")


def test_non_utf8_function_names_are_replaced_not_fatal() -> None:
    f = only(parse(b"SF:a.c\nFN:1,f\xff\nFNDA:1,f\xff\nDA:1,1\nend_of_record\n"))
    assert f.functions == (Function("f\ufffd", 1, 1),)


def test_line_number_at_the_limit_is_accepted_past_it_refused() -> None:
    limits = Limits(max_line_number=1000)
    assert dict(only(parse(rec("DA:1000,1"), limits)).lines) == {1000: 1}
    with pytest.raises(LimitExceeded, match=r"artifacts/lcov.info: line 2: line number 1001"):
        parse(rec("DA:1001,1"), limits)
    with pytest.raises(LimitExceeded):
        parse(rec("DA:999999999999999999999999,1"))
    with pytest.raises(LimitExceeded, match="function line"):
        parse(rec("FN:1001,f", "DA:1,1"), limits)
    with pytest.raises(LimitExceeded):
        parse(rec("BRDA:1001,0,0,1"), limits)


def test_count_above_the_limit_is_refused() -> None:
    with pytest.raises(LimitExceeded, match="count 11 exceeds 10"):
        parse(rec("DA:1,11"), Limits(max_count=10))
    with pytest.raises(LimitExceeded):
        parse(rec(f"DA:1,{2**64}"))


def test_file_count_line_count_and_size_limits() -> None:
    two = rec("DA:1,1", sf="a.c") + rec("DA:1,1", sf="b.c")
    with pytest.raises(LimitExceeded, match="more than 1 source files"):
        parse(two, Limits(max_files=1))
    with pytest.raises(LimitExceeded, match="more than 2 measured lines"):
        parse(rec("DA:1,1", "DA:2,1", "DA:3,1"), Limits(max_lines=2))
    # the same file twice does not count twice
    assert len(parse(rec("DA:1,1") + rec("DA:1,1"), Limits(max_files=1, max_lines=1)).files) == 1
    with pytest.raises(LimitExceeded, match="exceeds 20 bytes"):
        parse(rec("DA:1,1", "DA:2,1"), Limits(max_bytes=20))


def test_a_giant_line_is_refused_without_reading_it_whole() -> None:
    data = b"SF:a.c\nDA:1," + b"1" * (lcov.MAX_LINE_BYTES + 10) + b"\n"
    with pytest.raises(LimitExceeded, match="line 2 is longer than"):
        parse(data)


MIXED = (
    "TN:t\r\nSF:a.c\r\nFN:1,f\r\nFNDA:2,f\r\nBRDA:2,0,0,1\r\nBRDA:2,0,1,-\r\n"
    "DA:1,2\r\nDA:2,1,abcd\r\nDA:3,0\r\nDA:1,1\r\n  DA:4,7  \r\nDA:5,-2\r\n"
    "end_of_record\r\n\r\nSF:b.c\nDA:9,1\nDA:10,0\nend_of_record\nSF:a.c\nDA:3,4\n"
)


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 16, 1 << 20])
def test_chunk_boundaries_do_not_change_anything(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = {
        "a.c": ({1: 3, 2: 1, 3: 4, 4: 7, 5: 0}, {2: (1, 2)}),
        "b.c": ({9: 1, 10: 0}, {}),
    }
    monkeypatch.setattr(lcov, "CHUNK_BYTES", chunk)
    for text in (MIXED, MIXED.replace("\r\n", "\n")):
        report = parse(text)
        got = {p: (dict(f.lines), dict(f.branches)) for p, f in report.files.items()}
        assert got == expected
    with pytest.raises(InvalidReport, match="line 4: count is not an integer"):
        parse("SF:a\nDA:1,1\nDA:2,2\nDA:3,x\nDA:4,4\n")


def test_bulk_and_line_paths_agree_on_errors_and_limits() -> None:
    many = "SF:a\n" + "".join(f"DA:{i},1\n" for i in range(1, 50)) + "DA:50,1\n"
    with pytest.raises(LimitExceeded, match="line 51: line number 50 exceeds the limit 49"):
        parse(many, Limits(max_line_number=49))
    with pytest.raises(LimitExceeded, match="line 3: count 9 exceeds 8"):
        parse("SF:a\nDA:1,1\nDA:2,9\nDA:3,1\n", Limits(max_count=8))
    with pytest.raises(InvalidReport, match="line 1: DA outside a record"):
        parse("DA:1,1\nDA:2,1\n")


def test_every_error_is_a_coverage_error() -> None:
    for text in (rec("DA:a,1"), rec("DA:99999999999,1")):
        with pytest.raises(CoverageError) as exc:
            parse(text)
        assert str(exc.value).startswith(NAME + ": ")


# --------------------------------------------------------------------------------------------
# the headline rule and the lcov --summary block


@pytest.mark.parametrize(
    ("covered", "total", "shown"),
    [
        (3, 4, "75.0%"),
        (1999, 2000, "99.9%"),  # 99.95 prints as 100.0: clamped
        (1, 3000, "0.1%"),  # 0.033 prints as 0.0: clamped
        (0, 5, "0.0%"),
        (5, 5, "100.0%"),
        (1, 8, "12.5%"),  # %.1f of 12.5 (exact binary): round-half-even
        (0, 0, "no data found"),
    ],
)
def test_genhtml_rate(covered: int, total: int, shown: str) -> None:
    assert percent.LCOV.display(covered, total) == shown


def test_summary_block() -> None:
    report = parse(rec("FN:1,f", "FNDA:1,f", "DA:1,1", "DA:2,0", "BRDA:1,0,0,1", "BRDA:1,0,1,0"))
    assert lcov.summary(report).splitlines() == [
        "Summary coverage rate:",
        "  lines......: 50.0% (1 of 2 lines)",
        "  functions..: 100.0% (1 of 1 function)",
        "  branches...: 50.0% (1 of 2 branches)",
    ]
    assert "functions..: no data found" in lcov.summary(parse(rec("DA:1,1")))
    # lcov 1.16 without --rc lcov_branch_coverage=1 ignores BRDA
    assert "branches...: no data found" in lcov.summary(report, branch_coverage=False)


# --------------------------------------------------------------------------------------------
# writer


def test_writer_output_shape() -> None:
    f = FileCoverage(
        path="src/a.c",
        lines=LineHits.from_mapping({1: 2, 2: 0, 5: 1}),
        branches={1: (1, 2), 2: (0, 2)},
        functions=(Function("main", 1, 2), Function("helper", 5, 0)),
        native=Counts(2, 3),
    )
    report = CoverageReport("lcov", "lines", percent.LCOV, {"src/a.c": f})
    assert write(report).splitlines() == [
        "TN:",
        "SF:src/a.c",
        "FN:1,main",
        "FNDA:2,main",
        "FN:5,helper",
        "FNDA:0,helper",
        "FNF:2",
        "FNH:1",
        "BRDA:1,0,0,1",
        "BRDA:1,0,1,0",
        "BRDA:2,0,0,-",
        "BRDA:2,0,1,-",
        "BRF:4",
        "BRH:1",
        "DA:1,2",
        "DA:2,0",
        "DA:5,1",
        "LF:3",
        "LH:2",
        "end_of_record",
    ]


def test_writer_spells_out_the_end_line_for_names_that_start_with_digits() -> None:
    f = FileCoverage(
        path="a.c",
        lines=LineHits.from_mapping({5: 1}),
        functions=(Function("12,x", 5, 1), Function("7,y", 6, 0, end_line=9)),
        native=Counts(1, 1),
    )
    text = write(CoverageReport("lcov", "lines", percent.LCOV, {"a.c": f}))
    assert "FN:5,5,12,x" in text and "FN:6,9,7,y" in text
    assert only(parse(text)).functions == (
        Function("12,x", 5, 1, end_line=5),
        Function("7,y", 6, 0, end_line=9),
    )


def test_writer_refuses_line_breaks_in_paths() -> None:
    report = CoverageReport("lcov", "lines", percent.LCOV, {"a\nb": FileCoverage(path="a\nb")})
    with pytest.raises(InvalidReport, match="line break"):
        write(report)


def test_parse_write_parse_of_a_rich_file() -> None:
    text = (
        "TN:t\n"
        + rec("FN:1,f", "FNDA:3,f", "DA:1,3", "DA:2,0", "BRDA:1,0,0,1", "BRDA:1,1,x,-")
        + rec("DA:7,1", sf="b/c.js")
    )
    first = parse(text)
    assert parse(write(first)) == first


_paths = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",), blacklist_characters="\r\n\x85\u2028\u2029"
    ),
    min_size=1,
    max_size=30,
).filter(lambda p: p.strip() == p)
_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=20
).filter(lambda n: n.strip() == n and not n.partition(",")[0].strip().isdigit())


@st.composite
def _files(draw: st.DrawFn) -> FileCoverage:
    path = draw(_paths)
    lines = draw(
        st.dictionaries(st.integers(1, 10_000), st.integers(0, MAX_COUNT), min_size=1, max_size=20)
    )
    branch_lines = draw(st.lists(st.sampled_from(sorted(lines)), unique=True, max_size=5))
    branches: dict[int, tuple[int, int]] = {}
    for line in branch_lines:
        total = draw(st.integers(1, 6))
        covered = draw(st.integers(0, total)) if lines[line] > 0 else 0
        branches[line] = (covered, total)
    fnames = draw(st.lists(_names, unique=True, max_size=4))
    functions = tuple(
        Function(name, draw(st.integers(1, 10_000)), draw(st.integers(0, 10**6))) for name in fnames
    )
    lh = LineHits.from_mapping(lines)
    return FileCoverage(
        path=path,
        lines=lh,
        branches=dict(sorted(branches.items())),
        functions=tuple(sorted(functions, key=lambda f: (f.start_line, f.name))),
        native=Counts(lh.covered_count(), len(lh)),
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(_files(), max_size=4, unique_by=lambda f: f.path))
def test_hypothesis_model_write_parse_round_trip(files: list[FileCoverage]) -> None:
    report = CoverageReport("lcov", "lines", percent.LCOV, {f.path: f for f in files})
    again = parse(write(report))
    assert again == report
    assert again.native_display() == report.native_display()


@settings(max_examples=100, deadline=None)
@given(st.lists(_files(), min_size=1, max_size=3, unique_by=lambda f: f.path))
def test_hypothesis_concatenated_tracefiles_sum_like_lcov_add(files: list[FileCoverage]) -> None:
    report = CoverageReport("lcov", "lines", percent.LCOV, {f.path: f for f in files})
    text = write(report)
    doubled = parse(text + text)
    for path, f in report.files.items():
        g = doubled.files[path]
        assert dict(g.lines) == {k: min(2 * v, MAX_COUNT) for k, v in f.lines.items_sorted()}
        assert g.branches == f.branches  # same branches taken: covered counts unchanged
        assert g.function_totals() == f.function_totals()
