"""Istanbul JSON parsers (app.coverage.parsers.istanbul): final and summary files.

Real c8/nyc output is checked against the tools' own text summary in
tests/crosscheck/test_js_lcov_crosscheck.py; here: the rules of istanbul-lib-coverage 3.2.2 on small
hand-made files, its merge (expected values computed by istanbul-lib-coverage itself, see
``MERGE_CASE``), the summary file, and hostile input.
"""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest

from app.coverage import percent
from app.coverage.errors import InvalidReport, LimitExceeded
from app.coverage.model import Counts, CoverageReport, Function
from app.coverage.parsers import istanbul
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits

pytestmark = pytest.mark.unit

NAME = "artifacts/coverage-final.json"


def loc(sl: int, sc: int, el: int, ec: int) -> dict[str, Any]:
    return {"start": {"line": sl, "column": sc}, "end": {"line": el, "column": ec}}


def file_obj(path: str = "/src/a.js", **over: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "path": path,
        "statementMap": {
            "0": loc(1, 0, 1, 20),
            "1": loc(2, 2, 2, 10),
            "2": loc(2, 12, 2, 30),  # a second statement starting on line 2
            "3": loc(4, 2, 4, 9),
        },
        "s": {"0": 1, "1": 0, "2": 7, "3": 0},
        "fnMap": {
            "0": {"name": "main", "decl": loc(1, 9, 1, 13), "loc": loc(1, 0, 5, 1), "line": 1},
            "1": {"name": "(anonymous_1)", "decl": loc(4, 2, 4, 3), "loc": loc(4, 2, 4, 9)},
        },
        "f": {"0": 1, "1": 0},
        "branchMap": {
            "0": {
                "loc": loc(2, 2, 2, 30),
                "type": "binary-expr",
                "locations": [loc(2, 2, 2, 10), loc(2, 12, 2, 30)],
                "line": 2,
            },
            # no "line": Istanbul falls back to loc.start.line
            "1": {"loc": loc(4, 2, 4, 9), "type": "if", "locations": [loc(4, 2, 4, 9), {}]},
            "2": {"loc": loc(2, 0, 2, 1), "type": "cond-expr", "locations": [], "line": 2},
        },
        "b": {"0": [1, 0], "1": [0, 0], "2": [4]},
    }
    obj.update(over)
    return obj


