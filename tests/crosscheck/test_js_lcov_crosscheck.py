"""Istanbul, LCOV and Clover: coverhub's numbers against what the real tools print.

The data in tests/data/js/ and tests/data/lcov/ was produced by scripts/testdata/js_lcov.sh: the own
tape test suite of the npm package minimist@1.2.8, run under c8 10.1.3 (V8 coverage) and nyc 17.1.0
(Istanbul instrumentation) with the reporters json, json-summary, lcov, clover, cobertura and
text-summary; the suite in two halves under nyc (raw ``.nyc_output`` files and ``nyc report``'s own
merge of them); and ``lcov --summary`` (lcov 1.16, branch coverage on) of the produced tracefiles,
of hand-made edge cases and of the merge ``lcov -a a.info -a b.info``.

Expected figures are parsed from the tools' recorded text output, never from ours. The slow test
regenerates everything live in a temporary directory and checks the live output the same way; if
node, npm or lcov are missing it fails with a message saying what to install.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app.coverage import percent
from app.coverage.model import Counts, CoverageReport
from app.coverage.parsers import clover, istanbul, lcov
from app.coverage.writers.lcov import write

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
SCRIPT = REPO / "scripts" / "testdata" / "js_lcov.sh"

_TEXT_ROW = re.compile(
    r"^(Statements|Branches|Functions|Lines)\s+: (\S+)% \( (\d+)/(\d+) \)(?:, \d+ ignored)?$"
)
_LCOV_ROW = re.compile(
    r"^  (lines|functions|branches)\.+: (?:(\S+)% \((\d+) of (\d+) \w+\)|(no data found))$"
)


def istanbul_text_summary(path: Path) -> dict[str, tuple[str, Counts]]:
    """{"Statements": ("96.52", Counts(139, 144)), ...} from a recorded text-summary."""
    rows: dict[str, tuple[str, Counts]] = {}
    for line in path.read_text().splitlines():
        m = _TEXT_ROW.match(line)
        if m:
            rows[m[1]] = (m[2], Counts(int(m[3]), int(m[4])))
    assert set(rows) == {"Statements", "Branches", "Functions", "Lines"}, path
    return rows


def lcov_summary(path: Path) -> dict[str, tuple[str, Counts] | None]:
    """{"lines": ("98.5", Counts(130, 132)), "functions": None (no data found), ...}."""
    rows: dict[str, tuple[str, Counts] | None] = {}
    for line in path.read_text().splitlines():
        m = _LCOV_ROW.match(line)
        if m:
            rows[m[1]] = None if m[5] else (m[2], Counts(int(m[3]), int(m[4])))
    assert set(rows) == {"lines", "functions", "branches"}, path
    return rows


def ours_as_lcov_rows(report: CoverageReport) -> dict[str, tuple[str, Counts] | None]:
    functions = Counts()
    for f in report.files.values():
        functions = functions + f.function_totals()
    lines = report.line_totals()
    out: dict[str, tuple[str, Counts] | None] = {}
    for key, counts in (
        ("lines", Counts(lines.covered, lines.total)),
        ("functions", functions),
        ("branches", report.branch_totals()),
    ):
        shown = percent.LCOV.display(counts.covered, counts.total).removesuffix("%")
        out[key] = (shown, counts) if counts.total else None
    return out


def parse_lcov(*paths: Path) -> CoverageReport:
    data = b"".join(p.read_bytes() for p in paths)
    return lcov.parse(io.BytesIO(data), "+".join(p.name for p in paths))


def check_istanbul(base: Path, tool: str) -> None:
    expected = istanbul_text_summary(base / "js" / tool / "text-summary.txt")
    final = base / "js" / tool / "coverage-final.json"
    report = istanbul.parse(io.BytesIO(final.read_bytes()), str(final))
    m = istanbul.metrics(report)
    ours = {
        "Statements": m.statements,
        "Branches": m.branches,
        "Functions": m.functions,
        "Lines": m.lines,
    }
    for key, (shown, counts) in expected.items():
        assert ours[key] == counts, (tool, key)
        assert percent.ISTANBUL.display(counts.covered, counts.total) == shown + "%", (tool, key)
    # The headline (native unit: statements) exactly as the text summary prints it.
    assert report.unit == "statements"
    assert report.native_display() == expected["Statements"][0] + "%"
    assert istanbul.text_summary(report).splitlines() == [
        line
        for line in (base / "js" / tool / "text-summary.txt").read_text().splitlines()
        if _TEXT_ROW.match(line)
    ]

    summary_path = base / "js" / tool / "coverage-summary.json"
    summary = istanbul.parse_summary(io.BytesIO(summary_path.read_bytes()), str(summary_path))
    assert summary.native_totals() == expected["Statements"][1]
    assert summary.native_display() == report.native_display()
    assert {p: f.native for p, f in summary.files.items()} == {
        p: f.native for p, f in report.files.items()
    }
    per_metric = istanbul.summary_metrics(io.BytesIO(summary_path.read_bytes()), "summary")
    total = per_metric["total"]
    assert (total.statements, total.branches, total.functions, total.lines) == (
        expected["Statements"][1],
        expected["Branches"][1],
        expected["Functions"][1],
        expected["Lines"][1],
    )


def check_clover(base: Path, tool: str) -> None:
    """Istanbul's clover.xml: lines = Istanbul lines, methods = functions, TPC from its metrics."""
    expected = istanbul_text_summary(base / "js" / tool / "text-summary.txt")
    path = base / "js" / tool / "clover.xml"
    report = clover.parse(io.BytesIO(path.read_bytes()), str(path))
    lines = report.line_totals()
    assert Counts(lines.covered, lines.total) == expected["Lines"][1]
    project = ET.parse(path).getroot().find("project/metrics")
    assert project is not None
    tool_tpc = Counts(int(project.get("coveredelements", "")), int(project.get("elements", "")))
    assert report.native_totals() == tool_tpc
    # Istanbul counts TPC elements as lines + branches + functions.
    assert tool_tpc == Counts(
        expected["Lines"][1].covered
        + expected["Branches"][1].covered
        + expected["Functions"][1].covered,
        expected["Lines"][1].total + expected["Branches"][1].total + expected["Functions"][1].total,
    )


