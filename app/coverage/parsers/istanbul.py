"""Istanbul JSON: ``coverage-final.json`` / ``.nyc_output/*.json`` and ``coverage-summary.json``.

Producers: nyc, jest, c8 (via v8-to-istanbul), vitest. reference/formats.md §6.3; behaviour checked
against istanbul-lib-coverage 3.2.2 (the library nyc 17 and c8 10 report with).

Final files (FORMAT ``"istanbul"``), per source file:

* statements (the native unit, :data:`percent.ISTANBUL`): one per ``s`` entry, covered if its count
  is not 0 (``computeSimpleTotals('s')``);
* lines: a line's count is the **max** over the statements that start on it (``getLineCoverage``);
* branches per line: the ``b`` arrays of the ``branchMap`` entries whose ``line`` (or
  ``loc.start.line``) is that line (``getBranchCoverageByLine``);
* functions: one per ``f`` entry, named and placed by ``fnMap``.

So the four metrics of the Istanbul text summary are the report's native totals (statements),
``branch_totals()``, the functions' totals and ``line_totals()`` (see :func:`text_summary`).

Several final files are merged here, at Istanbul's level, by :func:`parse_many` (``merge_final``):
the same rules as ``FileCoverage.merge`` in istanbul-lib-coverage 3.2.2, which is what
``nyc report`` does with several ``.nyc_output`` files. The generic line-level merge would get
branches wrong (it cannot know which branch of a line was taken in which run).

Summary files (FORMAT ``"istanbul-summary"``, :data:`SUMMARY`) carry totals only: each file gets its
statement counts as native counts and the report total comes from ``total`` (``native_override``).

This module is the parser the registry loads (FORMAT, sniff, parse, parse_many and the summary
format's SUMMARY_FORMAT, sniff_summary, parse_summary); the work lives in

* :mod:`.istanbul_json` - reading the JSON safely, checking counts and line numbers;
* :mod:`.istanbul_final` - final files: sniffing, one file coverage object to a FileCoverage;
* :mod:`.istanbul_merge` - Istanbul-level merging (``merge_final``, ``parse_many``);
* :mod:`.istanbul_summary` - ``coverage-summary.json``;
* :mod:`.istanbul_text` - the four metrics and the ``text-summary`` body.

:data:`MAX_MERGE_WORK` here is the merge budget that :func:`merge_final`, :func:`parse_many` and
:func:`parse` of this module use.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from app.coverage.model import CoverageReport
from app.coverage.parsers import istanbul_merge
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits
from app.coverage.parsers.istanbul_final import FORMAT, sniff
from app.coverage.parsers.istanbul_json import JSONObject
from app.coverage.parsers.istanbul_merge import MAX_MERGE_WORK
from app.coverage.parsers.istanbul_summary import (
    SUMMARY,
    SUMMARY_FORMAT,
    parse_summary,
    sniff_summary,
    summary_metrics,
)
from app.coverage.parsers.istanbul_text import Metrics, metrics, text_summary

__all__ = [
    "FORMAT",
    "MAX_MERGE_WORK",
    "SUMMARY",
    "SUMMARY_FORMAT",
    "JSONObject",
    "Metrics",
    "merge_final",
    "metrics",
    "parse",
    "parse_many",
    "parse_summary",
    "sniff",
    "sniff_summary",
    "summary_metrics",
    "text_summary",
]


def merge_final(a: JSONObject, b: JSONObject) -> JSONObject:
    """Merge two Istanbul file coverage objects of one file as istanbul-lib-coverage 3.2.2 does
    (:func:`.istanbul_merge.merge_final`, within :data:`MAX_MERGE_WORK`)."""
    return istanbul_merge.merge_final(a, b, MAX_MERGE_WORK)


def parse_many(
    inputs: Iterable[tuple[BinaryIO, str]], limits: Limits = DEFAULT_LIMITS
) -> CoverageReport:
    """Parse and merge several final files (``nyc report`` over a ``.nyc_output`` directory)."""
    return istanbul_merge.parse_many(inputs, limits, MAX_MERGE_WORK)


def parse(stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS) -> CoverageReport:
    """Parse one ``coverage-final.json`` (or ``.nyc_output/*.json``) from a binary stream."""
    return parse_many([(stream, name)], limits)