def dump(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def parse(doc: Any, limits: Limits = DEFAULT_LIMITS) -> CoverageReport:
    data = doc if isinstance(doc, bytes) else dump(doc)
    return istanbul.parse(io.BytesIO(data), NAME, limits)


# --------------------------------------------------------------------------------------------
# detection


def test_sniff() -> None:
    assert istanbul.sniff("x.json", dump({"/a.js": file_obj()}))
    assert istanbul.sniff("x.json", b"\xef\xbb\xbf " + dump({"/a.js": file_obj()}))
    assert not istanbul.sniff("x.json", b'{"meta": {"version": "7.6"}, "files": {}}')
    assert not istanbul.sniff("x.json", b'{"parent": null, "pid": 1, "argv": []}')  # processinfo
    summary = b'{"total": {"lines": {"total": 1, "covered": 1, "skipped": 0, "pct": 100}}}'
    assert istanbul.sniff_summary("coverage-summary.json", summary)
    assert not istanbul.sniff_summary("x.json", dump({"/a.js": file_obj()}))
    assert not istanbul.sniff("coverage-summary.json", summary)
    assert istanbul.SUMMARY.FORMAT == "istanbul-summary"
    assert istanbul.SUMMARY.sniff("x", summary)


# --------------------------------------------------------------------------------------------
# the model of one file


def test_lines_branches_functions_statements() -> None:
    report = parse({"/src/a.js": file_obj()})
    f = report.files["/src/a.js"]
    # line count = max over statements starting on the line (0 and 7 on line 2)
    assert dict(f.lines) == {1: 1, 2: 7, 4: 0}
    # branches per line: concatenated b arrays of the branchMap entries on that line
    assert f.branches == {2: (2, 3), 4: (0, 2)}
    assert f.functions == (Function("main", 1, 1), Function("(anonymous_1)", 4, 0))
    assert f.native == Counts(2, 4)
    assert report.format == "istanbul" and report.unit == "statements"
    assert report.rule == percent.ISTANBUL
    m = istanbul.metrics(report)
    assert m == istanbul.Metrics(
        statements=Counts(2, 4), branches=Counts(2, 5), functions=Counts(1, 2), lines=Counts(2, 3)
    )
    assert istanbul.text_summary(report).splitlines() == [
        "Statements   : 50% ( 2/4 )",
        "Branches     : 40% ( 2/5 )",
        "Functions    : 50% ( 1/2 )",
        "Lines        : 66.66% ( 2/3 )",
    ]


def test_istanbul_floor_rule() -> None:
    # Math.floor((1000*100*c/t)/10)/100: 2/3 -> 66.66 (not 66.67), 1/1 -> "100"
    assert percent.ISTANBUL.display(2, 3) == "66.66%"
    assert percent.ISTANBUL.display(1, 1) == "100%"
    assert percent.ISTANBUL.display(0, 0) == "100%"
    assert percent.ISTANBUL.display(139, 144) == "96.52%"


def test_path_field_wins_over_the_key_and_counts_without_statement_are_ignored() -> None:
    obj = file_obj(path="/real/path.js")
    obj["s"]["99"] = 5  # no statementMap entry: counted as a statement, no line
    f = parse({"/key.js": obj}).files["/real/path.js"]
    assert f.native == Counts(3, 5)
    assert dict(f.lines) == {1: 1, 2: 7, 4: 0}


def test_empty_document_and_text_summary_unknown() -> None:
    report = parse({})
    assert report.files == {}
    assert report.native_display() == "100%"
    assert istanbul.text_summary(report).splitlines()[0] == "Statements   : Unknown% ( 0/0 )"


# --------------------------------------------------------------------------------------------
# merging (istanbul-lib-coverage 3.2.2 FileCoverage.merge)

# Two coverage objects of one file whose maps differ. Expected values computed with the real
# library (node, istanbul-lib-coverage 3.2.2 from .cache/npm-tools):
#   const m = createCoverageMap({"/p/x.js": a}); m.merge({"/p/x.js": b});
#   fc.s -> {"0":3,"1":6,"2":0,"3":1,"4":1}; fc.f -> {"0":1,"1":1}; fc.b -> {"0":[3,1],"1":[0,1,0]}
#   getLineCoverage() -> {"1":3,"2":6,"3":1,"5":0,"6":1}
#   getBranchCoverageByLine() -> {"5": 2 of 2, "6": 1 of 3}
#   toSummary(): statements 4/5, branches 3/5, functions 2/2, lines 4/5
# What it shows: a's statements 1 and 2 share a location, so the later one (4 hits) stands for
# both; items only one side has get the hits of the other side's narrowest container (b's
# statement on line 3, function g and branch 1 inherit from a's function-wide statement,
# function f and if-branch).
MERGE_A = {
    "path": "/p/x.js",
    "statementMap": {
        "0": loc(1, 0, 9, 1),
        "1": loc(2, 2, 2, 20),
        "2": loc(2, 2, 2, 20),
        "3": loc(5, 2, 5, 9),
    },
    "s": {"0": 1, "1": 0, "2": 4, "3": 0},
    "fnMap": {"0": {"name": "f", "decl": loc(1, 9, 1, 10), "loc": loc(1, 0, 9, 1), "line": 1}},
    "f": {"0": 1},
    "branchMap": {
        "0": {
            "loc": loc(5, 2, 7, 3),
            "type": "if",
            "locations": [loc(5, 2, 7, 3), {"start": {}, "end": {}}],
            "line": 5,
        }
    },
    "b": {"0": [0, 1]},
}
MERGE_B = {
    "path": "/p/x.js",
    "statementMap": {
        "0": loc(1, 0, 9, 1),
        "1": loc(3, 4, 3, 8),
        "2": loc(5, 2, 5, 9),
        "3": loc(6, 4, 6, 9),
    },
    "s": {"0": 2, "1": 0, "2": 0, "3": 0},
    "fnMap": {
        "0": {"name": "f", "decl": loc(1, 9, 1, 10), "loc": loc(1, 0, 9, 1), "line": 1},
        "1": {"name": "g", "decl": loc(6, 9, 6, 10), "loc": loc(6, 4, 6, 9), "line": 6},
    },
    "f": {"0": 0, "1": 0},
    "branchMap": {
        "0": {
            "loc": loc(5, 2, 7, 3),
            "type": "if",
            "locations": [loc(5, 2, 7, 3), {"start": {}, "end": {}}],
            "line": 5,
        },
        "1": {
            "loc": loc(6, 4, 6, 9),
            "type": "cond-expr",
            "locations": [loc(6, 4, 6, 5), loc(6, 7, 6, 9)],
            "line": 6,
        },
    },
    "b": {"0": [3, 0], "1": [0, 0, 0]},
}


def test_merge_final_matches_istanbul_lib_coverage() -> None:
    merged = istanbul.merge_final(copy.deepcopy(MERGE_A), copy.deepcopy(MERGE_B))
    assert merged["s"] == {"0": 3, "1": 6, "2": 0, "3": 1, "4": 1}
    assert merged["f"] == {"0": 1, "1": 1}
    assert merged["b"] == {"0": [3, 1], "1": [0, 1, 0]}


def test_parse_many_merges_at_istanbul_level() -> None:
    report = istanbul.parse_many(
        [
            (io.BytesIO(dump({"/p/x.js": MERGE_A})), "a.json"),
            (io.BytesIO(dump({"/p/x.js": MERGE_B})), "b.json"),
        ]
    )
    f = report.files["/p/x.js"]
    assert dict(f.lines) == {1: 3, 2: 6, 3: 1, 5: 0, 6: 1}
    assert f.branches == {5: (2, 2), 6: (1, 3)}
    assert istanbul.metrics(report) == istanbul.Metrics(
        statements=Counts(4, 5), branches=Counts(3, 5), functions=Counts(2, 2), lines=Counts(4, 5)
    )


def test_merge_of_identical_maps_sums_counts() -> None:
    merged = istanbul.merge_final(file_obj(), file_obj())
    assert merged["s"] == {"0": 2, "1": 0, "2": 14, "3": 0}
    assert merged["b"] == {"0": [2, 0], "1": [0, 0], "2": [8]}


def test_all_true_placeholder_gives_way_to_real_data() -> None:
    placeholder = file_obj(all=True, s={"0": 0, "1": 0, "2": 0, "3": 0})
    real = file_obj()
    assert istanbul.merge_final(placeholder, real) is real
    assert istanbul.merge_final(real, placeholder) is real


def test_merge_budget_is_enforced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(istanbul, "MAX_MERGE_WORK", 3)
    with pytest.raises(LimitExceeded, match=r"b\.json: /p/x\.js: merging needs more than 3"):
        istanbul.parse_many(
            [
                (io.BytesIO(dump({"/p/x.js": MERGE_A})), "a.json"),
                (io.BytesIO(dump({"/p/x.js": MERGE_B})), "b.json"),
            ]
        )


# --------------------------------------------------------------------------------------------
# hostile input


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"/a.js": {"s": {"0": NaN}}}', "invalid JSON"),
        (b'{"/a.js": {"s": {"0": Infinity}}}', "invalid JSON"),
        (b'{"/a.js": {"s": {"0": -Infinity}}}', "invalid JSON"),
        (b'{"/a.js": {"path": "/a.js", "statementMap"', "invalid JSON"),  # truncated
        (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
        (b'{"/caf\xe9.js": {}}', "not valid UTF-8"),
        (b'{"x": ' + b"9" * 5000 + b"}", "invalid JSON"),  # beyond int-string conversion limit
        (b"[1, 2]", "JSON object keyed by path"),
        (b'{"/a.js": {"path": "/a.js", "s": {}}}', "missing statementMap, fnMap"),
    ],
)
def test_malformed_json(raw: bytes, message: str) -> None:
    with pytest.raises(InvalidReport) as exc:
        parse(raw)
    assert exc.value.source == NAME
    assert message in exc.value.problem


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("s", 1.0, "count must be a non-negative integer, not 1.0"),
        ("s", 0.5, "count must be a non-negative integer"),
        ("s", True, "count must be a non-negative integer, not True"),
        ("s", "3", "count must be a non-negative integer"),
        ("s", None, "count must be a non-negative integer"),
        ("s", -1, "negative count -1"),
        ("f", -2, "negative count -2"),
        ("b", [1, -1], "negative count -1"),
        ("b", [1, 2.5], "count must be a non-negative integer"),
        ("b", 3, "must be an array of counts"),
    ],
)
def test_bad_counts_name_the_file_and_the_item(where: str, value: Any, message: str) -> None:
    obj = file_obj()
    obj[where]["0"] = value
    with pytest.raises(InvalidReport) as exc:
        parse({"/src/a.js": obj})
    assert exc.value.source == NAME
    assert f"/src/a.js: {where}[0]" in exc.value.problem
    assert message in exc.value.problem


