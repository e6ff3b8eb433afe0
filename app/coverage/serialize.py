"""The normalised report as JSON: what coverhub stores beside the raw files of an upload, so that
report pages, comparisons and patch coverage never need to parse the raw files again.

Format (version 2), columnar and compact on purpose: a 2,000-file report stays a few MB, and
writing or reading it is a few list conversions per file, not a list per line (version 1 took
half a second each way for 2,000 files; it is still read)::

    {"coverhub_report": 2, "format": ..., "unit": ..., "mode": ..., "rule": [tool, precision],
     "native_override": [covered, total] | null,
     "files": [{"path", "package", "native": [c, t],
                "lines": [[line, ...], [hits, ...]],
                "branches": [[line, ...], [covered, ...], [total, ...]],
                "functions": [[name, start, hits, end], ...],
                "blocks": [[sl, ...], [sc, ...], [el, ...], [ec, ...], [stmts, ...], [count, ...]]
                          | null}]}

Version 1 had ``"lines": [[line, hits], ...]``, ``"branches": [[line, covered, total], ...]``
and ``"blocks": [[sl, sc, el, ec, stmts, count], ...]``.
"""

from __future__ import annotations

import json
from array import array
from itertools import islice
from operator import lt
from typing import Any

from app.coverage.errors import InvalidReport
from app.coverage.model import Counts, CoverageReport, FileCoverage, Function, GoBlock, LineHits
from app.coverage.parsers.gocover_build import GoBlocks
from app.coverage.percent import DisplayRule

VERSION = 2
READS = (1, 2)


def to_json(report: CoverageReport) -> bytes:
    """Serialise ``report`` (files in path order)."""
    override = report.native_override
    doc: dict[str, Any] = {
        "coverhub_report": VERSION,
        "format": report.format,
        "unit": report.unit,
        "mode": report.mode,
        "rule": [report.rule.tool, report.rule.precision],
        "native_override": [override.covered, override.total] if override else None,
        "files": [_file(report.files[path]) for path in sorted(report.files)],
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def _file(f: FileCoverage) -> dict[str, Any]:
    lines, hits = f.lines.columns()
    branch_lines = sorted(f.branches)
    pairs = list(map(f.branches.__getitem__, branch_lines))
    return {
        "path": f.path,
        "package": f.package,
        "native": [f.native.covered, f.native.total],
        "lines": [lines.tolist(), hits.tolist()],
        "branches": [branch_lines, [c for c, _ in pairs], [t for _, t in pairs]],
        "functions": [[fn.name, fn.start_line, fn.hits, fn.end_line] for fn in f.functions],
        "blocks": None if f.blocks is None else _block_columns(f.blocks),
    }


def _block_columns(blocks: tuple[GoBlock, ...]) -> list[list[int]]:
    return (blocks if isinstance(blocks, GoBlocks) else GoBlocks(blocks)).columns()


def from_json(data: bytes, source: str = "report.json") -> CoverageReport:
    """Read back what :func:`to_json` wrote (either version); InvalidReport if it is not that."""
    try:
        doc = json.loads(data)
        version = doc.get("coverhub_report") if isinstance(doc, dict) else None
        if version not in READS:
            raise InvalidReport(source, f"not a coverhub report of version {VERSION}")
        read = _file_v2 if version == 2 else _file_v1
        tool, precision = doc["rule"]
        override = doc["native_override"]
        files = {item["path"]: read(item) for item in doc["files"]}
        return CoverageReport(
            format=doc["format"],
            unit=doc["unit"],
            rule=DisplayRule(tool, precision),
            files=files,
            mode=doc["mode"],
            native_override=Counts(*override) if override else None,
        )
    except InvalidReport:
        raise
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        raise InvalidReport(source, f"unreadable coverhub report: {exc}") from exc


def _file_v2(item: dict[str, Any]) -> FileCoverage:
    line_list, hit_list = item["lines"]
    if len(line_list) != len(hit_list):
        raise ValueError(f"{item['path']}: {len(line_list)} lines but {len(hit_list)} hits")
    if not all(map(lt, line_list, islice(line_list, 1, None))):
        raise ValueError(f"{item['path']}: lines are not in increasing order")
    b_lines, b_covered, b_total = item["branches"]
    blocks = item["blocks"]
    return FileCoverage(
        path=item["path"],
        package=item["package"],
        native=Counts(*item["native"]),
        lines=LineHits(array("I", line_list), array("q", hit_list)),
        branches=dict(zip(b_lines, zip(b_covered, b_total, strict=True), strict=True)),
        functions=tuple(Function(n, s, h, e) for n, s, h, e in item["functions"]),
        blocks=None if blocks is None else GoBlocks.of_lists(blocks),
    )


def _file_v1(item: dict[str, Any]) -> FileCoverage:
    blocks = item["blocks"]
    return FileCoverage(
        path=item["path"],
        package=item["package"],
        native=Counts(*item["native"]),
        lines=LineHits.from_mapping({int(ln): int(h) for ln, h in item["lines"]}),
        branches={int(ln): (int(c), int(t)) for ln, c, t in item["branches"]},
        functions=tuple(Function(n, s, h, e) for n, s, h, e in item["functions"]),
        blocks=None if blocks is None else tuple(GoBlock(*b) for b in blocks),
    )
