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
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from app.coverage import percent
from app.coverage.errors import InvalidReport, LimitExceeded
from app.coverage.model import MAX_COUNT, Counts, CoverageReport, FileCoverage, Function, LineHits
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits

FORMAT = "istanbul"
SUMMARY_FORMAT = "istanbul-summary"

#: Work budget for merging items that only one side identifies (Istanbul's nearest-container
#: search is quadratic): unmatched items x candidate containers, per file.
MAX_MERGE_WORK = 50_000_000

_FINAL_KEYS = ("statementMap", "fnMap", "branchMap", "s", "f", "b")
_METRICS = ("lines", "statements", "functions", "branches")

JSONObject = dict[str, Any]


# -- reading JSON safely -----------------------------------------------------------------------


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number that coverage can have")


def _load(stream: BinaryIO, name: str, limits: Limits) -> Any:
    data = stream.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise LimitExceeded(name, f"input exceeds {limits.max_bytes} bytes")
    try:
        return json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        raise InvalidReport(name, "JSON nested too deeply") from None
    except UnicodeDecodeError:
        raise InvalidReport(name, "not valid UTF-8 JSON") from None
    except ValueError as exc:  # json.JSONDecodeError, NaN/Infinity, giant integers
        raise InvalidReport(name, f"invalid JSON: {exc}") from None


def _head_object_keys(head: bytes) -> str:
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().decode("utf-8", "replace")


def sniff(name: str, head: bytes) -> bool:
    """A JSON object whose first value has the keys of an Istanbul file coverage object."""
    text = _head_object_keys(head)
    if not text.startswith("{"):
        return False
    return '"statementMap"' in text


def sniff_summary(name: str, head: bytes) -> bool:
    """``{"total": {"lines": {"total": ..., "covered": ..., "skipped": ..., "pct": ...}, ...``."""
    text = "".join(_head_object_keys(head).split())
    return text.startswith('{"total":{"') and '"pct":' in text and '"covered":' in text


# -- validation helpers ------------------------------------------------------------------------


class _Checker:
    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits

    def invalid(self, where: str, problem: str) -> InvalidReport:
        return InvalidReport(self.name, f"{where}: {problem}")

    def count(self, value: object, where: str) -> int:
        if type(value) is not int:
            raise self.invalid(where, f"count must be a non-negative integer, not {value!r:.40}")
        if value < 0:
            raise self.invalid(where, f"negative count {value}")
        if value > self.limits.max_count:
            raise LimitExceeded(
                self.name, f"{where}: count {value} exceeds {self.limits.max_count}"
            )
        return value

    def line(self, value: object, where: str) -> int:
        if type(value) is not int:
            raise self.invalid(where, f"line must be an integer, not {value!r:.40}")
        if value > self.limits.max_line_number:
            raise LimitExceeded(
                self.name, f"{where}: line {value} exceeds the limit {self.limits.max_line_number}"
            )
        if value < 1:
            raise self.invalid(where, f"line {value} is not a line number")
        return value

    def obj(self, value: object, where: str) -> JSONObject:
        if not isinstance(value, dict):
            raise self.invalid(where, "must be a JSON object")
        return value


def _start_line(entry: object) -> object:
    """``x.start.line`` of a location, or a sentinel the checker rejects."""
    if isinstance(entry, dict):
        start = entry.get("start")
        if isinstance(start, dict):
            return start.get("line")
    return None


# -- Istanbul's merge (istanbul-lib-coverage 3.2.2 file-coverage.js) ---------------------------


