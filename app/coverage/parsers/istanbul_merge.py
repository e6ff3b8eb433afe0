"""Istanbul-level merging of final files (istanbul-lib-coverage 3.2.2 file-coverage.js).

:func:`merge_final` follows ``FileCoverage.merge``; :func:`parse_many` merges several final files
the way ``nyc report`` does with several ``.nyc_output`` files, then builds the report. The
generic line-level merge would get branches wrong (it cannot know which branch of a line was
taken in which run). Items only one side identifies cost a quadratic search, bounded by a work
budget (``max_work``, default :data:`MAX_MERGE_WORK`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, BinaryIO

from app.coverage import percent
from app.coverage.errors import InvalidReport, LimitExceeded
from app.coverage.model import MAX_COUNT, CoverageReport, FileCoverage
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits
from app.coverage.parsers.istanbul_final import FORMAT, file_coverage, file_objects
from app.coverage.parsers.istanbul_json import Checker, JSONObject, load_json

#: Work budget for merging items that only one side identifies (Istanbul's nearest-container
#: search is quadratic): unmatched items x candidate containers, per file.
MAX_MERGE_WORK = 50_000_000


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


def merge_final(a: JSONObject, b: JSONObject, max_work: int | None = None) -> JSONObject:
    """Merge two Istanbul file coverage objects of one file as istanbul-lib-coverage 3.2.2 does.

    Statements are matched by location, functions by ``loc``, branches by their first location;
    matched counts are summed (branch arrays element-wise); an item only one side has gets the
    counts of the other side's narrowest item that contains it. ``all: true`` (a placeholder for a
    file no test loaded) gives way to real data. ``max_work`` bounds the search for the
    containers of unmatched items (default :data:`MAX_MERGE_WORK`).
    """
    if b.get("all") is True:
        return a
    if a.get("all") is True:
        return b
    budget = [MAX_MERGE_WORK if max_work is None else max_work]

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


def parse_many(
    inputs: Iterable[tuple[BinaryIO, str]],
    limits: Limits = DEFAULT_LIMITS,
    max_work: int | None = None,
) -> CoverageReport:
    """Parse and merge several final files (``nyc report`` over a ``.nyc_output`` directory);
    ``max_work`` is the merge budget per file (default :data:`MAX_MERGE_WORK`)."""
    work = MAX_MERGE_WORK if max_work is None else max_work
    merged: dict[str, JSONObject] = {}
    names: dict[str, str] = {}
    for stream, name in inputs:
        for path, raw in file_objects(load_json(stream, name, limits), name):
            previous = merged.get(path)
            if previous is None:
                if len(merged) >= limits.max_files:
                    raise LimitExceeded(name, f"more than {limits.max_files} source files")
                merged[path] = raw
                names[path] = name
                continue
            try:
                merged[path] = merge_final(previous, raw, work)
            except _BudgetExceeded:
                raise LimitExceeded(
                    name, f"{path[:200]}: merging needs more than {work} comparisons"
                ) from None
            except (TypeError, KeyError, AttributeError):
                raise InvalidReport(name, f"{path[:200]}: cannot be merged") from None
            names[path] = name
    files: dict[str, FileCoverage] = {}
    total_lines = 0
    for path, raw in merged.items():
        fc = file_coverage(raw, path, Checker(names[path], limits))
        total_lines += len(fc.lines)
        if total_lines > limits.max_lines:
            raise LimitExceeded(names[path], f"more than {limits.max_lines} measured lines")
        files[path] = fc
    return CoverageReport(format=FORMAT, unit="statements", rule=percent.ISTANBUL, files=files)
