"""What ``coverhub collect`` does with the answers: decode, parse, skip, de-inflate, merge.

No network here (see :mod:`app.collect.client`); everything is pure and tested on its own.

Answers (reference/formats.md §3, §10):

* goverage and goc v1 answer a Go text profile (goverage: without a trailing newline);
* goc v2 answers JSON ``{"profile": "<text profile>"}``; goc answers errors as ``{"error": ...}``;
* coverhub's Python endpoint (:mod:`app.pycover`) answers a coverage.py JSON report.

Each answer is parsed by the engine with format detection (:func:`parse_bytes`), so anything
coverhub parses is accepted. Files matching a ``--skip`` pattern are dropped here too, whatever
the service did with the ``skipFile`` list it was sent (goc v2 and some agents ignore it).

**Inflation (goverage).** Every goverage scrape writes one more *cumulative* counters file into
the service's GOCOVERDIR and answers ``covdata textfmt`` over all of them: the k-th answer is
S1 + ... + Sk, where Si is the cumulative snapshot at scrape i. So counts grow with every scrape
even when the service did nothing. :func:`deinflate` takes two back-to-back answers R1, R2 of one
service: R2 - R1 = S2, the true counts. A service that does not accumulate (goc, coverhub's Python
endpoint, a goverage fork that writes to a fresh directory) answers T1 then T2 >= T1; the two are
told apart by goverage's own invariant: every block that had run by the first scrape has a
strictly larger count in the second (S2 >= S1 >= 1 is added to it), while a block that ran only at
start-up (``main``, ``init``) keeps its count in a non-accumulating service. ``set`` mode has no
inflation (counts are 0/1), so one answer is enough.

Across services, and never across two answers of one service, Go profiles are merged with
:func:`merge_profiles` (Go's rules; mixed modes become ``set``); coverage.py JSON answers at the
arc level (:mod:`.pyjson`, as ``coverage combine`` does); anything else, and Go with Python,
with the engine's :func:`app.coverage.merge.merge`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from app.collect import pyjson
from app.collect.skip import SkipPattern, skipped
from app.coverage.errors import CoverageError, IncompatibleReports
from app.coverage.merge import merge
from app.coverage.model import CoverageReport, FileCoverage
from app.coverage.parsers import parse_bytes
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits
from app.coverage.parsers.gocover import GO_BLOCK_FORMATS, MODES, merge_profiles, report_of
from app.coverage.parsers.gocover_build import SpanBudget, build_maps

Blocks = dict[tuple[int, int, int, int], tuple[int, int]]


class BadAnswer(CoverageError):
    """A service answered something that is not a coverage profile."""


def decode(body: bytes, source: str) -> bytes:
    """The profile inside an answer: goc v2's ``{"profile": ...}`` unwrapped, errors raised."""
    text = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError):
            return body  # not JSON after all: let the parsers say what it is
        if isinstance(doc, dict):
            if "meta" in doc and "files" in doc:
                return body  # a coverage.py JSON report
            if isinstance(doc.get("profile"), str):
                return str(doc["profile"]).encode("utf-8")
            if "error" in doc:
                raise BadAnswer(source, f"the service answered an error: {str(doc['error'])[:200]}")
    return body


def parse_answer(body: bytes, source: str, limits: Limits = DEFAULT_LIMITS) -> CoverageReport:
    """Parse one answer (any format the engine detects; see the module docstring)."""
    data = decode(body, source)
    if data.startswith(b"mode:") and not data.endswith(b"\n"):
        data += b"\n"  # goverage joins lines with "\n" and adds none at the end
    return parse_bytes(data, source, limits)


def drop_skipped(report: CoverageReport, patterns: Sequence[SkipPattern]) -> CoverageReport:
    """The report without the files a ``--skip`` pattern matches."""
    if not patterns:
        return report
    files = {p: f for p, f in report.files.items() if not skipped(p, patterns)}
    return replace(report, files=files, native_override=None)


