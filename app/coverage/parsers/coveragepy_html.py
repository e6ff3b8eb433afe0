"""A coverage.py HTML directory (``coverage html``, ``htmlcov/``), reference/formats.md §4.3.

The directory holds no line data we can trust to read back (the per-file pages are for humans), but
it does hold the exact headline:

* ``index.html``: the ``<tr class="total">`` row's **last** ``data-ratio="N D"`` cell is the
  combined numerator/denominator of ``coverage report`` (7.12+ adds statement and branch columns
  before it; older versions have a single cell), and its text is the headline as printed;
* ``status.json`` (coverage.py's internal cache, format 2 up to 7.4.x with ``nums`` as a list
  ``[precision, n_files, n_statements, n_excluded, n_missing, n_branches, n_partial_branches,
  n_missing_branches]``, older ones without the leading precision; format 5 from 7.5.0 with
  ``nums`` as a dict of those names): per-file counts, summed when ``index.html`` is missing.

The total of ``index.html`` wins when both exist: status.json is a cache that coverage.py may carry
over between runs. The result has per-file native counts (no lines) and the total in
``native_override``; the precision is the report's own (status.json, else the decimals shown).
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any

from app.coverage.errors import InvalidReport, LimitExceeded
from app.coverage.model import Counts, CoverageReport, FileCoverage
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits, SourceTree
from app.coverage.percent import coveragepy

FORMAT = "coveragepy-html"
UNIT = "statements+branches"

_GENERATOR = re.compile(rb"coverage\.py v\d|class=\"pc_cov\"")
_TOTAL_ROW = re.compile(r"<tr\s+class=[\"']total[\"'][^>]*>(.*?)</tr>", re.DOTALL | re.IGNORECASE)
_RATIO = re.compile(r"data-ratio=[\"'](\d+) (\d+)[\"'][^>]*>\s*([^<]*?)\s*<")
_SHOWN = re.compile(r"\d+(?:\.(\d+))?%")
_PC_COV = re.compile(r"class=[\"']pc_cov[\"'][^>]*>\s*(\d+(?:\.(\d+))?)%")
_NUM_NAMES = (
    "n_files",
    "n_statements",
    "n_excluded",
    "n_missing",
    "n_branches",
    "n_partial_branches",
    "n_missing_branches",
)


def _directories(tree: SourceTree) -> list[str]:
    """Directories holding ``index.html`` or ``status.json``, shallowest first."""
    dirs = set()
    for name in tree.names():
        base = posixpath.basename(name)
        if base in ("index.html", "status.json"):
            dirs.add(posixpath.dirname(name))
    return sorted(dirs, key=lambda d: (d.count("/") + (1 if d else 0), d))


def _member(directory: str, base: str) -> str:
    return posixpath.join(directory, base) if directory else base


def _read(tree: SourceTree, name: str, limit: int) -> bytes:
    with tree.open(name) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise LimitExceeded(f"{tree.label()}/{name}", f"larger than the limit of {limit} bytes")
    return data


def _find(tree: SourceTree) -> str | None:
    names = set(tree.names())
    for directory in _directories(tree):
        status = _member(directory, "status.json")
        index = _member(directory, "index.html")
        if status in names:
            with tree.open(status) as stream:
                head = stream.read(4096)
            if b'"format"' in head and b'"files"' in head:
                return directory
        if index in names:
            with tree.open(index) as stream:
                head = stream.read(8192)
            if _GENERATOR.search(head):
                return directory
    return None


def sniff_tree(tree: SourceTree) -> bool:
    """Does the tree hold a coverage.py HTML report (index.html and/or status.json)?"""
    return _find(tree) is not None


class _Reader:
    def __init__(self, tree: SourceTree, directory: str, limits: Limits) -> None:
        self.tree = tree
        self.directory = directory
        self.limits = limits

    def label(self, base: str) -> str:
        return f"{self.tree.label()}/{_member(self.directory, base)}"

    def status(self) -> tuple[dict[str, FileCoverage], int | None] | None:
        name = _member(self.directory, "status.json")
        if name not in self.tree.names():
            return None
        label = self.label("status.json")
        try:
            document = json.loads(_read(self.tree, name, self.limits.max_bytes))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidReport(label, f"invalid JSON: {exc}") from None
        except RecursionError:
            raise InvalidReport(label, "invalid JSON: nested too deeply") from None
        if not isinstance(document, dict) or not isinstance(document.get("files"), dict):
            raise InvalidReport(label, "not a coverage.py status.json: no files object")
        fmt = document.get("format")
        if fmt not in (1, 2, 3, 4, 5):
            raise InvalidReport(label, f"unsupported status.json format {fmt!r}")
        files: dict[str, FileCoverage] = {}
        precision: int | None = None
        if len(document["files"]) > self.limits.max_files:
            raise LimitExceeded(label, f"more than {self.limits.max_files} files in one report")
        for key, entry in document["files"].items():
            index = entry.get("index") if isinstance(entry, dict) else None
            if not isinstance(index, dict):
                raise InvalidReport(label, f"file {key!r} has no index entry")
            path = index.get("file", index.get("relative_filename"))
            if not isinstance(path, str) or not path:
                raise InvalidReport(label, f"file {key!r} has no file name")
            nums, file_precision = self.nums(index.get("nums"), label, key)
            if file_precision is not None:
                precision = file_precision
            if (
                nums["n_missing"] > nums["n_statements"]
                or nums["n_missing_branches"] > nums["n_branches"]
            ):
                raise InvalidReport(label, f"file {key!r}: more missing than measured")
            covered = (nums["n_statements"] - nums["n_missing"]) + (
                nums["n_branches"] - nums["n_missing_branches"]
            )
            total = nums["n_statements"] + nums["n_branches"]
            files[path] = FileCoverage(path=path, native=Counts(covered, total))
        return files, precision

    def nums(self, nums: object, label: str, key: str) -> tuple[dict[str, int], int | None]:
        precision = None
        if isinstance(nums, list):
            if len(nums) == len(_NUM_NAMES) + 1:
                precision, nums = nums[0], nums[1:]
            if len(nums) != len(_NUM_NAMES):
                raise InvalidReport(label, f"file {key!r}: nums list of unexpected length")
            values: dict[str, Any] = dict(zip(_NUM_NAMES, nums, strict=True))
        elif isinstance(nums, dict):
            values = {name: nums.get(name) for name in _NUM_NAMES}
            precision = nums.get("precision")
        else:
            raise InvalidReport(label, f"file {key!r} has no nums")
        for name, value in values.items():
            if type(value) is not int or value < 0:
                raise InvalidReport(label, f"file {key!r}: {name} is {value!r}")
        if precision is not None and (type(precision) is not int or not 0 <= precision <= 10):
            raise InvalidReport(label, f"file {key!r}: precision {precision!r}")
        return values, precision

    def index(self) -> tuple[Counts, int | None] | None:
        name = _member(self.directory, "index.html")
        if name not in self.tree.names():
            return None
        label = self.label("index.html")
        raw = _read(self.tree, name, self.limits.max_bytes)
        text = raw.decode("utf-8", errors="replace")
        row = _TOTAL_ROW.search(text)
        if row is None:
            raise InvalidReport(label, 'no <tr class="total"> row: not a coverage.py index.html')
        cells = _RATIO.findall(row[1])
        if not cells:
            raise InvalidReport(label, "the total row has no data-ratio cell")
        covered, total, shown = int(cells[-1][0]), int(cells[-1][1]), cells[-1][2]
        if covered > total:
            raise InvalidReport(label, f"total data-ratio {covered} {total}: covered > total")
        # The decimals shown are the report's precision (the cell, else the heading's pc_cov).
        shown_match = _SHOWN.fullmatch(shown)
        decimals = shown_match[1] if shown_match else None
        if shown_match is None:
            heading = _PC_COV.search(text)
            if heading is None:
                return Counts(covered, total), None
            decimals = heading[2]
        return Counts(covered, total), len(decimals or "")

    def report(self) -> CoverageReport:
        status = self.status()
        index = self.index()
        if status is None and index is None:
            raise InvalidReport(self.label(""), "no index.html or status.json")
        files = status[0] if status is not None else {}
        precision = status[1] if status is not None else None
        if index is not None:
            total = index[0]
            if precision is None:
                precision = index[1]
        else:
            total = Counts()
            for f in files.values():
                total = total + f.native
        return CoverageReport(
            FORMAT, UNIT, coveragepy(precision or 0), files, native_override=total
        )


def parse_tree(tree: SourceTree, limits: Limits = DEFAULT_LIMITS) -> CoverageReport:
    """Read the coverage.py HTML report in ``tree`` (the shallowest one if several)."""
    directory = _find(tree)
    if directory is None:
        raise InvalidReport(tree.label(), "no coverage.py HTML report (index.html, status.json)")
    return _Reader(tree, directory, limits).report()
