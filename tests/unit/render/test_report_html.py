"""The generated HTML report (pure): totals in the tool's own display and the labelled unified
metric, the hierarchical tree with percentages, per-file line status, and escaping of hostile
names from untrusted uploads."""

from __future__ import annotations

import re

import pytest

from app.coverage.model import Counts, CoverageReport, FileCoverage, LineHits
from app.coverage.percent import GO, DisplayRule, coveragepy
from app.render.html import file_page_name, line_status, ranges, render_file, render_index


def f(
    path: str,
    hits: dict[int, int],
    branches: dict[int, tuple[int, int]] | None = None,
    package: str | None = None,
) -> FileCoverage:
    covered = sum(1 for h in hits.values() if h > 0)
    return FileCoverage(
        path=path,
        lines=LineHits.from_mapping(hits),
        branches=branches or {},
        native=Counts(covered, len(hits)),
        package=package,
    )


COVERAGEPY = coveragepy(1)


def report(
    *files: FileCoverage,
    rule: DisplayRule = COVERAGEPY,
    fmt: str = "coveragepy-json",
    unit: str = "statements",
) -> CoverageReport:
    return CoverageReport(format=fmt, unit=unit, rule=rule, files={x.path: x for x in files})


def rows(page: str) -> list[tuple[str, str, str]]:
    """(class, name, native %) of each tree row."""
    found = re.findall(
        r'<tr class="(\w+)">\s*<td class="name"[^>]*>(?:<a href="[^"]*">)?([^<]*)(?:</a>)?</td>\s*'
        r'<td class="num">([^<]*)</td>',
        page,
    )
    return [(k, n, p) for k, n, p in found]


def test_index_has_totals_native_and_labelled_unified() -> None:
    r = report(f("src/a.py", {1: 1, 2: 1, 3: 0}, {2: (1, 2)}), f("src/b/c.py", {1: 1}))
    page = render_index(r, title="acme/app commit abc", subtitle="generated")
    assert '<strong id="native">75.0%</strong> (3 of 4)' in page  # coverage.py's own display
    # unified = hits / (hits + partials + misses) = 2 / 4, labelled as such
    assert "Unified (lines: hits / (hits + partials + misses), as Codecov)" in page
    assert '<span id="unified">50.00%</span> (2 hit, 1 partial, 1 missed)' in page
    assert "Branches</dt><dd>1 of 2" in page


def test_tree_by_directory_nests_and_sums() -> None:
    r = report(f("src/a.py", {1: 1, 2: 0}), f("src/b/c.py", {1: 1}), f("top.py", {1: 0}))
    page = render_index(r, title="t", subtitle="s")
    assert "By directory" in page
    assert rows(page) == [
        ("directory", "src/", "66.7%"),
        ("directory", "b/", "100.0%"),
        ("file", "c.py", "100.0%"),
        ("file", "a.py", "50.0%"),
        ("file", "top.py", "0.0%"),
    ]
    assert 'href="files/src/b/c.py.html"' in page


def test_tree_by_package_when_the_format_has_packages() -> None:
    r = report(
        f("x/a.go", {1: 1, 2: 1}, package="example.com/x"),
        f("y/b.go", {1: 0}, package="example.com/y"),
        rule=GO,
        fmt="gocover",
    )
    page = render_index(r, title="t", subtitle="s")
    assert "By package" in page
    assert [row[:2] for row in rows(page)] == [
        ("package", "example.com/x/"),
        ("file", "a.go"),
        ("package", "example.com/y/"),
        ("file", "b.go"),
    ]
    assert ("package", "example.com/x/", "100.0%") in rows(page)


def test_file_page_lists_covered_partial_and_missed_lines() -> None:
    r = report(f("src/pkg/m.py", {1: 1, 2: 5, 3: 0, 4: 0, 6: 0, 7: 2}, {2: (1, 2), 7: (2, 2)}))
    page = render_file(r, "src/pkg/m.py", title="acme/app", subtitle="s")
    assert '<dd id="missed">3-4, 6</dd>' in page
    assert '<dd id="partial">2</dd>' in page
    assert '<tr class="partial" id="L2"><td class="num">2</td><td class="num">5</td>' in page
    assert '<tr class="covered" id="L7">' in page and "2/2" in page
    assert '<a href="../../../">' in page  # files/src/pkg/m.py.html -> the index
    assert [ln.status for ln in line_status(r.files["src/pkg/m.py"])] == [
        "covered",
        "partial",
        "missed",
        "missed",
        "missed",
        "covered",
    ]


def test_hostile_names_are_escaped_and_quoted() -> None:
    evil = 'src/<script>alert("x")</script> #?.py'
    r = report(f(evil, {1: 1}))
    index = render_index(r, title="<b>t</b>", subtitle="s")
    assert "<script>" not in index and "<b>t</b>" not in index
    assert "&lt;script&gt;" in index
    href = file_page_name(evil)
    assert href == "files/src/%3Cscript%3Ealert%28%22x%22%29%3C/script%3E%20%23%3F.py.html"
    page = render_file(r, evil, title="t", subtitle="s")
    assert "<script>" not in page


def test_unknown_file_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        render_file(report(f("a.py", {1: 1})), "b.py", title="t", subtitle="s")


@pytest.mark.parametrize(
    "numbers, text", [([], ""), ([5], "5"), ([1, 2, 3], "1-3"), ([1, 2, 4, 6, 7], "1-2, 4, 6-7")]
)
def test_ranges(numbers: list[int], text: str) -> None:
    assert ranges(numbers) == text