def _js(value: object) -> str:
    """``String(value)`` as JavaScript would print it in a template literal."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    return "[object Object]"


_MISSING = object()


def _loc_key(loc: object) -> str:
    """``keyFromLoc``: ``start.line|start.column|end.line|end.column`` (missing → undefined)."""
    parts: list[str] = []
    for end in ("start", "end"):
        pos = loc.get(end, _MISSING) if isinstance(loc, dict) else _MISSING
        for field in ("line", "column"):
            value = pos.get(field, _MISSING) if isinstance(pos, dict) else _MISSING
            parts.append("undefined" if value is _MISSING else _js(value))
    return "|".join(parts)


def _js_entries(obj: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """``Object.entries`` order: array-index keys ascending, then the rest in insertion order."""
    index_keys = sorted(
        (k for k in obj if k.isascii() and k.isdigit() and (k == "0" or k[0] != "0")), key=int
    )
    index_set = set(index_keys)
    return [(k, obj[k]) for k in index_keys] + [
        (k, v) for k, v in obj.items() if k not in index_set
    ]


def _is_linecol(o: object) -> bool:
    return (
        isinstance(o, dict)
        and type(o.get("line")) in (int, float)
        and type(o.get("column")) in (int, float)
    )


def _get_loc(o: object) -> JSONObject | None:
    if isinstance(o, dict):
        if _is_linecol(o.get("start")) and _is_linecol(o.get("end")):
            return o
        loc = o.get("loc")
        if isinstance(loc, dict) and _is_linecol(loc.get("start")) and _is_linecol(loc.get("end")):
            return loc
    return None


def _nearest_container(item: object, mapping: Mapping[str, Any]) -> str | None:
    item_loc = _get_loc(item)
    if item_loc is None:
        return None
    best: list[float] | None = None
    best_key: str | None = None
    for key, map_item in _js_entries(mapping):
        map_loc = _get_loc(map_item)
        if map_loc is None:
            continue
        d = [
            item_loc["start"]["line"] - map_loc["start"]["line"],
            item_loc["start"]["column"] - map_loc["start"]["column"],
            map_loc["end"]["line"] - item_loc["end"]["line"],
            map_loc["end"]["column"] - item_loc["end"]["column"],
        ]
        if d[0] < 0 or d[2] < 0 or (d[0] == 0 and d[1] < 0) or (d[2] == 0 and d[3] < 0):
            continue
        if best is None:
            best, best_key = d, key
            continue
        closer_before = d[0] < best[0] or (d[0] == 0 and d[1] < best[1])
        closer_after = d[2] < best[2] or (d[2] == 0 and d[3] < best[3])
        if closer_before or closer_after:
            best, best_key = d, key
    return best_key


def _add_hits(a: object, b: object) -> object:
    if type(a) is int and type(b) is int:
        return min(a + b, MAX_COUNT)
    if isinstance(a, list) and isinstance(b, list):
        return [
            min((x or 0) + (b[i] if i < len(b) and b[i] else 0), MAX_COUNT) for i, x in enumerate(a)
        ]
    return None


def _merge_prop(
    a_hits: JSONObject,
    a_map: JSONObject,
    b_hits: JSONObject,
    b_map: JSONObject,
    item_key: Callable[[Any], str],
    budget: list[int],
) -> tuple[JSONObject, JSONObject]:
    def items(hits: JSONObject, mapping: JSONObject) -> dict[str, tuple[object, object]]:
        out: dict[str, tuple[object, object]] = {}
        for key, value in _js_entries(hits):
            item = mapping.get(key)
            out[item_key(item)] = (value, item)
        return out

    def with_container(
        item: object, hits: object, mapping: JSONObject, m_hits: JSONObject
    ) -> object:
        budget[0] -= len(mapping)
        if budget[0] < 0:
            raise _BudgetExceeded
        container = _nearest_container(item, mapping)
        if container:  # a JavaScript truthiness test on the key string
            return _add_hits(hits, m_hits.get(container))
        return hits

    a_items = items(a_hits, a_map)
    b_items = items(b_hits, b_map)
    merged: dict[str, tuple[object, object]] = {}
    for key, (hits, item) in a_items.items():
        other = b_items.get(key)
        if other is None:
            merged[key] = (with_container(item, hits, b_map, b_hits), item)
        else:
            merged[key] = (_add_hits(hits, other[0]), item)
    for key, (hits, item) in b_items.items():
        if key in merged:
            continue
        merged[key] = (with_container(item, hits, a_map, a_hits), item)
    out_hits: JSONObject = {}
    out_map: JSONObject = {}
    for i, (hits, item) in enumerate(merged.values()):
        out_hits[str(i)] = hits
        out_map[str(i)] = item
    return out_hits, out_map


class _BudgetExceeded(Exception):
    pass


def _first_location(item: object) -> object:
    locations = item.get("locations") if isinstance(item, dict) else None
    return locations[0] if isinstance(locations, list) and locations else None


def merge_final(a: JSONObject, b: JSONObject) -> JSONObject:
    """Merge two Istanbul file coverage objects of one file as istanbul-lib-coverage 3.2.2 does.

    Statements are matched by location, functions by ``loc``, branches by their first location;
    matched counts are summed (branch arrays element-wise); an item only one side has gets the
    counts of the other side's narrowest item that contains it. ``all: true`` (a placeholder for a
    file no test loaded) gives way to real data.
    """
    if b.get("all") is True:
        return a
    if a.get("all") is True:
        return b
    budget = [MAX_MERGE_WORK]

    def fn_key(x: object) -> str:
        return _loc_key(x.get("loc") if isinstance(x, dict) else None)

    def br_key(x: object) -> str:
        return _loc_key(_first_location(x))

    out = dict(a)
    out["s"], out["statementMap"] = _merge_prop(
        a["s"], a["statementMap"], b["s"], b["statementMap"], _loc_key, budget
    )
    out["f"], out["fnMap"] = _merge_prop(a["f"], a["fnMap"], b["f"], b["fnMap"], fn_key, budget)
    out["b"], out["branchMap"] = _merge_prop(
        a["b"], a["branchMap"], b["b"], b["branchMap"], br_key, budget
    )
    return out


# -- building the report -----------------------------------------------------------------------


def _file(raw: JSONObject, path: str, check: _Checker) -> FileCoverage:
    where = path[:200]
    smap = check.obj(raw["statementMap"], f"{where}: statementMap")
    fmap = check.obj(raw["fnMap"], f"{where}: fnMap")
    bmap = check.obj(raw["branchMap"], f"{where}: branchMap")
    s = check.obj(raw["s"], f"{where}: s")
    f = check.obj(raw["f"], f"{where}: f")
    b = check.obj(raw["b"], f"{where}: b")

    lines: dict[int, int] = {}
    covered = 0
    for sid, value in s.items():
        count = check.count(value, f"{where}: s[{sid[:20]}]")
        covered += count > 0
        item = smap.get(sid)
        if item is None:  # Istanbul ignores a count without a statement (getLineCoverage)
            continue
        line = check.line(_start_line(item), f"{where}: statementMap[{sid[:20]}].start.line")
        if count > lines.get(line, -1):
            lines[line] = count

    branches: dict[int, tuple[int, int]] = {}
    for bid, item in bmap.items():
        entry = check.obj(item, f"{where}: branchMap[{bid[:20]}]")
        line_value = entry.get("line") or _start_line(entry.get("loc"))
        line = check.line(line_value, f"{where}: branchMap[{bid[:20]}].line")
        counts = b.get(bid)
        if not isinstance(counts, list):
            raise check.invalid(f"{where}: b[{bid[:20]}]", "must be an array of counts")
        hit = 0
        for i, value in enumerate(counts):
            hit += check.count(value, f"{where}: b[{bid[:20]}][{i}]") > 0
        c, t = branches.get(line, (0, 0))
        branches[line] = (c + hit, t + len(counts))

    functions: list[Function] = []
    for fid, value in f.items():
        count = check.count(value, f"{where}: f[{fid[:20]}]")
        meta = fmap.get(fid)
        if not isinstance(meta, dict):
            raise check.invalid(f"{where}: fnMap[{fid[:20]}]", "missing for a counted function")
        line_value = (
            meta.get("line") or _start_line(meta.get("decl")) or _start_line(meta.get("loc"))
        )
        line = check.line(line_value, f"{where}: fnMap[{fid[:20]}].line")
        name = meta.get("name")
        functions.append(
            Function(
                name=name if isinstance(name, str) else "(anonymous)", start_line=line, hits=count
            )
        )

    return FileCoverage(
        path=path,
        lines=LineHits.from_mapping(lines),
        branches=dict(sorted(branches.items())),
        functions=tuple(functions),
        native=Counts(covered, len(s)),
    )


def _file_objects(doc: object, name: str) -> Iterable[tuple[str, JSONObject]]:
    if not isinstance(doc, dict):
        raise InvalidReport(name, "an Istanbul coverage file is a JSON object keyed by path")
    for key, value in doc.items():
        if not isinstance(value, dict) or any(k not in value for k in _FINAL_KEYS):
            missing = [k for k in _FINAL_KEYS if not isinstance(value, dict) or k not in value]
            raise InvalidReport(
                name, f"{key[:200]!r} is not a file coverage object (missing {', '.join(missing)})"
            )
        path = value.get("path")
        yield (path if isinstance(path, str) and path else key), value


def parse_many(
    inputs: Iterable[tuple[BinaryIO, str]], limits: Limits = DEFAULT_LIMITS
) -> CoverageReport:
    """Parse and merge several final files (``nyc report`` over a ``.nyc_output`` directory)."""
    merged: dict[str, JSONObject] = {}
    names: dict[str, str] = {}
    for stream, name in inputs:
        for path, raw in _file_objects(_load(stream, name, limits), name):
            previous = merged.get(path)
            if previous is None:
                if len(merged) >= limits.max_files:
                    raise LimitExceeded(name, f"more than {limits.max_files} source files")
                merged[path] = raw
                names[path] = name
                continue
            try:
                merged[path] = merge_final(previous, raw)
            except _BudgetExceeded:
                raise LimitExceeded(
                    name, f"{path[:200]}: merging needs more than {MAX_MERGE_WORK} comparisons"
                ) from None
            except (TypeError, KeyError, AttributeError):
                raise InvalidReport(name, f"{path[:200]}: cannot be merged") from None
            names[path] = name
    files: dict[str, FileCoverage] = {}
    total_lines = 0
    for path, raw in merged.items():
        fc = _file(raw, path, _Checker(names[path], limits))
        total_lines += len(fc.lines)
        if total_lines > limits.max_lines:
            raise LimitExceeded(names[path], f"more than {limits.max_lines} measured lines")
        files[path] = fc
    return CoverageReport(format=FORMAT, unit="statements", rule=percent.ISTANBUL, files=files)


def parse(stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS) -> CoverageReport:
    """Parse one ``coverage-final.json`` (or ``.nyc_output/*.json``) from a binary stream."""
    return parse_many([(stream, name)], limits)


# -- summaries ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Metrics:
    """The four metrics of Istanbul's text summary."""

    statements: Counts
    branches: Counts
    functions: Counts
    lines: Counts


def metrics(report: CoverageReport) -> Metrics:
    """Statements, branches, functions and lines of a final-file report, as Istanbul counts them."""
    functions = Counts()
    for f in report.files.values():
        functions = functions + f.function_totals()
    lines = report.line_totals()
    return Metrics(
        statements=report.native_totals(),
        branches=report.branch_totals(),
        functions=functions,
        lines=Counts(lines.covered, lines.total),
    )


def text_summary(report: CoverageReport) -> str:
    """The body of Istanbul's ``text-summary`` reporter (without its ``====`` frame)."""
    m = metrics(report)
    rows = []
    for label, counts in (
        ("Statements", m.statements),
        ("Branches", m.branches),
        ("Functions", m.functions),
        ("Lines", m.lines),
    ):
        shown = percent.ISTANBUL.display(counts.covered, counts.total)
        if not report.files:
            shown = "Unknown%"  # istanbul-lib-coverage blankSummary()
        rows.append(f"{label:<12} : {shown} ( {counts.covered}/{counts.total} )")
    return "\n".join(rows)


def _summary_counts(value: object, where: str, check: _Checker) -> Counts:
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
    check = _Checker(name, limits)
    doc = check.obj(_load(stream, name, limits), "document")
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
    check = _Checker(name, limits)
    doc = check.obj(_load(stream, name, limits), "document")
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
