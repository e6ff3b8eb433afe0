"""Our coverage.py headline equals coverage.py's own, for its JSON, Cobertura XML and HTML outputs.

The expected numbers come from coverage.py only: the TOTAL row of ``coverage report`` (recorded
text, precision 0 and 2) and the unrounded percentage that ``Coverage.report()`` returns. The data
is coverage.py measuring the test suite of six 1.17.0 (a real PyPI package, vendored under
tests/data/coveragepy/six-src) with ``branch = True``; scripts/testdata/coveragepy.py recorded it
with coverage.py 7.17.3, 7.4.4 and 6.5.0. One test regenerates everything live with the installed
coverage.py in a temporary directory.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pytest

from app.coverage.model import CoverageReport
from app.coverage.parsers import cobertura, coveragepy_html, coveragepy_json
from app.coverage.percent import coveragepy

DATA = Path(__file__).resolve().parents[1] / "data" / "coveragepy"
VERSIONS = ("7.17.3", "7.4.4", "6.5.0")
PRECISIONS = (0, 2)

_TOTAL = re.compile(r"^TOTAL\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+(?:\.\d+)?%)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class ToolTotal:
    """The TOTAL row of ``coverage report --branch`` plus the tool's unrounded percentage."""

    statements: int
    missing: int
    branches: int
    partial: int
    display: str
    percent: float

    @property
    def total(self) -> int:
        return self.statements + self.branches

    @property
    def covered(self) -> int:
        # The report prints no missing-branch count; the tool's unrounded percentage pins it.
        covered = round(self.percent * self.total / 100)
        assert (100.0 * covered) / self.total == self.percent
        return covered


def tool_total(report_text: str, percent_text: str) -> ToolTotal:
    match = _TOTAL.search(report_text)
    assert match is not None, f"no TOTAL row in:\n{report_text}"
    return ToolTotal(
        statements=int(match[1]),
        missing=int(match[2]),
        branches=int(match[3]),
        partial=int(match[4]),
        display=match[5],
        percent=float(percent_text),
    )


