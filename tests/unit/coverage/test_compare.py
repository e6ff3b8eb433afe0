"""Head vs base comparison: deltas, added/removed files, renames, indirect changes."""

from __future__ import annotations

from fractions import Fraction

from app.coverage import percent
from app.coverage.compare import CHANGED, UNCHANGED, compare
from app.coverage.diff import parse_diff
from app.coverage.model import Counts, CoverageReport, FileCoverage, LineHits


def go_like(
    files: dict[str, tuple[dict[int, int], Counts]], fmt: str = "gocover"
) -> CoverageReport:
    return CoverageReport(
        fmt,
        "statements",
        percent.GO,
        {
            p: FileCoverage(p, LineHits.from_mapping(lines), native=n)
            for p, (lines, n) in files.items()
        },
    )


BASE = go_like(
    {
        "a.go": ({1: 1, 2: 0}, Counts(1, 2)),
        "b.go": ({1: 1}, Counts(3, 3)),
        "old.go": ({1: 0}, Counts(0, 4)),
        "lib.go": ({1: 1, 2: 1}, Counts(2, 2)),
        "same.go": ({1: 1}, Counts(1, 1)),
    }
)
HEAD = go_like(
    {
        "a.go": ({1: 1, 2: 1}, Counts(2, 2)),  # edited by the diff, now covered
        "b.go": ({1: 0}, Counts(0, 3)),  # not in the diff, coverage dropped: indirect
        "new_lib.go": ({1: 1, 2: 0}, Counts(1, 2)),  # renamed from lib.go
        "fresh.go": ({1: 1}, Counts(5, 5)),  # added
        "same.go": ({1: 1}, Counts(1, 1)),
    }
)
DIFF = parse_diff(
    "diff --git a/a.go b/a.go\n--- a/a.go\n+++ b/a.go\n@@ -2 +2 @@\n-x\n+y\n"
    "diff --git a/lib.go b/new_lib.go\nsimilarity index 90%\nrename from lib.go\n"
    "rename to new_lib.go\n--- a/lib.go\n+++ b/new_lib.go\n@@ -2 +2 @@\n-p\n+q\n"
    "diff --git a/fresh.go b/fresh.go\nnew file mode 100644\n--- /dev/null\n+++ b/fresh.go\n"
    "@@ -0,0 +1 @@\n+z\n"
    "diff --git a/old.go b/old.go\ndeleted file mode 100644\n--- a/old.go\n+++ /dev/null\n"
    "@@ -1 +0,0 @@\n-o\n"
)


def test_totals_and_per_file_deltas():
    c = compare(HEAD, BASE, DIFF.changed_paths(), DIFF.renames())
    # base native: 1+3+0+2+1 = 7 of 2+3+4+2+1 = 12; head: 2+0+1+5+1 = 9 of 2+3+2+5+1 = 13
    assert (c.base.native, c.head.native) == (Counts(7, 12), Counts(9, 13))
    assert c.native_delta == (Fraction(9, 13) - Fraction(7, 12)) * 100
    # unified lines: base a 1/2, b 1/1, old 0/1, lib 2/2, same 1/1 = 5 hits of 7 lines;
    # head a 2/2, b 0/1, new_lib 1/2, fresh 1/1, same 1/1 = 5 of 7: no change in total
    assert (c.base.lines.hits, c.base.lines.total) == (5, 7)
    assert (c.head.lines.hits, c.head.lines.total) == (5, 7)
    assert c.unified_delta == 0
    by_path = {d.path: d for d in c.files}
    assert by_path["a.go"].status == CHANGED
    assert by_path["a.go"].native_delta == Fraction(50)
    assert by_path["same.go"].status == UNCHANGED
    assert by_path["same.go"].native_delta == 0
    assert c.added == ("fresh.go",)
    assert c.removed == ("old.go",)
    assert by_path["new_lib.go"].base_path == "lib.go"
    assert by_path["new_lib.go"].native_delta == Fraction(-50)
    assert c.renamed == {"new_lib.go": "lib.go"}


def test_indirect_changes_are_untouched_files_whose_coverage_moved():
    c = compare(HEAD, BASE, DIFF.changed_paths(), DIFF.renames())
    assert c.indirect == ("b.go",)
    assert compare(HEAD, BASE).indirect == ()


def test_native_delta_needs_the_same_format():
    other = go_like({"a.go": ({1: 1, 2: 0}, Counts(1, 2))}, fmt="cobertura")
    c = compare(HEAD, other)
    assert not c.native_comparable
    assert c.native_delta is None
    assert c.unified_delta is not None
