"""Percent texts: native headlines clamped off 0/100, signed deltas, exact figures, escaping."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.coverage import percent
from app.coverage.model import Counts
from app.feedback import display


@pytest.mark.parametrize(
    ("points", "text"),
    [
        (Fraction(12, 10), "+1.2%"),
        (Fraction(-4, 10), "-0.4%"),
        (Fraction(0), "±0.0%"),
        (Fraction(4, 100), "+0.0%"),
        (Fraction(-4, 100), "-0.0%"),
        (Fraction(5, 100), "+0.1%"),
        (Fraction(-5, 100), "-0.1%"),
        (Fraction(125, 100), "+1.3%"),
        (Fraction(-100), "-100.0%"),
        (Fraction(5, 9), "+0.6%"),
        (None, "n/a"),
    ],
)
def test_delta(points: Fraction | None, text: str) -> None:
    assert display.delta(points) == text


@pytest.mark.parametrize(
    ("rule", "covered", "total", "text"),
    [
        (percent.GO, 9996, 10000, "99.9%"),  # go prints 100.0%: never 100 unless exact
        (percent.GO, 1, 10000, "0.1%"),  # go prints 0.0%
        (percent.GO, 10, 10, "100.0%"),
        (percent.GO, 0, 10, "0.0%"),
        (percent.JACOCO, 1, 1000, "1%"),
        (percent.JACOCO, 999, 1000, "99%"),
        (percent.coveragepy(0), 995, 1000, "99%"),
        (percent.coveragepy(1), 823, 1000, "82.3%"),
        (percent.LCOV, 2, 3, "66.7%"),
        (percent.ISTANBUL, 1, 3, "33.33%"),
        (percent.GO, 0, 0, "[no statements]"),
        (percent.UNIFIED, 99999, 100000, "99.99%"),
    ],
)
def test_percent_of_uses_the_tools_rule(
    rule: percent.DisplayRule, covered: int, total: int, text: str
) -> None:
    assert display.percent_of(rule, Counts(covered, total)) == text


@pytest.mark.parametrize(
    ("value", "against", "text"),
    [
        (Fraction(7999, 100), Fraction(80), "79.99"),
        (Fraction(80), Fraction(80), "80.0"),
        (Fraction(799999, 10000), Fraction(80), "79.9999"),
        (Fraction(99999, 1000), None, "99.999"),
        (Fraction(1, 1000), None, "0.001"),
        (Fraction(1, 3) * 100, Fraction(3333, 100), "33.333"),
        (Fraction(1, 10**12), Fraction(0), "0.000000000001"),
    ],
)
def test_exact_stays_on_its_side(value: Fraction, against: Fraction | None, text: str) -> None:
    assert display.exact(value, against) == text


@given(
    st.integers(min_value=1, max_value=10**12).flatmap(
        lambda total: st.tuples(st.integers(min_value=0, max_value=total), st.just(total))
    ),
    st.decimals(min_value=0, max_value=100, places=6),
)
def test_exact_never_crosses_the_threshold(counts: tuple[int, int], threshold: object) -> None:
    value = Fraction(counts[0], counts[1]) * 100
    against = Fraction(str(threshold))
    shown = Fraction(display.exact(value, against))
    assert abs(shown - value) <= Fraction(1, 10)
    assert (shown == 100) == (value == 100)
    assert (shown == 0) == (value == 0)
    if value != against:  # an equal value may not terminate (1/3): any close text will do
        assert (shown > against) == (value > against)


@pytest.mark.parametrize(
    ("value", "text"), [(80.0, "80"), (79.99, "79.99"), (0.5, "0.5"), (100, "100")]
)
def test_number_as_written(value: float, text: str) -> None:
    assert display.number(value) == text
    assert display.as_fraction(79.99) == Fraction(7999, 100)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("app/<script>.py", "app/&lt;script&gt;.py"),
        ("a|b.go", "a\\|b.go"),
        ("__init__.py", "\\_\\_init\\_\\_.py"),
        ("[x](y).js", "\\[x\\]\\(y\\).js"),
        ("@org/pkg/a.ts", "@&#8203;org/pkg/a.ts"),
        ("a\nb", "a\ufffdb"),
        ("café/ü.py", "café/ü.py"),
        ("x&amp;", "x&amp;amp\\;"),
        ("`tick`", "\\`tick\\`"),
        ("-x.py", "\\-x.py"),
        ("1. x.py", "1\\. x.py"),
    ],
)
def test_escape_md(raw: str, escaped: str) -> None:
    assert display.escape_md(raw) == escaped


@given(st.text())
def test_escaped_text_has_no_raw_structure(raw: str) -> None:
    out = display.escape_md(raw)
    assert "\n" not in out and "\r" not in out
    assert "<" not in out and ">" not in out
    assert "|" not in out.replace("\\|", "")


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [("abc", 3, "abc"), ("abcd", 3, "ab…"), ("", 0, ""), ("ab cd", 4, "ab…")],
)
def test_truncate(text: str, limit: int, expected: str) -> None:
    assert display.truncate(text, limit) == expected