def test_count_limit() -> None:
    obj = file_obj()
    obj["s"]["0"] = 11
    with pytest.raises(LimitExceeded, match="count 11 exceeds 10"):
        parse({"/src/a.js": obj}, Limits(max_count=10))
    obj["s"]["0"] = 2**70
    with pytest.raises(LimitExceeded):
        parse({"/src/a.js": obj})


def test_line_numbers_at_and_past_the_limit() -> None:
    limits = Limits(max_line_number=100)
    obj = file_obj()
    obj["statementMap"]["0"] = loc(100, 0, 100, 1)
    assert 100 in parse({"/src/a.js": obj}, limits).files["/src/a.js"].lines
    obj["statementMap"]["0"] = loc(101, 0, 101, 1)
    with pytest.raises(LimitExceeded, match=r"statementMap\[0\]\.start\.line: line 101 exceeds"):
        parse({"/src/a.js": obj}, limits)
    obj = file_obj()
    obj["branchMap"]["0"]["line"] = 10**12
    with pytest.raises(LimitExceeded, match=r"branchMap\[0\]\.line"):
        parse({"/src/a.js": obj})
    obj = file_obj()
    obj["fnMap"]["0"]["line"] = 10**12
    with pytest.raises(LimitExceeded, match=r"fnMap\[0\]\.line"):
        parse({"/src/a.js": obj})


