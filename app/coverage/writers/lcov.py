"""Write a :class:`CoverageReport` as an LCOV tracefile (``coverhub merge --format lcov``).

The output reads back with :mod:`app.coverage.parsers.lcov` into the same lines, branches and
functions, and is accepted by lcov 1.16 and 2.x. The model keeps only (covered, total) branches per
line, so each line gets ``total`` numbered ``BRDA`` entries in block 0: the first ``covered`` taken
once, the rest ``0`` (``-`` when the line itself never ran, as lcov does). ``FN`` is written
in the 1.x form without an end line, which every lcov version reads, except for a name that starts
with digits and a comma, which needs the 2.x form with an end line (the start line if unknown).
"""

from __future__ import annotations

from app.coverage.errors import InvalidReport
from app.coverage.model import CoverageReport, FileCoverage


def _check(text: str, what: str, path: str) -> str:
    if "\n" in text or "\r" in text:
        raise InvalidReport(path, f"{what} contains a line break and cannot be written as LCOV")
    return text


def _record(f: FileCoverage) -> list[str]:
    out = [f"SF:{_check(f.path, 'the path', f.path)}"]
    seen: set[str] = set()
    fn_hit = 0
    for fn in f.functions:
        name = _check(fn.name, f"function name {fn.name!r}", f.path)
        if name in seen:  # LCOV identifies functions by name; the first one wins
            continue
        seen.add(name)
        head, comma, _ = name.partition(",")
        if comma and head.strip().isascii() and head.strip().isdigit():
            # "FN:5,12,x" would read as end line 12 and name "x": spell the end line out.
            out.append(f"FN:{fn.start_line},{fn.end_line or fn.start_line},{name}")
        else:
            out.append(f"FN:{fn.start_line},{name}")
        out.append(f"FNDA:{fn.hits},{name}")
        fn_hit += fn.hits > 0
    if f.functions:
        out.append(f"FNF:{len(seen)}")
        out.append(f"FNH:{fn_hit}")
    br_found = br_hit = 0
    for line, (covered, total) in sorted(f.branches.items()):
        idle = "-" if f.lines.get(line, 0) == 0 else "0"
        for i in range(total):
            out.append(f"BRDA:{line},0,{i},{'1' if i < covered else idle}")
        br_found += total
        br_hit += covered
    if f.branches:
        out.append(f"BRF:{br_found}")
        out.append(f"BRH:{br_hit}")
    hit = 0
    for line, hits in f.lines.items_sorted():
        out.append(f"DA:{line},{hits}")
        hit += hits > 0
    out.append(f"LF:{len(f.lines)}")
    out.append(f"LH:{hit}")
    out.append("end_of_record")
    return out


def write(report: CoverageReport) -> str:
    """The whole report as one LCOV tracefile (one record per file, files sorted by path)."""
    out = ["TN:"]
    for path in sorted(report.files):
        out.extend(_record(report.files[path]))
    return "\n".join(out) + "\n"
