"""Patch coverage by diff-cover's rules (figures worked out by hand in the comments)."""

from __future__ import annotations

from app.coverage import percent
from app.coverage.diff import parse_diff
from app.coverage.model import Counts, CoverageReport, FileCoverage, LineHits
from app.coverage.patch import patch_coverage


def report(files: dict[str, dict[int, int]], branches=None) -> CoverageReport:
    branches = branches or {}
    return CoverageReport(
        format="cobertura",
        unit="lines",
        rule=percent.DisplayRule("cobertura", 1),
        files={
            path: FileCoverage(
                path,
                LineHits.from_mapping(lines),
                branches=branches.get(path, {}),
                native=Counts(sum(1 for h in lines.values() if h), len(lines)),
            )
            for path, lines in files.items()
        },
    )


def added(path: str, lines: list[int]) -> str:
    # one hunk per line so that any set of line numbers can be expressed
    hunks = "".join(f"@@ -0,0 +{n} @@\n+x\n" for n in lines)
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n{hunks}"


def test_one_file_figures():
    # measured lines 1..6, hits 0 on 2 and 5; diff adds 2, 3, 5, 7 (7 is not measured):
    # measured changed = {2, 3, 5} (3 lines), violations = {2, 5} -> covered 1 of 3,
    # 1/3*100 = 33.33.. -> diff-cover prints int() = "33%".
    r = report({"a.py": {1: 1, 2: 0, 3: 4, 4: 1, 5: 0, 6: 1}})
    result = patch_coverage([r], parse_diff(added("a.py", [2, 3, 5, 7])))
    assert result.to_json() == {
        "percent": 1 / 3 * 100,
        "display": "33%",
        "lines": {"covered": 1, "total": 3},
        "files": [{"path": "a.py", "covered": 1, "total": 3, "missing": [2, 5]}],
        "not_measured": [],
    }


def test_percent_is_computed_in_diff_cover_order_and_truncated():
    # 193 of 196 (the DESIGN example): float(193)/196*100 = 98.46938775510205 -> "98%".
    lines = dict.fromkeys(range(1, 197), 1)
    for n in (5, 60, 172):
        lines[n] = 0
    r = report({"pkg/a.py": lines})
    result = patch_coverage([r], parse_diff(added("pkg/a.py", list(range(1, 197)))))
    assert (result.covered, result.total) == (193, 196)
    assert result.percent == float(193) / 196 * 100
    assert result.display == "98%"
    # 2 of 3 is 66.666..: truncated, not rounded
    r2 = report({"b.py": {1: 1, 2: 1, 3: 0}})
    assert patch_coverage([r2], parse_diff(added("b.py", [1, 2, 3]))).display == "66%"


def test_files_without_measured_changes_are_left_out_and_unknown_files_listed():
    # c.py: only line 9 changed and the report does not measure it -> left out entirely.
    # big.bin / docs.md: in the diff, no data -> "not measured". gone.py: deleted -> neither.
    text = (
        added("c.py", [9])
        + "diff --git a/big.bin b/big.bin\nindex 1..2 100644\n"
        + "Binary files a/big.bin and b/big.bin differ\n"
        + added("docs.md", [1])
        + "diff --git a/gone.py b/gone.py\ndeleted file mode 100644\n--- a/gone.py\n"
        + "+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
    )
    r = report({"c.py": {1: 0}, "gone.py": {1: 0}})
    result = patch_coverage([r], parse_diff(text))
    assert result.files == ()
    assert result.not_measured == ("big.bin", "docs.md")
    # nothing measured: diff-cover reports 100
    assert (result.percent, result.display) == (100.0, "100%")


def test_several_reports_union_of_measured_intersection_of_violations():
    # report A: x.py lines 1 (0 hits), 2 (0 hits); report B: x.py lines 2 (5 hits), 3 (0 hits).
    # diff adds 1, 2, 3. measured = {1,2} U {2,3} = {1,2,3}.
    # violations: A says {1,2}, B says {3}; intersection = {} -> all 3 covered (diff-cover's rule,
    # which calls line 1 covered although only A measures it and A says it never ran).
    a = report({"x.py": {1: 0, 2: 0}})
    b = report({"x.py": {2: 5, 3: 0}})
    diff = parse_diff(added("x.py", [1, 2, 3]))
    result = patch_coverage([a, b], diff)
    assert (result.covered, result.total, result.files[0].missing) == (3, 3, ())
    # a report without the file does not narrow the violations
    c = report({"other.py": {1: 1}})
    result = patch_coverage([a, c], diff)
    assert (result.covered, result.total, result.files[0].missing) == (0, 2, (1, 2))


def test_branch_coverage_option_counts_partial_lines():
    # line 2 ran but took 1 of 2 branches: a violation only with branch_coverage (diff-cover
    # --branch-coverage), never otherwise.
    r = report({"b.py": {1: 1, 2: 3}}, branches={"b.py": {2: (1, 2)}})
    diff = parse_diff(added("b.py", [1, 2]))
    assert patch_coverage([r], diff).files[0].missing == ()
    assert patch_coverage([r], diff, branch_coverage=True).files[0].missing == (2,)


def test_files_sorted_case_insensitively_like_diff_cover():
    r = report({"B.py": {1: 1}, "a.py": {1: 1}, "c.py": {1: 0}})
    text = added("c.py", [1]) + added("B.py", [1]) + added("a.py", [1])
    result = patch_coverage([r], parse_diff(text))
    assert [f.path for f in result.files] == ["a.py", "B.py", "c.py"]
    assert result.files[0].percent == 100.0
    assert result.files[2].percent == 0.0


def test_totals_only_reports_do_not_clear_violations():
    r = report({"a.py": {1: 0, 2: 1}})
    html = CoverageReport(
        "coveragepy-html", "statements+branches", percent.coveragepy(0),
        {"a.py": FileCoverage("a.py", native=Counts(1, 2))}, None, Counts(1, 2),
    )  # fmt: skip
    diff = parse_diff(added("a.py", [1, 2]))
    assert patch_coverage([r, html], diff).files[0].missing == (1,)
    assert patch_coverage([html], diff).not_measured == ("a.py",)
