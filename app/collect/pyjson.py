"""Merging coverage.py JSON reports of the same code, exactly as ``coverage combine`` would.

coverhub's model keeps branches per line as (taken, total) counts, so merging two reports where
each took a *different* branch of one line can only give a lower bound (app.coverage.merge). The
JSON documents still carry the branch arcs, so services answering coverage.py JSON (the Python
endpoint, :mod:`app.pycover`) are merged here at the arc level, giving what ``coverage combine``
then ``coverage json`` gives for the same runs:

* a statement is missing only when it is missing in every report; executed lines are the union;
* an arc is executed when any report executed it; missing arcs are the others;
* summaries are recomputed with coverage.py's own arithmetic (``results.Numbers``: partial
  branches = missing arcs leaving an executed line; ``display_covered`` rounding, the precision
  read from the reports), for files, their ``functions``/``classes`` regions and the totals.

The reports must describe the same source: a file whose statement or branch count differs
between reports is refused (:class:`IncompatibleReports`), as is a report without ``files``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.coverage.errors import IncompatibleReports

Doc = dict[str, Any]
_COUNTS = (
    "covered_lines", "num_statements", "missing_lines", "excluded_lines",
    "num_branches", "num_partial_branches", "covered_branches", "missing_branches",
)  # fmt: skip


def is_document(doc: object) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("meta"), dict) and "files" in doc


def _display(pc: float, precision: int) -> str:
    """coverage.py's ``display_covered``: never "0" or "100" unless exactly so."""
    near0 = 1.0 / 10**precision
    if 0 < pc < near0:
        pc = near0
    elif (100.0 - near0) < pc < 100:
        pc = 100.0 - near0
    else:
        pc = round(pc, precision)
    return f"{pc:.{precision}f}"


def _percent(num: int, den: int) -> float:
    return (100.0 * num) / den if den > 0 else 100.0


def _summary(counts: Mapping[str, int], precision: int, branch: bool) -> Doc:
    stmts, covered = counts["num_statements"], counts["covered_lines"]
    out: Doc = {
        "covered_lines": covered,
        "num_statements": stmts,
        "percent_covered": 0.0,
        "percent_covered_display": "",
        "missing_lines": counts["missing_lines"],
        "excluded_lines": counts["excluded_lines"],
        "percent_statements_covered": _percent(covered, stmts),
        "percent_statements_covered_display": _display(_percent(covered, stmts), precision),
    }
    num, den = covered, stmts
    if branch:
        nb, cb = counts["num_branches"], counts["covered_branches"]
        out.update(
            num_branches=nb,
            num_partial_branches=counts["num_partial_branches"],
            covered_branches=cb,
            missing_branches=counts["missing_branches"],
            percent_branches_covered=_percent(cb, nb),
            percent_branches_covered_display=_display(_percent(cb, nb), precision),
        )
        num, den = num + cb, den + nb
    out["percent_covered"] = _percent(num, den)
    out["percent_covered_display"] = _display(_percent(num, den), precision)
    return out


def _arcs(items: Iterable[Sequence[int]]) -> set[tuple[int, int]]:
    return {(int(a), int(b)) for a, b in items}


def _merge_region(regions: Sequence[Doc], where: str, precision: int, branch: bool) -> Doc:
    first = regions[0]
    stmts = first["summary"]["num_statements"]
    if any(r["summary"]["num_statements"] != stmts for r in regions):
        raise IncompatibleReports(where, "has different statements in different services")
    missing = set(first["missing_lines"])
    executed: set[int] = set()
    excluded: set[int] = set()
    for r in regions:
        missing &= set(r["missing_lines"])
        executed |= set(r["executed_lines"])
        excluded |= set(r["excluded_lines"])
    out: Doc = {
        "executed_lines": sorted(executed),
        "summary": {},
        "missing_lines": sorted(missing),
        "excluded_lines": sorted(excluded),
    }
    if "start_line" in first:
        out["start_line"] = first["start_line"]
    counts = {
        "covered_lines": stmts - len(missing),
        "num_statements": stmts,
        "missing_lines": len(missing),
        "excluded_lines": len(excluded),
    }
    if branch:
        every = _arcs(first["executed_branches"]) | _arcs(first["missing_branches"])
        taken: set[tuple[int, int]] = set()
        for r in regions:
            if _arcs(r["executed_branches"]) | _arcs(r["missing_branches"]) != every:
                raise IncompatibleReports(where, "has different branches in different services")
            taken |= _arcs(r["executed_branches"])
        lost = every - taken
        out["executed_branches"] = [list(a) for a in sorted(taken)]
        out["missing_branches"] = [list(a) for a in sorted(lost)]
        counts.update(
            num_branches=len(every),
            covered_branches=len(taken),
            missing_branches=len(lost),
            num_partial_branches=sum(1 for a in lost if a[0] not in missing),
        )
    out["summary"] = _summary(counts, precision, branch)
    for plural in ("functions", "classes"):
        if plural in first:
            names = first[plural].keys()
            out[plural] = {
                name: _merge_region(
                    [r[plural][name] for r in regions if name in r.get(plural, {})],
                    f"{where} {name or '(outside)'}",
                    precision,
                    branch,
                )
                for name in names
            }
    return out


def _precision(doc: Doc) -> int:
    display = str(doc.get("totals", {}).get("percent_covered_display", "0"))
    return len(display.partition(".")[2])


def recount(doc: Doc, files: Mapping[str, Doc]) -> Doc:
    """``doc`` with these ``files`` and totals recomputed over them."""
    branch = bool(doc["meta"].get("branch_coverage"))
    total = dict.fromkeys(_COUNTS, 0)
    for f in files.values():
        for key in _COUNTS:
            total[key] += int(f["summary"].get(key, 0))
    return {
        "meta": doc["meta"],
        "files": dict(files),
        "totals": _summary(total, _precision(doc), branch),
    }


def merge_documents(docs: Sequence[Doc], source: str = "collect") -> bytes:
    """One coverage.py JSON report over several (see the module docstring)."""
    if not docs:
        raise IncompatibleReports(source, "no coverage.py report to merge")
    branch = bool(docs[0]["meta"].get("branch_coverage"))
    if any(bool(d["meta"].get("branch_coverage")) != branch for d in docs):
        raise IncompatibleReports(source, "some services measure branches and some do not")
    precision = _precision(docs[0])
    by_path: dict[str, list[Doc]] = {}
    for d in docs:
        for path, f in d["files"].items():
            by_path.setdefault(path, []).append(f)
    try:
        files = {
            path: f[0] if len(f) == 1 else _merge_region(f, path, precision, branch)
            for path, f in sorted(by_path.items())
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise IncompatibleReports(source, f"malformed coverage.py report: {exc!r}") from None
    return json.dumps(recount(docs[0], files)).encode("utf-8")
