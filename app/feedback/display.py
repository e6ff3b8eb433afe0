"""Turning exact numbers into the short texts feedback shows (pure, no I/O).

Rules, shared by the check run, the statuses and the comment:

* a report's headline is what its own tool prints (:class:`~app.coverage.percent.DisplayRule`),
  with coverage.py's rule on top: never "100%" unless exactly everything is covered, never "0%"
  unless exactly nothing is;
* a delta is in percentage points, signed, one decimal, rounded half away from zero: "+1.2%",
  "-0.4%"; an exact zero is "±0.0%"; a change too small to show keeps its sign ("+0.0%");
* a figure compared with a threshold (gate reasons) gets as many decimals as needed for the text to
  sit on the same side of the threshold as the exact value ("79.99% is below the target 80%");
* user-controlled text (file names, flags) is escaped before it goes into markdown.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from app.coverage.model import Counts, CoverageReport, LineTotals
from app.coverage.patch import PatchCoverage
from app.coverage.percent import UNIFIED, DisplayRule

ELLIPSIS = "…"
_MAX_DIGITS = 20
DASH = "\u2013"  # an empty cell
_NUMBER = re.compile(r"^(\d+)(?:\.(\d+))?%$")
_LIST_START = re.compile(r"^(\d*)([-.])")


def clamp(text: str, covered: int, total: int) -> str:
    """``text`` (a "12.3%"-style figure) moved off 0 and 100 unless the ratio is exactly that."""
    match = _NUMBER.match(text)
    if match is None or total <= 0:
        return text
    digits = len(match.group(2) or "")
    value = Fraction(text[:-1])
    step = Fraction(1, 10**digits)
    if value >= 100 and covered < total:
        return f"{_fixed(100 - step, digits)}%"
    if value == 0 and covered > 0:
        return f"{_fixed(step, digits)}%"
    return text


def _fixed(value: Fraction, digits: int) -> str:
    scaled = value * 10**digits
    whole = math.floor(scaled)
    if digits == 0:
        return str(whole)
    text = str(whole).rjust(digits + 1, "0")
    return f"{text[:-digits]}.{text[-digits:]}"


def percent_of(rule: DisplayRule, counts: Counts) -> str:
    """``counts`` as ``rule``'s tool prints them, clamped off 0 and 100."""
    return clamp(rule.display(counts.covered, counts.total), counts.covered, counts.total)


def headline(report: CoverageReport) -> str:
    """The report's native headline ("82.3%"), as its tool prints it."""
    return percent_of(report.rule, report.native_totals())


def unified(lines: LineTotals) -> str:
    """The labelled unified line metric (hits / (hits + partials + misses)), two decimals."""
    return clamp(UNIFIED.display(lines.hits, lines.total), lines.hits, lines.total)


def patch_percent(patch: PatchCoverage) -> str:
    """Patch coverage as diff-cover prints it (truncated to an integer), clamped off 0 and 100."""
    return clamp(patch.display, patch.covered, patch.total)


def ratio_points(counts: Counts) -> Fraction | None:
    """covered / total in exact percent, or ``None`` when nothing is measured."""
    ratio = counts.ratio()
    return None if ratio is None else ratio * 100


def delta(points: Fraction | None) -> str:
    """A signed change in percentage points, one decimal: "+1.2%", "-0.4%", "±0.0%"."""
    if points is None:
        return "n/a"
    if points == 0:
        return "±0.0%"
    tenths = math.floor(abs(points) * 10 + Fraction(1, 2))
    sign = "+" if points > 0 else "-"
    return f"{sign}{tenths // 10}.{tenths % 10}%"


def exact(value: Fraction, against: Fraction | None = None, *, places: int = 1) -> str:
    """``value`` (percent) with enough decimals to stay on its side of ``against``.

    Never shows 100 or 0 unless the value is exactly that. No "%" sign.
    """
    for digits in range(places, _MAX_DIGITS + 1):
        text = _rounded(value, digits)
        shown = Fraction(text)
        if (shown == 100 and value != 100) or (shown == 0 and value != 0):
            continue
        if against is None or _side(shown, against) == _side(value, against):
            return _trim(text, places)
    # floor below the threshold, ceiling above: always on the right side
    scaled = value * 10**_MAX_DIGITS
    whole = math.floor(scaled) if against is None or value < against else math.ceil(scaled)
    return _trim(_fixed(Fraction(whole, 10**_MAX_DIGITS), _MAX_DIGITS), places)


def _rounded(value: Fraction, digits: int) -> str:
    scaled = value * 10**digits
    whole = math.floor(abs(scaled) + Fraction(1, 2))
    text = _fixed(Fraction(whole, 10**digits), digits)
    return f"-{text}" if value < 0 else text


def _side(a: Fraction, b: Fraction) -> int:
    return (a > b) - (a < b)


def _trim(text: str, places: int) -> str:
    """Drop trailing zeros beyond ``places`` decimals."""
    if "." not in text:
        return text
    whole, frac = text.split(".")
    keep = max(places, len(frac.rstrip("0")))
    return f"{whole}.{frac[:keep]}" if keep else whole


def number(value: float | Fraction) -> str:
    """A configured threshold as the user wrote it: 80.0 -> "80", 79.99 -> "79.99"."""
    fraction = value if isinstance(value, Fraction) else as_fraction(value)
    if fraction.denominator == 1:
        return str(fraction.numerator)
    text = repr(float(fraction))
    return text[:-2] if text.endswith(".0") else text


def decimals(value: Fraction) -> int:
    """How many decimals :func:`number` shows for ``value``."""
    text = number(value)
    return len(text.split(".")[1]) if "." in text else 0


def as_fraction(value: float) -> Fraction:
    """The decimal the user wrote (79.99 -> 7999/100), not the binary float's exact value."""
    return Fraction(repr(float(value)))


def short_sha(sha: str | None) -> str:
    return (sha or "")[:7]


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS if limit > 0 else ""


_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/.-, ")


def escape_md(text: str) -> str:
    """``text`` safe in markdown and inside a table cell or a link label.

    ASCII punctuation is backslash-escaped (CommonMark allows it for every ASCII punctuation
    character; GFM tables honour ``\\|``); ``<``, ``>`` and ``&`` become entities so no HTML tag or
    entity survives; ``@`` is followed by a zero-width space so a path never mentions a user;
    control characters become U+FFFD so a name cannot end a line or a table row.
    """
    out: list[str] = []
    for ch in text:
        if ch in _SAFE or (ord(ch) > 127 and ch.isprintable()):
            out.append(ch)
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == "&":
            out.append("&amp;")
        elif ch == "@":
            out.append("@&#8203;")
        elif not ch.isprintable():
            out.append("\ufffd")
        else:
            out.append("\\" + ch)
    # a leading "-" or "12." would start a list when the text opens a line
    return _LIST_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", "".join(out))
