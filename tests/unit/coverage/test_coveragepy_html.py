"""coverage.py HTML directories: index.html total row and status.json of every format."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import pytest

from app.coverage.errors import InvalidReport, LimitExceeded
from app.coverage.model import Counts
from app.coverage.parsers import coveragepy_html
from app.coverage.parsers.base import Limits
from app.coverage.percent import coveragepy

pytestmark = pytest.mark.unit

DATA = Path(__file__).resolve().parents[2] / "data" / "coveragepy"


class MemTree:
    """A SourceTree over a dict, as an unpacked artifact would be."""

    def __init__(self, members: dict[str, bytes], label: str = "artifact:htmlcov") -> None:
        self.members = members
        self._label = label

    def names(self) -> Sequence[str]:
        return sorted(self.members)

    def open(self, name: str) -> BinaryIO:
        return io.BytesIO(self.members[name])

    def label(self) -> str:
        return self._label


def real_tree(version: str, precision: int, prefix: str = "") -> MemTree:
    directory = DATA / f"v{version}" / f"htmlcov-p{precision}"
    return MemTree({prefix + p.name: p.read_bytes() for p in directory.iterdir()})


INDEX_OLD = b"""<html><head><title>Coverage report</title></head><body>
<h1>Coverage report: <span class="pc_cov">87.50%</span></h1>
<table class="index"><tbody>
<tr class="file"><td class="name left"><a href="a_py.html">a.py</a></td>
<td class="right" data-ratio="7 8">87.50%</td></tr>
</tbody><tfoot>
<tr class="total"><td class="name left">Total</td><td>8</td><td>1</td><td>0</td>
<td class="right" data-ratio="7 8">87.50%</td></tr>
</tfoot></table>
<a class="nav" href="https://coverage.readthedocs.io">coverage.py v6.5.0</a></body></html>
"""


def status_format5(precision: int, **nums: int) -> bytes:
    base = {
        "precision": precision,
        "n_files": 1,
        "n_statements": 10,
        "n_excluded": 0,
        "n_missing": 2,
        "n_branches": 4,
        "n_partial_branches": 1,
        "n_missing_branches": 1,
    }
    base.update(nums)
    return json.dumps(
        {
            "note": "internal",
            "format": 5,
            "version": "7.17.3",
            "globals": "x",
            "files": {
                "a_py": {"hash": "h", "index": {"url": "a_py.html", "file": "a.py", "nums": base}}
            },
        }
    ).encode()


def status_format2(nums: list[int]) -> bytes:
    return json.dumps(
        {
            "format": 2,
            "version": "6.5.0",
            "globals": "x",
            "files": {
                "a_py": {
                    "hash": "h",
                    "index": {
                        "nums": nums,
                        "html_filename": "a_py.html",
                        "relative_filename": "a.py",
                    },
                }
            },
        }
    ).encode()


@pytest.mark.parametrize("version", ["7.17.3", "7.4.4", "6.5.0"])
@pytest.mark.parametrize("precision", [0, 2])
def test_real_reports(version: str, precision: int) -> None:
    tree = real_tree(version, precision)
    assert coveragepy_html.sniff_tree(tree)
    report = coveragepy_html.parse_tree(tree)
    assert (report.format, report.unit) == ("coveragepy-html", "statements+branches")
    assert report.rule == coveragepy(precision)
    # per-file counts from status.json add up to index.html's total
    (six,) = report.files.values()
    assert six.path == "six.py"
    assert six.native == report.native_totals()
    index_only = MemTree({"index.html": tree.members["index.html"]})
    assert coveragepy_html.parse_tree(index_only).native_totals() == report.native_totals()
    assert coveragepy_html.parse_tree(index_only).rule == coveragepy(precision)
    status_only = MemTree({"status.json": tree.members["status.json"]})
    assert coveragepy_html.parse_tree(status_only).native_totals() == report.native_totals()


def test_report_inside_a_subdirectory_and_other_members() -> None:
    tree = real_tree("7.17.3", 2, prefix="coverage-html/htmlcov/")
    tree.members["README.md"] = b"hello"
    tree.members["other/index.html"] = b"<html>a site</html>"
    report = coveragepy_html.parse_tree(tree)
    assert report.native_display() == "56.09%"


def test_status_format5_and_index_disagreeing_index_wins() -> None:
    # status.json is coverage.py's cache; the total row is what the report shows.
    tree = MemTree({"index.html": INDEX_OLD, "status.json": status_format5(2)})
    report = coveragepy_html.parse_tree(tree)
    assert report.native_totals() == Counts(7, 8)
    assert report.files["a.py"].native == Counts(8 + 3, 14)
    assert report.native_display() == "87.50%"


@pytest.mark.parametrize(
    ("nums", "precision", "expected"),
    [
        ([1, 1, 10, 0, 2, 4, 1, 1], 1, Counts(11, 14)),
        ([1, 10, 0, 2, 4, 1, 1], 0, Counts(11, 14)),  # before precision was stored
        ([1, 10, 0, 2, 0, 0, 0], 0, Counts(8, 10)),  # line mode
    ],
)
def test_status_format2(nums: list[int], precision: int, expected: Counts) -> None:
    report = coveragepy_html.parse_tree(MemTree({"status.json": status_format2(nums)}))
    assert report.native_totals() == expected
    assert report.rule == coveragepy(precision)


def test_precision_falls_back_to_the_heading() -> None:
    index = INDEX_OLD.replace(
        b'data-ratio="7 8">87.50%</td></tr>\n</tfoot>', b'data-ratio="7 8"></td></tr>\n</tfoot>'
    )
    report = coveragepy_html.parse_tree(MemTree({"index.html": index}))
    assert report.rule == coveragepy(2)


@pytest.mark.parametrize(
    ("members", "problem"),
    [
        (
            {"index.html": INDEX_OLD.replace(b'class="total"', b'class="file"')},
            'no <tr class="total">',
        ),
        (
            {
                "index.html": INDEX_OLD.replace(
                    b'data-ratio="7 8">87.50%</td></tr>\n</tfoot>', b">87.50%</td></tr>\n</tfoot>"
                )
            },
            "no data-ratio",
        ),
        (
            {
                "index.html": INDEX_OLD.replace(
                    b'data-ratio="7 8">87.50%</td></tr>\n</tfoot>',
                    b'data-ratio="9 8">x</td></tr>\n</tfoot>',
                )
            },
            "covered > total",
        ),
        ({"status.json": b'{"format": 5, "files": {'}, "invalid JSON"),
        ({"status.json": b'{"format": 9, "files": {}}'}, "unsupported status.json format 9"),
        ({"status.json": status_format5(0, n_missing=-1)}, "n_missing is -1"),
        ({"status.json": status_format5(0, n_missing=11)}, "more missing than measured"),
        ({"status.json": status_format2([1, 2, 3])}, "nums list of unexpected length"),
        ({"status.json": status_format5(11)}, "precision 11"),
    ],
)
def test_broken_reports_name_the_member(members: dict[str, bytes], problem: str) -> None:
    with pytest.raises(InvalidReport) as caught:
        coveragepy_html.parse_tree(MemTree(members))
    assert caught.value.source.startswith("artifact:htmlcov/")
    assert problem in caught.value.problem


def test_limits() -> None:
    tree = real_tree("7.17.3", 0)
    with pytest.raises(LimitExceeded, match="larger than the limit of 100 bytes") as caught:
        coveragepy_html.parse_tree(tree, Limits(max_bytes=100))
    assert caught.value.source.startswith("artifact:htmlcov/")
    with pytest.raises(LimitExceeded, match="more than 0 files"):
        coveragepy_html.parse_tree(tree, Limits(max_files=0))


@pytest.mark.parametrize(
    "members",
    [
        {},
        {"index.html": b"<html>my site</html>"},
        {"status.json": b'{"hello": 1}'},
        {"coverage.xml": b"<coverage/>"},
    ],
)
def test_not_a_coveragepy_html_report(members: dict[str, bytes]) -> None:
    tree = MemTree(members)
    assert not coveragepy_html.sniff_tree(tree)
    with pytest.raises(InvalidReport, match=r"no coverage\.py HTML report"):
        coveragepy_html.parse_tree(tree)
