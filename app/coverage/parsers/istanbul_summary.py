"""Istanbul ``coverage-summary.json`` (FORMAT ``"istanbul-summary"``): totals only.

Each file gets its statement counts as native counts and the report total comes from ``total``
(``native_override``); :func:`summary_metrics` reads all four metrics of every entry.
:data:`SUMMARY` offers the format with a parser module's interface (FORMAT, sniff, parse).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from app.coverage import percent
from app.coverage.errors import InvalidReport, LimitExceeded
from app.coverage.model import Counts, CoverageReport, FileCoverage
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits
from app.coverage.parsers.istanbul_json import Checker, head_object_keys, load_json
from app.coverage.parsers.istanbul_text import Metrics

SUMMARY_FORMAT = "istanbul-summary"

_METRICS = ("lines", "statements", "functions", "branches")


def sniff_summary(name: str, head: bytes) -> bool:
    """``{"total": {"lines": {"total": ..., "covered": ..., "skipped": ..., "pct": ...}, ...``."""
    text = "".join(head_object_keys(head).split())
    return text.startswith('{"total":{"') and '"pct":' in text and '"covered":' in text


def _summary_counts(value: object, where: str, check: Checker) -> Counts:
    entry = check.obj(value, where)
    total = check.count(entry.get("total"), f"{where}.total")
    covered = check.count(entry.get("covered"), f"{where}.covered")
    if covered > total:
        raise check.invalid(where, f"covered {covered} exceeds total {total}")
    pct = entry.get("pct")
    if not (pct == "Unknown" or type(pct) in (int, float)):
        raise check.invalid(f"{where}.pct", f"must be a number or 'Unknown', not {pct!r:.40}")
    return Counts(covered, total)


def parse_summary(stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS) -> CoverageReport:
    """Parse ``coverage-summary.json``: statement counts per file, the total from ``total``."""
    check = Checker(name, limits)
    doc = check.obj(load_json(stream, name, limits), "document")
    if "total" not in doc:
        raise InvalidReport(name, "no 'total' entry: not an Istanbul coverage-summary.json")
    files: dict[str, FileCoverage] = {}
    override = Counts()
    for key, value in doc.items():
        entry = check.obj(value, key[:200])
        for metric in _METRICS:
            if metric not in entry:
                raise check.invalid(key[:200], f"missing {metric!r}")
        counts = _summary_counts(entry["statements"], f"{key[:200]}.statements", check)
        for metric in ("lines", "functions", "branches"):
            _summary_counts(entry[metric], f"{key[:200]}.{metric}", check)
        if key == "total":
            override = counts
            continue
        if len(files) >= limits.max_files:
            raise LimitExceeded(name, f"more than {limits.max_files} source files")
        files[key] = FileCoverage(path=key, native=counts)
    return CoverageReport(
        format=SUMMARY_FORMAT,
        unit="statements",
        rule=percent.ISTANBUL,
        files=files,
        native_override=override,
    )


def summary_metrics(
    stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS
) -> dict[str, Metrics]:
    """All four metrics of every entry of a ``coverage-summary.json`` (``"total"`` included)."""
    check = Checker(name, limits)
    doc = check.obj(load_json(stream, name, limits), "document")
    out: dict[str, Metrics] = {}
    for key, value in doc.items():
        entry = check.obj(value, key[:200])
        got = {m: _summary_counts(entry.get(m), f"{key[:200]}.{m}", check) for m in _METRICS}
        out[key] = Metrics(**got)
    return out


@dataclass(frozen=True, slots=True)
class _Entry:
    """A parser entry with the module interface, for the summary format that lives here."""

    FORMAT: str
    sniff: Callable[[str, bytes], bool]
    parse: Callable[[BinaryIO, str, Limits], CoverageReport]


#: The ``coverage-summary.json`` parser, shaped like a parser module (FORMAT, sniff, parse).
SUMMARY = _Entry(SUMMARY_FORMAT, sniff_summary, parse_summary)