def check_lcov(base: Path) -> None:
    lc = base / "lcov"
    cases = {
        "summary_nyc.txt": [base / "js" / "nyc" / "lcov.info"],
        "summary_c8.txt": [base / "js" / "c8" / "lcov.info"],
        "summary_a.txt": [lc / "a.info"],
        "summary_b.txt": [lc / "b.info"],
        # lcov's merge, read back, and our own merge of the two halves
        "summary_merged.txt": [lc / "merged.info"],
        "summary_edge_clamp_high.txt": [lc / "edge_clamp_high.info"],
        "summary_edge_clamp_low.txt": [lc / "edge_clamp_low.info"],
        "summary_edge_merge.txt": [lc / "edge_merge.info"],
    }
    for summary_name, inputs in cases.items():
        expected = lcov_summary(lc / summary_name)
        assert ours_as_lcov_rows(parse_lcov(*inputs)) == expected, summary_name
    merged = lcov_summary(lc / "summary_merged.txt")
    assert ours_as_lcov_rows(parse_lcov(lc / "a.info", lc / "b.info")) == merged
    assert ours_as_lcov_rows(parse_lcov(lc / "b.info", lc / "a.info")) == merged
    # The Istanbul lcov reporter and the Istanbul numbers agree (lines, functions, branches).
    nyc = istanbul_text_summary(base / "js" / "nyc" / "text-summary.txt")
    rows = lcov_summary(lc / "summary_nyc.txt")
    assert rows["lines"] is not None and rows["lines"][1] == nyc["Lines"][1]
    # Our LCOV writer's output reads back to lcov's own figures.
    report = parse_lcov(lc / "a.info", lc / "b.info")
    again = lcov.parse(io.BytesIO(write(report).encode()), "written")
    assert ours_as_lcov_rows(again) == merged


def check_nyc_merge(base: Path) -> None:
    halves = sorted((base / "js" / "nyc_halves").glob("*.json"))
    assert len(halves) >= 2
    expected = istanbul_text_summary(base / "js" / "nyc_halves" / "text-summary-merged.txt")
    for order in (halves, list(reversed(halves))):
        report = istanbul.parse_many([(io.BytesIO(p.read_bytes()), p.name) for p in order])
        m = istanbul.metrics(report)
        assert m.statements == expected["Statements"][1]
        assert m.branches == expected["Branches"][1]
        assert m.functions == expected["Functions"][1]
        assert m.lines == expected["Lines"][1]
        assert report.native_display() == expected["Statements"][0] + "%"


def check_all(base: Path) -> None:
    for tool in ("c8", "nyc"):
        check_istanbul(base, tool)
        check_clover(base, tool)
    check_lcov(base)
    check_nyc_merge(base)


@pytest.mark.unit
def test_recorded_istanbul_c8() -> None:
    check_istanbul(DATA, "c8")


@pytest.mark.unit
def test_recorded_istanbul_nyc() -> None:
    check_istanbul(DATA, "nyc")


@pytest.mark.unit
def test_recorded_clover_from_istanbul() -> None:
    check_clover(DATA, "c8")
    check_clover(DATA, "nyc")


@pytest.mark.unit
def test_recorded_lcov_summary_and_merge() -> None:
    check_lcov(DATA)


@pytest.mark.unit
def test_recorded_nyc_report_merge_of_nyc_output_files() -> None:
    check_nyc_merge(DATA)


@pytest.mark.unit
def test_recorded_figures_are_the_expected_ones() -> None:
    """Pin a few figures so that a bad regeneration cannot go unnoticed."""
    nyc = istanbul_text_summary(DATA / "js" / "nyc" / "text-summary.txt")
    assert nyc["Statements"] == ("96.52", Counts(139, 144))
    assert nyc["Lines"] == ("98.48", Counts(130, 132))
    assert lcov_summary(DATA / "lcov" / "summary_edge_clamp_high.txt")["lines"] == (
        "99.9",
        Counts(1999, 2000),
    )
    assert lcov_summary(DATA / "lcov" / "summary_edge_clamp_low.txt")["lines"] == (
        "0.1",
        Counts(1, 3000),
    )
    assert lcov_summary(DATA / "lcov" / "summary_edge_clamp_low.txt")["functions"] is None


@pytest.mark.slow
def test_live_regeneration_matches_our_parsers(tmp_path: Path) -> None:
    missing = [tool for tool in ("node", "npm", "lcov") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: this cross-check runs c8/nyc under node and lcov; "
            "install them with: apt-get install -y nodejs npm lcov"
        )
    result = subprocess.run(
        ["bash", str(SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr[-4000:]
    check_all(tmp_path)