@pytest.mark.parametrize("line", [0, -4, 1.5, "7", None])
def test_bad_statement_lines(line: Any) -> None:
    obj = file_obj()
    obj["statementMap"]["0"] = {"start": {"line": line, "column": 0}, "end": {}}
    with pytest.raises(InvalidReport, match=r"statementMap\[0\]\.start\.line"):
        parse({"/src/a.js": obj})


def test_function_count_without_fnmap_entry() -> None:
    obj = file_obj()
    obj["f"]["9"] = 1
    with pytest.raises(InvalidReport, match=r"fnMap\[9\]: missing for a counted function"):
        parse({"/src/a.js": obj})


def test_size_file_and_line_limits() -> None:
    doc = {"/a.js": file_obj("/a.js"), "/b.js": file_obj("/b.js")}
    with pytest.raises(LimitExceeded, match="exceeds 100 bytes"):
        parse(doc, Limits(max_bytes=100))
    with pytest.raises(LimitExceeded, match="more than 1 source files"):
        parse(doc, Limits(max_files=1))
    with pytest.raises(LimitExceeded, match="more than 5 measured lines"):
        parse(doc, Limits(max_lines=5))


def test_unicode_paths_survive() -> None:
    report = parse({"/src/ç/日本.js": file_obj("/src/ç/日本.js")})
    assert list(report.files) == ["/src/ç/日本.js"]


# --------------------------------------------------------------------------------------------
# coverage-summary.json


def metric(covered: int, total: int, pct: Any = None) -> dict[str, Any]:
    if pct is None:
        pct = percent.ISTANBUL.percent(covered, total)
    return {"total": total, "covered": covered, "skipped": 0, "pct": pct}


def entry(s: tuple[int, int], **over: Any) -> dict[str, Any]:
    e = {
        "lines": metric(1, 2),
        "statements": metric(*s),
        "functions": metric(0, 0, "Unknown"),
        "branches": metric(0, 0, 100),
    }
    e.update(over)
    return e


def parse_summary(doc: Any) -> CoverageReport:
    return istanbul.parse_summary(io.BytesIO(dump(doc)), "coverage-summary.json")


def test_summary_files_native_and_total_override() -> None:
    doc = {"total": entry((5, 9)), "/a.js": entry((2, 4)), "/b.js": entry((2, 4))}
    report = parse_summary(doc)
    assert report.format == "istanbul-summary" and report.unit == "statements"
    assert {p: f.native for p, f in report.files.items()} == {
        "/a.js": Counts(2, 4),
        "/b.js": Counts(2, 4),
    }
    # the total comes from "total", not from the sum of the files
    assert report.native_totals() == Counts(5, 9)
    assert report.native_display() == "55.55%"
    assert dict(report.files["/a.js"].lines) == {}


def test_summary_metrics_all_four() -> None:
    doc = {"total": entry((5, 9), branchesTrue=metric(0, 0, "Unknown"))}
    m = istanbul.summary_metrics(io.BytesIO(dump(doc)), "s.json")["total"]
    assert m == istanbul.Metrics(Counts(5, 9), Counts(0, 0), Counts(0, 0), Counts(1, 2))


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"/a.js": entry((1, 1))}, "no 'total' entry"),
        ({"total": entry((3, 2))}, "covered 3 exceeds total 2"),
        ({"total": entry((1, 2), lines=metric(1, 2, "n/a"))}, "must be a number or 'Unknown'"),
        ({"total": entry((1, 2), lines=metric(-1, 2))}, "negative count -1"),
        ({"total": entry((1, 2), lines={"total": 2.0, "covered": 1, "pct": 50})}, "integer"),
        ({"total": {"lines": metric(1, 1)}}, "missing 'statements'"),
        ({"total": 3}, "must be a JSON object"),
    ],
)
def test_summary_errors(doc: Any, message: str) -> None:
    with pytest.raises(InvalidReport) as exc:
        parse_summary(doc)
    assert exc.value.source == "coverage-summary.json"
    assert message in exc.value.problem


def test_summary_nan_pct_is_refused() -> None:
    raw = b'{"total": {"lines": {"total": 0, "covered": 0, "skipped": 0, "pct": NaN}}}'
    with pytest.raises(InvalidReport, match="invalid JSON"):
        istanbul.parse_summary(io.BytesIO(raw), "s.json")