class DirTree:
    """A SourceTree over a real directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def names(self) -> Sequence[str]:
        return sorted(
            p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file()
        )

    def open(self, name: str) -> BinaryIO:
        return (self.root / name).open("rb")

    def label(self) -> str:
        return str(self.root)


def assert_headline(report: CoverageReport, tool: ToolTotal, precision: int) -> None:
    counts = report.native_totals()
    assert (counts.covered, counts.total) == (tool.covered, tool.total)
    assert report.native_percent() == tool.percent
    assert report.unit == "statements+branches"
    assert report.rule.tool == "coveragepy"
    rule = coveragepy(precision)
    assert rule.display(counts.covered, counts.total) == tool.display


def assert_lines(report: CoverageReport, tool: ToolTotal) -> None:
    """Line-level data of formats that list exactly the statements (XML; JSON >= 7.13.1)."""
    lines = report.line_totals()
    assert (lines.total, lines.total - lines.covered, lines.partial) == (
        tool.statements,
        tool.missing,
        tool.partial,
    )
    assert report.branch_totals().total == tool.branches


def check_outputs(directory: Path, precision: int, *, exact_lines: bool) -> None:
    tool = tool_total(
        (directory / f"report-p{precision}.txt").read_text(),
        (directory / "tool-percent.txt").read_text(),
    )
    with (directory / f"coverage-p{precision}.json").open("rb") as stream:
        from_json = coveragepy_json.parse(stream, "coverage.json")
    assert_headline(from_json, tool, precision)
    assert from_json.rule == coveragepy(precision)
    assert from_json.native_display() == tool.display
    if exact_lines:
        assert_lines(from_json, tool)

    with (directory / "coverage.xml").open("rb") as stream:
        from_xml = cobertura.parse(stream, "coverage.xml")
    assert_headline(from_xml, tool, precision)  # the XML carries no precision: rule at 0
    assert_lines(from_xml, tool)

    from_html = coveragepy_html.parse_tree(DirTree(directory / f"htmlcov-p{precision}"))
    assert_headline(from_html, tool, precision)
    assert from_html.native_display() == tool.display


@pytest.mark.unit
@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("version", VERSIONS)
def test_recorded_outputs_match_coverage_report(version: str, precision: int) -> None:
    # JSON of coverage.py < 7.13.1 lists module docstrings as executed lines (formats.md §4.1).
    check_outputs(DATA / f"v{version}", precision, exact_lines=version == "7.17.3")


@pytest.mark.unit
def test_recorded_figures() -> None:
    """The recorded TOTAL rows themselves, so that a regeneration that changes them is seen."""
    figures = {}
    for version in VERSIONS:
        directory = DATA / f"v{version}"
        for precision in PRECISIONS:
            tool = tool_total(
                (directory / f"report-p{precision}.txt").read_text(),
                (directory / "tool-percent.txt").read_text(),
            )
            figures[version, precision] = (tool.covered, tool.total, tool.display)
    assert figures == {
        ("7.17.3", 0): (373, 665, "56%"),
        ("7.17.3", 2): (373, 665, "56.09%"),
        ("7.4.4", 0): (378, 674, "56%"),
        ("7.4.4", 2): (378, 674, "56.08%"),
        ("6.5.0", 0): (378, 674, "56%"),
        ("6.5.0", 2): (378, 674, "56.08%"),
    }


RC = "[run]\nbranch = True\ninclude = six.py\n\n[report]\nprecision = {precision}\n"
TOOL_PERCENT = (
    "import os, coverage\n"
    "cov = coverage.Coverage()\n"
    "cov.load()\n"
    "with open(os.devnull, 'w') as null:\n"
    "    print(repr(cov.report(file=null)))\n"
)


def _run(work: Path, *args: str) -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COVERAGE_", "PYTEST_")) and k != "PYTHONWARNINGS"
    }
    done = subprocess.run(
        [sys.executable, *args], cwd=work, env=env, capture_output=True, text=True, check=False
    )
    # coverage run exits 1 when one of six's own tests fails on this Python; the data is complete.
    if done.returncode not in (0, 1) or (
        done.returncode == 1 and args[:3] != ("-m", "coverage", "run")
    ):
        pytest.fail(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


@pytest.mark.slow
def test_live_coveragepy_matches(tmp_path: Path) -> None:
    if importlib.util.find_spec("coverage") is None:
        pytest.fail("coverage.py is not installed in the test venv (pip install coverage>=7.6)")
    for name in ("six.py", "test_six.py"):
        shutil.copy(DATA / "six-src" / name, tmp_path / name)
    (tmp_path / ".coveragerc").write_text(RC.format(precision=0))
    _run(
        tmp_path,
        "-m",
        "coverage",
        "run",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "test_six.py",
    )
    for precision in PRECISIONS:
        (tmp_path / ".coveragerc").write_text(RC.format(precision=precision))
        (tmp_path / f"report-p{precision}.txt").write_text(
            _run(tmp_path, "-m", "coverage", "report")
        )
        _run(tmp_path, "-m", "coverage", "json", "-o", f"coverage-p{precision}.json")
        _run(tmp_path, "-m", "coverage", "html", "-d", f"htmlcov-p{precision}")
    _run(tmp_path, "-m", "coverage", "xml", "-o", "coverage.xml")
    (tmp_path / "tool-percent.txt").write_text(_run(tmp_path, "-c", TOOL_PERCENT))
    for precision in PRECISIONS:
        check_outputs(tmp_path, precision, exact_lines=True)
    # A full htmlcov (every page, not the trimmed copy) is detected and read the same way.
    tree = DirTree(tmp_path / "htmlcov-p2")
    assert len(tree.names()) > 5
    assert coveragepy_html.sniff_tree(tree)
    assert cobertura.sniff("coverage.xml", (tmp_path / "coverage.xml").read_bytes()[:4096])
    head = io.BytesIO((tmp_path / "coverage-p2.json").read_bytes()).read(4096)
    assert coveragepy_json.sniff("coverage.json", head)
