"""--skip patterns: same answers as Python's re on what both accept, linear time, limits."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.collect.skip import (
    MAX_PATTERN_CHARS,
    MAX_PATTERNS,
    SkipPattern,
    SkipPatternError,
    compile_skips,
    skipped,
)

ATOMS = ["a", "b", "/", r"\.", ".", "[ab]", "[^a]", r"\d", r"\w", r"\W", "(a|b)", "(ab|a)", "x"]
QUANT = ["", "", "*", "+", "?", "{2}", "{1,3}", "*?", "+?"]


@st.composite
def patterns(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(st.sampled_from(ATOMS), st.sampled_from(QUANT)), max_size=5))
    body = "".join(a + q for a, q in parts)
    if draw(st.booleans()):
        body = "(" + body + ")" + draw(st.sampled_from(["", "*", "+", "?"]))
    return draw(st.sampled_from(["", "^"])) + body + draw(st.sampled_from(["", "$", r"\b"]))


@settings(max_examples=400, deadline=None)
@given(patterns(), st.text(alphabet="ab/.x1_ ", max_size=12))
def test_same_answer_as_re(pattern: str, text: str) -> None:
    assert SkipPattern(pattern).search(text) == bool(re.search(pattern, text))


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("vendor/", "example.com/m/vendor/x.go", True),
        (r"_test\.go$", "pkg/a_test.go", True),
        (r"_test\.go$", "pkg/a_test.go.orig", False),
        ("^example.com/m/(cmd|tools)/", "example.com/m/tools/gen.go", True),
        ("(?i)MOCK", "pkg/mock_store.go", True),
        ("[^/]+\\.pb\\.go$", "api/v1/x.pb.go", True),
        ("", "anything", True),
    ],
)
def test_examples(pattern: str, text: str, expected: bool) -> None:
    assert SkipPattern(pattern).search(text) is expected


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        # each of these takes Python's re exponential or high-polynomial time on this text
        ("(a+)+$", "a" * 5000 + "!"),
        ("(a|aa)*c", "a" * 5000),
        ("(.*a){20}$", "a" * 200 + "!"),
        ("(x+x+)+y", "x" * 3000),
    ],
)
def test_catastrophic_patterns_answer(pattern: str, text: str) -> None:
    # worked out by hand: none can match (the required end, 'c', 'y' is absent)
    assert SkipPattern(pattern).search(text) is False
    assert SkipPattern(pattern).search(text[:50] + ("c" if "c" in pattern else "y")) is (
        "c" in pattern or "y" in pattern
    )


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"(a)\1", "backreferences are not supported"),
        ("a(?=b)", "lookahead/lookbehind are not supported"),
        ("(?<!a)b", "lookahead/lookbehind are not supported"),
        ("(?>a+)b", "atomic groups are not supported"),
        ("a*+", "possessive quantifiers are not supported"),
        ("(a)?(?(1)b|c)", "conditional groups are not supported"),
        ("(?m)^a", "only the i, s, x and u flags are allowed"),
        ("(?i:a)", "scoped inline flags are not supported"),
        ("(", "not a valid regular expression"),
        ("a{1001}", "repeat counts above 1000"),
        ("(abcdefghij){500}", "too large once repeats are expanded"),
    ],
)
def test_refused(pattern: str, message: str) -> None:
    with pytest.raises(SkipPatternError, match=re.escape(message)):
        SkipPattern(pattern)


def test_limits_at_and_past() -> None:
    assert SkipPattern("a{1000}").search("a" * 1000)
    assert SkipPattern("a" * MAX_PATTERN_CHARS).search("a" * MAX_PATTERN_CHARS)
    with pytest.raises(SkipPatternError, match="at most 512"):
        SkipPattern("a" * (MAX_PATTERN_CHARS + 1))
    assert len(compile_skips(["x"] * MAX_PATTERNS)) == MAX_PATTERNS
    with pytest.raises(SkipPatternError, match="at most 64"):
        compile_skips(["x"] * (MAX_PATTERNS + 1))


def test_skipped_any_pattern() -> None:
    pats = compile_skips(["^gen/", "mock"])
    assert skipped("gen/a.go", pats) and skipped("x/mock.go", pats)
    assert not skipped("x/gen/a.go", pats)
    assert not skipped("anything", ())
