"""Istanbul ``coverage-final.json`` (and ``.nyc_output/*.json``): sniffing and building files.

Per source file (istanbul-lib-coverage 3.2.2):

* statements (the native unit, :data:`percent.ISTANBUL`): one per ``s`` entry, covered if its count
  is not 0 (``computeSimpleTotals('s')``);
* lines: a line's count is the **max** over the statements that start on it (``getLineCoverage``);
* branches per line: the ``b`` arrays of the ``branchMap`` entries whose ``line`` (or
  ``loc.start.line``) is that line (``getBranchCoverageByLine``);
* functions: one per ``f`` entry, named and placed by ``fnMap``.

Parsing a whole document (one or several files, merged) is :func:`.istanbul_merge.parse_many`.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.coverage.errors import InvalidReport
from app.coverage.model import Counts, FileCoverage, Function, LineHits
from app.coverage.parsers.istanbul_json import Checker, JSONObject, head_object_keys, start_line

FORMAT = "istanbul"

_FINAL_KEYS = ("statementMap", "fnMap", "branchMap", "s", "f", "b")


def sniff(name: str, head: bytes) -> bool:
    """A JSON object whose first value has the keys of an Istanbul file coverage object."""
    text = head_object_keys(head)
    if not text.startswith("{"):
        return False
    return '"statementMap"' in text


def file_coverage(raw: JSONObject, path: str, check: Checker) -> FileCoverage:
    """One Istanbul file coverage object as a FileCoverage (statements, lines, branches,
    functions), every value checked."""
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
        line = check.line(start_line(item), f"{where}: statementMap[{sid[:20]}].start.line")
        if count > lines.get(line, -1):
            lines[line] = count

    branches: dict[int, tuple[int, int]] = {}
    for bid, item in bmap.items():
        entry = check.obj(item, f"{where}: branchMap[{bid[:20]}]")
        line_value = entry.get("line") or start_line(entry.get("loc"))
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
        line_value = meta.get("line") or start_line(meta.get("decl")) or start_line(meta.get("loc"))
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


def file_objects(doc: object, name: str) -> Iterable[tuple[str, JSONObject]]:
    """``(path, file coverage object)`` of a final document (``path`` wins over the key)."""
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