def read_answer(
    body: bytes, source: str, patterns: Sequence[SkipPattern], limits: Limits = DEFAULT_LIMITS
) -> tuple[CoverageReport, dict[str, Any] | None]:
    """Parse an answer and apply ``--skip``; a coverage.py JSON answer also comes back as its
    document (with the skipped files left out), for :func:`pyjson.merge_documents`."""
    data = decode(body, source)
    document: dict[str, Any] | None = None
    if data.lstrip().startswith(b"{"):
        try:
            loaded = json.loads(data)
        except (ValueError, RecursionError):
            loaded = None
        if pyjson.is_document(loaded) and isinstance(loaded["files"], dict):
            files = {p: f for p, f in loaded["files"].items() if not skipped(p, patterns)}
            document = loaded if len(files) == len(loaded["files"]) else None
            if document is None:
                try:
                    document = pyjson.recount(loaded, files)
                except (KeyError, TypeError, ValueError) as exc:
                    raise BadAnswer(source, f"malformed coverage.py report: {exc!r}") from None
            data = json.dumps(document).encode("utf-8")
    return drop_skipped(parse_answer(data, source, limits), patterns), document


def needs_second_scrape(report: CoverageReport) -> bool:
    """Could this answer be inflated by earlier scrapes? (Go ``count``/``atomic`` profiles)"""
    return report.format in GO_BLOCK_FORMATS and report.mode in ("count", "atomic")


def _blocks(report: CoverageReport) -> dict[str, Blocks] | None:
    out: dict[str, Blocks] = {}
    for path, f in report.files.items():
        if f.blocks is None:
            return None
        out[path] = {b.key: (b.statements, b.count) for b in f.blocks}
    return out


@dataclass(frozen=True)
class Deinflated:
    report: CoverageReport
    #: True when the service accumulated snapshots (goverage) and the difference was taken.
    accumulating: bool


def deinflate(
    first: CoverageReport, second: CoverageReport, source: str, limits: Limits = DEFAULT_LIMITS
) -> Deinflated:
    """True counts from two back-to-back answers of one service (see the module docstring).

    Raises :class:`IncompatibleReports` when the two answers do not describe the same blocks in the
    same mode while looking accumulated (a service restarted between the scrapes answers a
    smaller count somewhere, so it is taken as not accumulating and the second answer is kept).
    """
    if not (needs_second_scrape(first) and needs_second_scrape(second)):
        return Deinflated(second, False)
    one, two = _blocks(first), _blocks(second)
    if one is None or two is None or one.keys() != two.keys() or first.mode != second.mode:
        return Deinflated(second, False)
    grew = True
    for path, blocks in one.items():
        later = two[path]
        if blocks.keys() != later.keys():
            return Deinflated(second, False)
        for key, (nstmt, count) in blocks.items():
            after = later[key]
            if after[0] != nstmt or after[1] < count:
                return Deinflated(second, False)
            if count > 0 and after[1] <= count:
                grew = False
    if not grew:
        return Deinflated(second, False)
    diffs = {
        path: {key: (nstmt, two[path][key][1] - count) for key, (nstmt, count) in blocks.items()}
        for path, blocks in one.items()
    }
    built = build_maps(diffs, SpanBudget(source, limits.max_lines))  # all files at once
    files: dict[str, FileCoverage] = {
        path: replace(fc, package=second.files[path].package) for path, fc in built.items()
    }
    assert second.mode in MODES
    return Deinflated(report_of(second.mode, files), True)


def merge_services(
    reports: Sequence[CoverageReport], source: str = "collect", limits: Limits = DEFAULT_LIMITS
) -> CoverageReport:
    """One report over services: Go's rules for Go profiles, the engine's for the rest.

    Go profiles and other formats cannot be merged into a profile that keeps Go's blocks; such a
    mix is merged at line level by the engine (format ``mixed``).
    """
    if not reports:
        raise IncompatibleReports(source, "no service answered")
    if all(r.format in GO_BLOCK_FORMATS for r in reports):
        return merge_profiles(reports, source, limits)
    return merge(reports, source, limits)
