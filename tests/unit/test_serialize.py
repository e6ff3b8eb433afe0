"""The stored normalised report reads back equal to what was written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.coverage.errors import InvalidReport
from app.coverage.model import Counts, CoverageReport, FileCoverage, Function, GoBlock, LineHits
from app.coverage.percent import GO, coveragepy
from app.coverage.serialize import from_json, to_json

lines = st.dictionaries(st.integers(1, 10_000_000), st.integers(0, 2**63 - 1), max_size=30)


@st.composite
def files(draw: st.DrawFn) -> FileCoverage:
    hits = draw(lines)
    branch_lines = draw(st.lists(st.sampled_from(sorted(hits)), unique=True)) if hits else []
    branches = {}
    for ln in branch_lines:
        total = draw(st.integers(1, 8))
        branches[ln] = (draw(st.integers(0, total)), total)
    return FileCoverage(
        path=draw(st.text(min_size=1, max_size=20)),
        lines=LineHits.from_mapping(hits),
        branches=branches,
        functions=tuple(
            draw(
                st.lists(
                    st.builds(
                        Function,
                        st.text(max_size=8),
                        st.integers(1, 99),
                        st.integers(0, 9),
                        st.none() | st.integers(1, 99),
                    ),
                    max_size=3,
                )
            )
        ),
        native=Counts(len([h for h in hits.values() if h]), len(hits)),
        package=draw(st.none() | st.text(max_size=10)),
    )


@given(st.lists(files(), max_size=5), st.integers(0, 4))
def test_round_trip(fs: list[FileCoverage], precision: int) -> None:
    report = CoverageReport(
        "coveragepy-json", "statements+branches", coveragepy(precision), {f.path: f for f in fs}
    )
    back = from_json(to_json(report))
    assert back == report
    assert back.native_display() == report.native_display()


def test_go_blocks_and_override_survive() -> None:
    f = FileCoverage(
        "a.go",
        LineHits.from_mapping({3: 1}),
        native=Counts(1, 2),
        blocks=(GoBlock(3, 2, 3, 9, 1, 1), GoBlock(4, 2, 5, 1, 1, 0)),
    )
    report = CoverageReport(
        "gocover", "statements", GO, {"a.go": f}, mode="count", native_override=Counts(5, 9)
    )
    back = from_json(to_json(report))
    assert back == report
    assert back.native_display() == "55.6%"  # 100.0*5/9 printed by Go as 55.6%


V2_HEAD = (
    b'{"coverhub_report":2,"format":"cobertura","unit":"lines","mode":null,'
    b'"rule":["cobertura",2],"native_override":null,"files":[{"path":"a.py","package":null,'
    b'"native":[1,2],"functions":[],"blocks":null,'
)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{}",
        b'{"coverhub_report": 2}',
        b'{"coverhub_report": 3}',
        b"[1]",
        b'{"coverhub_report": 1, "rule": ["nope", 1]}',
        V2_HEAD + b'"lines":[[1,2],[1]],"branches":[[],[],[]]}]}',  # a line without hits
        V2_HEAD + b'"lines":[[2,1],[1,0]],"branches":[[],[],[]]}]}',  # lines out of order
        V2_HEAD + b'"lines":[[1,1],[1,0]],"branches":[[],[],[]]}]}',  # a line twice
        V2_HEAD + b'"lines":[[-1],[1]],"branches":[[],[],[]]}]}',  # a negative line
        V2_HEAD + b'"lines":[[1],[1e3]],"branches":[[],[],[]]}]}',  # hits not an integer
        V2_HEAD + b'"lines":[[1],[1]],"branches":[[1],[1]]}]}',  # branches missing a column
    ],
)
def test_garbage_is_an_invalid_report(data: bytes) -> None:
    with pytest.raises(InvalidReport) as info:
        from_json(data, "x/report.json")
    assert str(info.value).startswith("x/report.json: ")


def test_the_ok_v2_head_reads() -> None:  # the garbage cases above break only what they say
    report = from_json(V2_HEAD + b'"lines":[[1,2],[1,0]],"branches":[[1],[1],[2]]}]}')
    f = report.files["a.py"]
    assert dict(f.lines) == {1: 1, 2: 0} and dict(f.branches) == {1: (1, 2)}


def test_version_1_documents_still_read() -> None:
    # as version 1 wrote them (stored reports outlive upgrades)
    v1 = (
        b'{"coverhub_report":1,"format":"gocover","unit":"statements","mode":"set",'
        b'"rule":["go",1],"native_override":null,"files":[{"path":"p/a.go","package":"p",'
        b'"native":[1,3],"lines":[[3,1],[4,0],[5,0]],"branches":[[3,1,2]],'
        b'"functions":[["f",3,1,null]],"blocks":[[3,2,4,9,1,1],[4,9,5,3,2,0]]}]}'
    )
    report = from_json(v1)
    f = report.files["p/a.go"]
    assert dict(f.lines) == {3: 1, 4: 0, 5: 0} and dict(f.branches) == {3: (1, 2)}
    assert f.functions == (Function("f", 3, 1, None),) and f.package == "p"
    assert f.blocks == (GoBlock(3, 2, 4, 9, 1, 1), GoBlock(4, 9, 5, 3, 2, 0))
    assert report.native_display() == "33.3%"
    assert from_json(to_json(report)) == report  # and written again as version 2


def test_a_parsed_go_profile_round_trips_without_making_its_blocks() -> None:
    import io

    from app.coverage.parsers import gocover

    text = b"mode: count\np/a.go:3.2,4.9 1 5\np/a.go:4.9,5.3 2 0\np/b.go:1.1,1.9 1 1\n"
    report = gocover.parse(io.BytesIO(text), "cover.out")
    data = to_json(report)
    assert b'"blocks":[[3,4],[2,9],[4,5],[9,3],[1,2],[5,0]]' in data
    back = from_json(data)
    assert back == report and back.files["p/a.go"].blocks == report.files["p/a.go"].blocks
