"""The bulk (whole-batch) reading paths of the Go and LCOV parsers give what line-by-line gives.

gocover reads chunks of block lines with whole-array operations and falls back to line-by-line
reading for a chunk holding anything unusual; repeated blocks are checked once the input is read.
lcov reads the DA/BRDA lines of a record at once. These tests pin the cases where the two paths
could disagree: chunk boundaries, which error comes first, and the lazily made Go blocks.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.coverage.errors import InvalidReport, LimitExceeded
from app.coverage.model import GoBlock
from app.coverage.parsers import gocover, lcov
from app.coverage.parsers.base import Limits

pytestmark = pytest.mark.unit

PROFILE = (
    "mode: count\n"
    + "".join(f"p/a.go:{2 * n}.2,{2 * n + 1}.30 {n % 3} {n % 4}\n" for n in range(1, 40))
    + "we:ird/b c.go:3.1,3.9 1 2\n"
    + "p/a.go:2.2,3.30 1 5\n"  # a repeated block, away from its first line
    + "".join(f"p/c.go:{n}.1,{n}.{n + 2} 1 {n}\n" for n in range(1, 30))
    + "p/a.go:200.1,210.2 2 0\n"  # p/a.go again, after p/c.go
)


def go(text: str, limits: Limits | None = None) -> object:
    """The report (or the error's text) of ``text``."""
    try:
        return gocover.parse(io.BytesIO(text.encode()), "in", limits or Limits())
    except (InvalidReport, LimitExceeded) as exc:
        return str(exc)


def line_by_line(text: str, limits: Limits | None = None) -> object:
    """What the line-by-line reader alone gives (the bulk reader switched off)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gocover._Reader, "fast", lambda self, data: False)
        return go(text, limits)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64, 4096, 1 << 20])
def test_go_chunks_of_any_size_give_the_same_report(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = line_by_line(PROFILE)
    assert not isinstance(expected, str)
    monkeypatch.setattr(gocover, "CHUNK_BYTES", chunk)
    assert go(PROFILE) == expected
    assert go(PROFILE.replace("\n", "\r\n")) == expected
    assert go(PROFILE.rstrip("\n")) == expected


@pytest.mark.parametrize("chunk", [1, 7, 100, 4096, 1 << 20])
def test_go_the_earliest_error_wins_across_paths(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gocover, "CHUNK_BYTES", chunk)
    bad_repeat = PROFILE + "p/c.go:4.1,4.6 2 1\n"  # NSTMT 1 before
    message = go(bad_repeat + "p/d.go:1.1,x.2 1 1\n")
    assert message == go(bad_repeat)
    assert (
        isinstance(message, str) and f"line {PROFILE.count(chr(10)) + 1}: inconsistent" in message
    )
    assert "couldn't parse EndLine" in str(go(PROFILE + "p/d.go:1.1,x.2 1 1\n" + bad_repeat[-20:]))
    limited = go(bad_repeat, Limits(max_files=2))  # the third file comes before the repeat
    assert limited == "in: more than 2 source files"


def test_go_blocks_behave_as_a_tuple() -> None:
    report = gocover.parse(io.BytesIO(PROFILE.encode()), "in")
    blocks = report.files["p/c.go"].blocks
    assert blocks is not None
    plain = tuple(blocks)
    assert isinstance(blocks, tuple) and len(blocks) == len(plain) == 29
    assert blocks == plain and plain == blocks and hash(blocks) == hash(plain)
    assert blocks[0] == GoBlock(1, 1, 1, 3, 1, 1) and blocks[-1] == plain[-1]
    assert blocks[1:3] == plain[1:3] and blocks + plain[:0] == plain
    assert GoBlock(1, 1, 1, 3, 1, 1) in blocks and blocks.index(plain[2]) == 2
    assert next(reversed(blocks)) == plain[-1]
    for again in (pickle.loads(pickle.dumps(blocks)), copy.copy(blocks), copy.deepcopy(blocks)):
        assert again == plain and type(again) is tuple
    assert pickle.loads(pickle.dumps(report)) == report
    as_dict = dataclasses.asdict(report.files["p/c.go"])
    assert as_dict["blocks"][0] == dataclasses.asdict(plain[0])


def lcov_result(text: str, chunk: int, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setattr(lcov, "CHUNK_BYTES", chunk)
    try:
        report, notes = lcov.parse_with_notes(io.BytesIO(text.encode()), "in")
    except (InvalidReport, LimitExceeded) as exc:
        return str(exc)
    return report, notes


RECORD = (
    "SF:a.c\n"
    + "".join(
        f"DA:{n},{n % 3}\n" + (f"BRDA:{n},0,0,{n % 2}\nBRDA:{n},0,1,-\n" if n % 5 else "")
        for n in range(1, 30)
    )
    + "FN:3,f\nFNDA:2,f\nBRDA:7,e1,x,4\nDA:7,5\nend_of_record\n"
)


@pytest.mark.parametrize("chunk", [5, 64, 1 << 20])
def test_lcov_bulk_and_line_paths_agree(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = lcov_result(RECORD + RECORD, 1 << 20, monkeypatch)
    assert lcov_result(RECORD + RECORD, chunk, monkeypatch) == expected
    report = expected[0] if isinstance(expected, tuple) else None
    assert report is not None and report.files["a.c"].lines[7] == 2 * (7 % 3 + 5)
    # a DA error before a BRDA error (and before a later garbage line) of the same record
    bad = RECORD.replace("DA:4,1\n", "DA:4,x\n").replace("BRDA:6,0,0,0", "BRDA:6,0,0,y")
    assert lcov_result(bad + "garbage\n", chunk, monkeypatch) == (
        "in: line 11: count is not an integer: 'x'"
    )
    assert "BRDA:6" in RECORD and "branch count is not an integer" in str(
        lcov_result(RECORD.replace("BRDA:6,0,0,0", "BRDA:6,0,0,y"), chunk, monkeypatch)
    )


# -- the bulk reader against the line-by-line one, on generated input ---------------------------

_NAMES = st.sampled_from(["p/a.go", "p/b.go", "C:\\src\\c.go", "we:ird/b c.go", "x/ü.go", "q.go:1"])
_NUMBER = st.one_of(
    st.integers(0, 12).map(str),
    st.integers(0, 10**19).map(str),
    st.sampled_from(["", "-1", "007", "1e3", " 1", "x", "18446744073709551616"]),
)
_SEP = st.sampled_from([".", ",", " "])


@st.composite
def block_line(draw: st.DrawFn) -> str:
    """A block line, usually well formed, sometimes with one field or separator wrong."""
    name = draw(_NAMES)
    sl, sc, el, ec, ns, cnt = (draw(st.integers(1, 40)) for _ in range(6))
    el = max(el, sl)
    fields = [str(v) for v in (sl, sc, el, ec, ns % 4, cnt % 5)]
    seps = [".", ",", ".", " ", " "]
    if draw(st.integers(0, 9)) == 0:
        fields[draw(st.integers(0, 5))] = draw(_NUMBER)
    if draw(st.integers(0, 19)) == 0:
        seps[draw(st.integers(0, 4))] = draw(_SEP)
    text = fields[0] + "".join(s + f for s, f in zip(seps, fields[1:], strict=True))
    return f"{name}:{text}"


_EXTRA = st.sampled_from(["", "mode: count", "mode: set", "garbage", ":1.1,1.2 1 1", "   "])


@st.composite
def profile(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.one_of(block_line(), block_line(), block_line(), _EXTRA), max_size=60))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = "mode: count" + end + end.join(lines) + (end if draw(st.booleans()) else "")
    return text


@settings(max_examples=300, deadline=None)
@given(text=profile(), chunk=st.integers(1, 300))
def test_go_bulk_reading_agrees_with_line_by_line(text: str, chunk: int) -> None:
    expected = line_by_line(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gocover, "CHUNK_BYTES", chunk)
        assert go(text) == expected
        limits = Limits(max_files=2, max_line_number=30, max_count=3)
        assert go(text, limits) == line_by_line(text, limits)
