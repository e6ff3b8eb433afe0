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


@pytest.mark.parametrize(
    "data",
    [b"", b"{}", b'{"coverhub_report": 2}', b"[1]", b'{"coverhub_report": 1, "rule": ["nope", 1]}'],
)
def test_garbage_is_an_invalid_report(data: bytes) -> None:
    with pytest.raises(InvalidReport) as info:
        from_json(data, "x/report.json")
    assert str(info.value).startswith("x/report.json: ")
