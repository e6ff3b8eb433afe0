"""coverage.py JSON reports: every format version, the summary cross-checks, hostile input."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest

from app.coverage.errors import CoverageError, InvalidReport, LimitExceeded
from app.coverage.model import Counts, Function
from app.coverage.parsers import coveragepy_json
from app.coverage.parsers.base import Limits
from app.coverage.percent import coveragepy

pytestmark = pytest.mark.unit

DATA = Path(__file__).resolve().parents[2] / "data" / "coveragepy"
NAME = "artifact/coverage.json"


def summary(covered: int, statements: int, branches: tuple[int, int] | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "covered_lines": covered,
        "num_statements": statements,
        "percent_covered": 0.0,
        "percent_covered_display": "0",
        "missing_lines": statements - covered,
        "excluded_lines": 0,
    }
    if branches is not None:
        out.update(
            num_branches=branches[1],
            num_partial_branches=0,
            covered_branches=branches[0],
            missing_branches=branches[1] - branches[0],
        )
    return out


def sample(display: str = "62.50") -> dict[str, Any]:
    """A format-3 report built the way coverage.py 7.17 writes one (two files)."""
    mod = {
        "executed_lines": [1, 2, 3, 5],
        "summary": summary(4, 6, (3, 4)),
        "missing_lines": [6, 8],
        "excluded_lines": [9],
        "executed_branches": [[2, 3], [3, 5], [5, -1]],
        "missing_branches": [[3, 8]],
        "functions": {
            "f": {
                "executed_lines": [3, 5],
                "missing_lines": [6],
                "excluded_lines": [],
                "start_line": 2,
                "summary": summary(2, 3, (2, 3)),
            },
            "g": {"executed_lines": [], "missing_lines": [8], "excluded_lines": []},
            "": {"executed_lines": [1, 2], "missing_lines": [], "excluded_lines": []},
        },
        "classes": {"": {"executed_lines": [1, 2, 3, 5], "missing_lines": [6, 8]}},
    }
    empty = {
        "executed_lines": [],
        "summary": summary(0, 0, (0, 0)),
        "missing_lines": [],
        "excluded_lines": [],
        "executed_branches": [],
        "missing_branches": [],
        "functions": {},
        "classes": {},
    }
    totals = summary(4, 6, (3, 4))
    totals["percent_covered_display"] = display
    return {
        "meta": {
            "format": 3,
            "version": "7.17.3",
            "timestamp": "2026-11-21T04:10:56.466234",
            "branch_coverage": True,
            "show_contexts": False,
        },
        "files": {"pkg/mod.py": mod, "pkg/__init__.py": empty},
        "totals": totals,
    }


def parse(document: dict[str, Any] | bytes, limits: Limits | None = None) -> Any:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    if limits is None:
        return coveragepy_json.parse(io.BytesIO(data), NAME)
    return coveragepy_json.parse(io.BytesIO(data), NAME, limits)


def test_sample_format_3() -> None:
    report = parse(sample())
    assert (report.format, report.unit, report.rule) == (
        "coveragepy-json",
        "statements+branches",
        coveragepy(2),
    )
    mod = report.files["pkg/mod.py"]
    assert dict(mod.lines) == {1: 1, 2: 1, 3: 1, 5: 1, 6: 0, 8: 0}
    # arcs grouped by their source line; an exit (-1) is a branch like any other
    assert mod.branches == {2: (1, 1), 3: (1, 2), 5: (1, 1)}
    assert mod.functions == (Function("f", 2, 1), Function("g", 8, 0))
    assert mod.native == Counts(4 + 3, 6 + 4)
    assert report.files["pkg/__init__.py"].native == Counts(0, 0)
    assert report.native_totals() == Counts(7, 10)
    assert report.native_display() == "70.00%"


@pytest.mark.parametrize(("display", "precision"), [("70", 0), ("70.0", 1), ("70.00000", 5)])
def test_precision_from_the_display(display: str, precision: int) -> None:
    assert parse(sample(display)).rule == coveragepy(precision)


@pytest.mark.parametrize(
    ("version", "fmt", "functions"), [("7.17.3", 3, 69), ("7.4.4", 2, 0), ("6.5.0", None, 0)]
)
@pytest.mark.parametrize("precision", [0, 2])
def test_real_reports_of_each_format(
    version: str, fmt: int | None, functions: int, precision: int
) -> None:
    path = DATA / f"v{version}" / f"coverage-p{precision}.json"
    raw = path.read_bytes()
    assert json.loads(raw)["meta"].get("format") == fmt
    assert coveragepy_json.sniff("coverage.json", raw[:4096])
    with path.open("rb") as stream:
        report = coveragepy_json.parse(stream, str(path))
    assert report.rule == coveragepy(precision)
    totals = json.loads(raw)["totals"]
    assert report.native_display() == totals["percent_covered_display"] + "%"
    assert report.native_percent() == totals["percent_covered"]
    assert len(report.files["six.py"].functions) == functions


def test_old_executed_lines_hold_non_statements() -> None:
    # coverage.py 6.5.0 lists 319 executed lines for 311 covered statements: the summary (what
    # `coverage report` adds up) is the native count, the lists give the line hits.
    with (DATA / "v6.5.0" / "coverage-p0.json").open("rb") as stream:
        report = coveragepy_json.parse(stream, NAME)
    six = report.files["six.py"]
    assert six.line_totals().covered == 319
    assert six.native == Counts(311 + 67, 506 + 168)


def test_line_mode_report_without_branches() -> None:
    document = sample()
    for f in document["files"].values():
        for key in ("executed_branches", "missing_branches"):
            f.pop(key)
        for key in ("num_branches", "num_partial_branches", "covered_branches", "missing_branches"):
            f["summary"].pop(key)
    for key in ("num_branches", "num_partial_branches", "covered_branches", "missing_branches"):
        document["totals"].pop(key)
    document["meta"]["branch_coverage"] = False
    report = parse(document)
    assert report.native_totals() == Counts(4, 6)
    assert report.branch_totals() == Counts(0, 0)


def _mutate(path: str, value: Any) -> dict[str, Any]:
    """``sample()`` with the value at ``path`` ("/"-separated, "~" for a "/" in a key) replaced
    (or deleted when ``value`` is KeyError)."""
    document = sample()
    keys = [k.replace("~", "/") for k in path.split("/")]
    target: Any = document
    for key in keys[:-1]:
        target = target[key]
    if value is KeyError:
        del target[keys[-1]]
    else:
        target[keys[-1]] = copy.deepcopy(value)
    return document


@pytest.mark.parametrize(
    ("path", "value", "error", "problem"),
    [
        ("totals/covered_lines", 5, InvalidReport, "covered_lines 5 + missing_lines 2"),
        ("files/pkg~mod.py/summary/covered_lines", 3, InvalidReport, "!= num_statements"),
        ("files/pkg~mod.py/missing_lines", [6], InvalidReport, "1 missing_lines listed"),
        ("files/pkg~mod.py/missing_branches", [], InvalidReport, "0 missing_branches listed"),
        ("files/pkg~mod.py/summary/covered_branches", 2, InvalidReport, "covered_branches 2"),
        ("files/pkg~mod.py/executed_lines", [1, 2.0], InvalidReport, "line 2.0 is not an int"),
        ("files/pkg~mod.py/executed_lines", [True], InvalidReport, "line True is not an int"),
        ("files/pkg~mod.py/executed_lines", [0], InvalidReport, "line number 0 is not positive"),
        ("files/pkg~mod.py/missing_lines", [-6, 8], InvalidReport, "line number -6 is not posit"),
        ("files/pkg~mod.py/executed_lines", [10_000_001], LimitExceeded, "above the limit"),
        ("files/pkg~mod.py/executed_branches", [[2]], InvalidReport, "not a [from, to] pair"),
        ("files/pkg~mod.py/executed_branches", [[2, -(10**9)]], LimitExceeded, "above the limit"),
        ("files/pkg~mod.py/summary/num_statements", "6", InvalidReport, "not a non-negative"),
        ("files/pkg~mod.py/summary/missing_lines", -1, InvalidReport, "not a non-negative"),
        ("files/pkg~mod.py/summary", KeyError, InvalidReport, "summary is not a JSON object"),
        ("files/pkg~mod.py", [], InvalidReport, "file 'pkg/mod.py' is not a JSON object"),
        ("totals/percent_covered_display", "n/a", InvalidReport, "is not a percentage"),
        ("meta/format", 4, InvalidReport, "unsupported coverage.py JSON format 4"),
        ("meta/version", KeyError, InvalidReport, "meta has no version"),
        ("files", [], InvalidReport, "files is not a JSON object"),
    ],
)
def test_inconsistent_or_hostile_files_are_refused(
    path: str, value: Any, error: type[CoverageError], problem: str
) -> None:
    document = _mutate(path, value)
    with pytest.raises(error) as caught:
        parse(document)
    assert type(caught.value) is error
    assert caught.value.source == NAME
    assert problem in caught.value.problem, caught.value.problem


def test_line_number_at_the_limit_is_accepted() -> None:
    document = sample()
    mod = document["files"]["pkg/mod.py"]
    mod["missing_lines"] = [6, 100]
    report = parse(document, Limits(max_line_number=100))
    assert 100 in report.files["pkg/mod.py"].lines
    mod["missing_lines"] = [6, 101]
    with pytest.raises(LimitExceeded, match="line number 101 is above the limit of 100"):
        parse(document, Limits(max_line_number=100))


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'{"meta": {"version": "7"}, "files": {', "invalid JSON"),
        (b"\xff\xfe\x00garbage\x81", "invalid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"[1, 2]", "the document is not a JSON object"),
        (b'{"meta": {"version": "7", "format": 3}, "files": {}, "totals": NaN}', "totals"),
    ],
    ids=["truncated", "bytes", "deep", "array", "nan"],
)
def test_broken_json_names_the_file(data: bytes, problem: str) -> None:
    with pytest.raises(InvalidReport) as caught:
        parse(data)
    assert caught.value.source == NAME
    assert problem in caught.value.problem


def test_limits() -> None:
    data = json.dumps(sample()).encode()
    with pytest.raises(LimitExceeded, match="larger than the limit"):
        parse(data, Limits(max_bytes=len(data) - 1))
    assert parse(data, Limits(max_bytes=len(data)))
    with pytest.raises(LimitExceeded, match="more than 1 files"):
        parse(data, Limits(max_files=1))
    with pytest.raises(LimitExceeded, match="more than 5 measured lines"):
        parse(data, Limits(max_lines=5))


def test_utf16_json_is_read() -> None:
    data = json.dumps(sample(), ensure_ascii=False).encode("utf-16")
    assert parse(data).native_totals() == Counts(7, 10)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (json.dumps(sample(), indent=4).encode()[:300], True),
        (json.dumps(sample()).encode()[:300], True),
        (b'\xef\xbb\xbf{"meta": {"version": "6.5.0", "timestamp": "x"', True),
        (b'{"meta": {"version": "1.0"}, "files": {}}', False),
        (b'{"total": {"lines": {"total": 1}}}', False),
        (b'{"/src/a.js": {"path": "/src/a.js", "statementMap": {}}}', False),
        (b"<coverage/>", False),
    ],
)
def test_sniff(head: bytes, expected: bool) -> None:
    assert coveragepy_json.sniff("coverage.json", head) is expected
