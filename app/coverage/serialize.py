"""The normalised report as JSON: what coverhub stores beside the raw files of an upload, so that
report pages, comparisons and patch coverage never need to parse the raw files again.

Format (version 1), compact on purpose (a 2,000-file report stays a few MB):

    {"coverhub_report": 1, "format": ..., "unit": ..., "mode": ..., "rule": [tool, precision],
     "native_override": [covered, total] | null,
     "files": [{"path", "package", "native": [c, t],
                "lines": [[line, hits], ...], "branches": [[line, covered, total], ...],
                "functions": [[name, start, hits, end], ...],
                "blocks": [[sl, sc, el, ec, stmts, count], ...] | null}]}
"""

from __future__ import annotations

import json
from typing import Any

from app.coverage.errors import InvalidReport
from app.coverage.model import Counts, CoverageReport, FileCoverage, Function, GoBlock, LineHits
from app.coverage.percent import DisplayRule

VERSION = 1


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
    return {
        "path": f.path,
        "package": f.package,
        "native": [f.native.covered, f.native.total],
        "lines": [[line, hits] for line, hits in f.lines.items_sorted()],
        "branches": [[line, c, t] for line, (c, t) in sorted(f.branches.items())],
        "functions": [[fn.name, fn.start_line, fn.hits, fn.end_line] for fn in f.functions],
        "blocks": (
            None
            if f.blocks is None
            else [
                [b.start_line, b.start_col, b.end_line, b.end_col, b.statements, b.count]
                for b in f.blocks
            ]
        ),
    }


def from_json(data: bytes, source: str = "report.json") -> CoverageReport:
    """Read back what :func:`to_json` wrote; InvalidReport if it is not that."""
    try:
        doc = json.loads(data)
        if not isinstance(doc, dict) or doc.get("coverhub_report") != VERSION:
            raise InvalidReport(source, f"not a coverhub report of version {VERSION}")
        tool, precision = doc["rule"]
        override = doc["native_override"]
        files = {}
        for item in doc["files"]:
            blocks = item["blocks"]
            files[item["path"]] = FileCoverage(
                path=item["path"],
                package=item["package"],
                native=Counts(*item["native"]),
                lines=LineHits.from_mapping({int(ln): int(h) for ln, h in item["lines"]}),
                branches={int(ln): (int(c), int(t)) for ln, c, t in item["branches"]},
                functions=tuple(Function(n, s, h, e) for n, s, h, e in item["functions"]),
                blocks=None if blocks is None else tuple(GoBlock(*b) for b in blocks),
            )
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
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidReport(source, f"unreadable coverhub report: {exc}") from exc
