"""Merging: each format's rules, worked examples, and algebraic properties (hypothesis)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.coverage import parsers, percent
from app.coverage.errors import IncompatibleReports
from app.coverage.merge import MIXED, dedupe, merge
from app.coverage.model import MAX_COUNT, Counts, CoverageReport, FileCoverage, LineHits
from app.coverage.parsers import parse_bytes

RULES = {
    "lcov": ("lines", percent.LCOV),
    "cobertura": ("lines", percent.DisplayRule("cobertura", 2)),
    "coveragepy-json": ("statements+branches", percent.coveragepy(0)),
    "jacoco": ("instructions", percent.JACOCO),
}


def make(fmt: str, files: dict[str, dict[int, int]], branches=None, native=None) -> CoverageReport:
    unit, rule = RULES[fmt]
    branches = branches or {}
    native = native or {}
    out = {}
    for path, lines in files.items():
        hits = LineHits.from_mapping(lines)
        br = branches.get(path, {})
        default = Counts(hits.covered_count(), len(hits))
        if fmt == "coveragepy-json":
            default = Counts(
                default.covered + sum(c for c, _ in br.values()),
                default.total + sum(t for _, t in br.values()),
            )
        out[path] = FileCoverage(path, hits, branches=br, native=native.get(path, default))
    return CoverageReport(format=fmt, unit=unit, rule=rule, files=out)


def line_data(report: CoverageReport) -> dict:
    return {
        path: (dict(f.lines.items_sorted()), dict(f.branches)) for path, f in report.files.items()
    }


# --------------------------------------------------------------------------------------------
# worked examples


def test_lcov_sums_hits_and_recomputes_lines_native():
    a = make("lcov", {"a.c": {1: 2, 2: 0, 3: 1}}, branches={"a.c": {1: (1, 2)}})
    b = make("lcov", {"a.c": {2: 0, 3: 4, 4: 1}, "b.c": {1: 0}}, branches={"a.c": {1: (2, 2)}})
    m = merge([a, b])
    assert m.format == "lcov"
    # a.c: 1 -> 2, 2 -> 0+0, 3 -> 1+4, 4 -> 1; branches max (2, 2)
    assert line_data(m)["a.c"] == ({1: 2, 2: 0, 3: 5, 4: 1}, {1: (2, 2)})
    # native = lines: a.c 3 of 4 covered, b.c 0 of 1 -> 3 of 5 = 60.0% by genhtml's rule
    assert m.files["a.c"].native == Counts(3, 4)
    assert m.native_totals() == Counts(3, 5)
    assert m.native_display() == "60.0%"


def test_sum_saturates():
    a = make("cobertura", {"x": {1: MAX_COUNT - 1}})
    b = make("cobertura", {"x": {1: 5}})
    assert merge([a, b]).files["x"].lines[1] == MAX_COUNT


def test_coveragepy_is_a_union_of_executed_lines():
    # line 1 ran in a only, line 2 in b only, line 3 in neither; branch on 1: max (1,2)/(2,2)
    a = make("coveragepy-json", {"m.py": {1: 1, 2: 0, 3: 0}}, branches={"m.py": {1: (1, 2)}})
    b = make("coveragepy-json", {"m.py": {1: 0, 2: 1, 3: 0}}, branches={"m.py": {1: (2, 2)}})
    m = merge([a, b])
    assert line_data(m)["m.py"] == ({1: 1, 2: 1, 3: 0}, {1: (2, 2)})
    # native = (2 statements + 2 branches) / (3 + 2) = 4/5 -> coverage.py prints 80%
    assert m.native_totals() == Counts(4, 5)
    assert m.native_display() == "80%"


def test_units_not_derived_from_lines_keep_the_larger_counts():
    a = make("jacoco", {"A.java": {1: 1}}, native={"A.java": Counts(10, 40)})
    b = make("jacoco", {"A.java": {1: 0}, "B.java": {1: 1}}, native={"A.java": Counts(25, 40)})
    m = merge([a, b])
    assert m.files["A.java"].native == Counts(25, 40)
    assert m.files["B.java"].native == Counts(1, 1)


def test_mixed_formats_take_the_largest_hits_and_count_lines():
    a = make("lcov", {"a.c": {1: 7, 2: 0}})
    b = make("coveragepy-json", {"a.c": {2: 1, 3: 0}, "p.py": {1: 1}})
    m = merge([a, b])
    assert m.format == MIXED and m.unit == "lines"
    assert line_data(m)["a.c"] == ({1: 7, 2: 1, 3: 0}, {})
    # lines: a.c 2 of 3, p.py 1 of 1 -> 3 of 4, shown with two decimals
    assert m.native_totals() == Counts(3, 4)
    assert m.native_display() == "75.00%"


def test_go_profiles_merge_by_go_rules():
    one = b"mode: count\nexample.com/m/a.go:3.10,5.2 2 1\nexample.com/m/a.go:6.2,8.3 3 0\n"
    two = b"mode: count\nexample.com/m/a.go:3.10,5.2 2 4\nexample.com/m/a.go:6.2,8.3 3 2\n"
    m = merge([parse_bytes(one, "one.out"), parse_bytes(two, "two.out")])
    assert m.format == "gocover" and m.mode == "count"
    blocks = {b.key: b.count for b in m.files["example.com/m/a.go"].blocks or ()}
    assert blocks == {(3, 10, 5, 2): 5, (6, 2, 8, 3): 2}
    # every statement ran: 5 of 5 -> go prints 100.0%
    assert m.native_display() == "100.0%"


def test_summary_only_reports():
    a = CoverageReport("istanbul-summary", "lines", percent.ISTANBUL, {}, None, Counts(3, 4))
    b = CoverageReport("istanbul-summary", "lines", percent.ISTANBUL, {}, None, Counts(1, 4))
    assert merge([a, b]).native_totals() == Counts(4, 8)
    c = make("lcov", {"a.c": {1: 1}})
    with pytest.raises(IncompatibleReports, match="carries only totals"):
        merge([a, c])


def test_nothing_to_merge():
    with pytest.raises(IncompatibleReports, match="no report to merge"):
        merge([])


# --------------------------------------------------------------------------------------------
# properties

PATHS = st.sampled_from(["a.c", "b.c", "dir/c.c", "d.py"])


@st.composite
def reports(draw, fmt: str) -> CoverageReport:
    files: dict[str, dict[int, int]] = {}
    branches: dict[str, dict[int, tuple[int, int]]] = {}
    for path in draw(st.sets(PATHS, max_size=3)):
        lines = draw(
            st.dictionaries(
                st.integers(1, 40),
                st.integers(0, 1) if fmt == "coveragepy-json" else st.integers(0, 9),
                max_size=12,
            )
        )
        files[path] = lines
        br: dict[int, tuple[int, int]] = {}
        for line in draw(st.sets(st.sampled_from(sorted(lines)), max_size=3)) if lines else ():
            total = draw(st.integers(1, 4))
            br[line] = (draw(st.integers(0, total)), total)
        branches[path] = br
    return make(fmt, files, branches)


FORMATS = st.sampled_from(["lcov", "coveragepy-json"])


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_merge_is_commutative_and_associative(data):
    fmt = data.draw(FORMATS)
    a, b, c = (data.draw(reports(fmt)) for _ in range(3))
    assert line_data(merge([a, b])) == line_data(merge([b, a]))
    left = merge([merge([a, b]), c])
    right = merge([a, merge([b, c])])
    flat = merge([a, b, c])
    assert line_data(left) == line_data(right) == line_data(flat)
    assert left.native_totals() == right.native_totals() == flat.native_totals()


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_mixed_merge_is_commutative_and_associative(data):
    a = data.draw(reports("lcov"))
    b = data.draw(reports("coveragepy-json"))
    c = data.draw(reports("lcov"))
    assert line_data(merge([a, b])) == line_data(merge([b, a]))
    assert line_data(merge([merge([a, b]), c])) == line_data(merge([a, merge([b, c])]))


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_empty_report_is_the_identity(data):
    fmt = data.draw(FORMATS)
    a = data.draw(reports(fmt))
    empty = make(fmt, {})
    for merged in (merge([a, empty]), merge([empty, a])):
        assert line_data(merged) == line_data(a)
        assert merged.native_totals() == a.native_totals()
        assert merged.line_totals() == a.line_totals()


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_totals_add_up_for_disjoint_files(data):
    fmt = data.draw(FORMATS)
    a = data.draw(reports(fmt))
    b = data.draw(reports(fmt))
    b = make(fmt, {p: dict(f.lines.items_sorted()) for p, f in b.files.items() if p not in a.files})
    m = merge([a, b])
    assert m.line_totals() == a.line_totals() + b.line_totals()
    assert m.native_totals() == a.native_totals() + b.native_totals()
    assert m.branch_totals() == a.branch_totals() + b.branch_totals()


# --------------------------------------------------------------------------------------------
# against the real tools' own merges (recorded in tests/data)

DATA = Path(__file__).resolve().parents[2] / "data"


def test_lcov_merge_equals_lcov_add_tracefile():
    # `lcov -a a.info -a b.info` (lcov 1.16, summary_merged.txt): lines 98.5% (130 of 132),
    # branches 139 of 145. Each alone: 112 of 132 and 120 of 132 lines.
    a = parse_bytes((DATA / "lcov/a.info").read_bytes(), "a.info")
    b = parse_bytes((DATA / "lcov/b.info").read_bytes(), "b.info")
    assert a.native_totals() == Counts(112, 132)
    m = merge([a, b])
    assert m.native_totals() == Counts(130, 132)
    assert m.native_display() == "98.5%"
    assert m.branch_totals() == Counts(139, 145)
    tool = parse_bytes((DATA / "lcov/merged.info").read_bytes(), "merged.info")
    assert line_data(m) == line_data(tool)


def test_istanbul_inputs_merge_at_istanbul_level():
    # nyc 17 over three .nyc_output files (text-summary-merged.txt): Statements 96.52%
    # (139/144), Branches 139/145, Lines 130/132.
    tree = MemTree(
        {n: (DATA / "js/nyc_halves" / n).read_bytes() for n in ("a1.json", "a2.json", "b1.json")}
    )
    found = parsers.find_in_tree(tree)
    assert [f.format for f in found] == ["istanbul"] * 3
    ((label, report),) = parsers.parse_group([(tree, f) for f in found])
    assert label == "mem:a1.json"
    assert report.native_totals() == Counts(139, 144)
    assert report.native_display() == "96.52%"
    assert report.branch_totals() == Counts(139, 145)
    lines = report.line_totals()
    assert (lines.covered, lines.total) == (130, 132)


class MemTree:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def names(self):
        return sorted(self.files)

    def open(self, name):
        return io.BytesIO(self.files[name])

    def label(self):
        return "mem"


def test_dedupe_keeps_one_report_per_run():
    lines = {"m.py": {1: 1, 2: 0}}
    xml = make("cobertura", lines)
    js = make("coveragepy-json", lines)
    html = CoverageReport(
        "coveragepy-html",
        "statements+branches",
        percent.coveragepy(0),
        {"m.py": FileCoverage("m.py", native=Counts(1, 2))},
        None,
        Counts(1, 2),
    )
    other = make("cobertura", {"m.py": {1: 1, 2: 1}})
    # the JSON is the richest of the three copies of one run; another run stays
    assert dedupe([xml, html, js, other]) == [js, other]
    # a totals-only report listing a file no per-line report has is not a repeat
    lone = CoverageReport(
        "coveragepy-html", "statements+branches", percent.coveragepy(0),
        {"z.py": FileCoverage("z.py", native=Counts(1, 1))}, None, Counts(1, 1),
    )  # fmt: skip
    assert dedupe([xml, lone]) == [xml, lone]


def test_dedupe_never_drops_a_report_of_the_same_format():
    a = make("lcov", {"m.c": {1: 2}})
    assert dedupe([a, a]) == [a, a]
    assert merge(dedupe([a, a])).files["m.c"].lines[1] == 4
