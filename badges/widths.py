"""Text widths from real font metrics, exactly as shields.io's renderer measures them.

badge-maker measures text with per-character advance widths (the npm package `anafanafo`): the
width of a string is the sum of its code points' widths, added left to right in floating point.
Control characters (U+0000-U+001F, U+007F) are zero-width, and a code point missing from the
table counts as wide as "m". The tables themselves live in ``badges/data/*.txt``, generated from
anafanafo's JSON by ``scripts/badges/gen_widths.py``.

Summing in the same order with the same IEEE doubles gives the same result bit for bit, which is
what lets the rendered SVG match badge-maker's byte for byte.
"""

from __future__ import annotations

import enum
import functools
from bisect import bisect_right
from importlib import resources

__all__ = ["Font", "FontMetrics", "metrics", "preferred_width", "text_width"]

# Code points below this are looked up in a flat tuple; the rest by binary search over ranges.
_FAST_LIMIT = 0x3000


class Font(enum.Enum):
    """The fonts badge-maker measures with; the value names the data file."""

    VERDANA_11 = "verdana-11px-normal"  # flat, flat-square, plastic
    VERDANA_10 = "verdana-10px-normal"  # for-the-badge label
    VERDANA_10_BOLD = "verdana-10px-bold"  # for-the-badge message
    HELVETICA_11_BOLD = "helvetica-11px-bold"  # social


def _parse(text: str) -> list[tuple[int, int, float]]:
    """Parse the data file format described in scripts/badges/gen_widths.py."""
    ranges: list[tuple[int, int, float]] = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        first, *tokens = line.split(" ")
        code = int(first, 16)
        for token in tokens:
            hundredths, _, repeat = token.partition("*")
            count = int(repeat) if repeat else 1
            # n / 100 is the double nearest to the decimal width, as JSON.parse gives it.
            ranges.append((code, code + count - 1, int(hundredths) / 100))
            code += count
    return ranges


class FontMetrics:
    """Advance widths of one font, looked up by code point."""

    def __init__(self, font: Font, ranges: list[tuple[int, int, float]]) -> None:
        if not ranges:
            raise ValueError(f"no width data for {font.value}")
        self.font = font
        self._lows = [lo for lo, _, _ in ranges]
        self._ranges = ranges
        m = self._lookup(ord("m"))
        if m is None:
            raise ValueError(f"width data for {font.value} has no 'm'")
        self.em_width: float = m
        fast = [self.em_width] * _FAST_LIMIT
        for lo, hi, width in ranges:
            if lo >= _FAST_LIMIT:
                break
            end = min(hi + 1, _FAST_LIMIT)
            fast[lo:end] = [width] * (end - lo)
        for code in (*range(0x20), 0x7F):
            fast[code] = 0.0
        self._fast = tuple(fast)

    @property
    def ranges(self) -> tuple[tuple[int, int, float], ...]:
        """The table: (first code point, last code point, width in px), sorted."""
        return tuple(self._ranges)

    def _lookup(self, code: int) -> float | None:
        index = bisect_right(self._lows, code) - 1
        if index < 0:
            return None
        _, hi, width = self._ranges[index]
        return width if code <= hi else None

    def char_width(self, code: int) -> float:
        """Width of one code point in px (the width of "m" when the table has none)."""
        if code < _FAST_LIMIT:
            return self._fast[code]
        width = self._lookup(code)
        return self.em_width if width is None else width

    def width(self, text: str) -> float:
        """Width of ``text`` in px, summed left to right as badge-maker does."""
        fast = self._fast
        total = 0.0
        for char in text:
            code = ord(char)
            # Not sum(): it compensates rounding since Python 3.12, badge-maker does not.
            total += fast[code] if code < _FAST_LIMIT else self.char_width(code)
        return total


@functools.cache
def metrics(font: Font) -> FontMetrics:
    """The metrics of ``font``, loaded from the package data on first use."""
    data = resources.files(__package__ or "badges").joinpath("data", f"{font.value}.txt")
    return FontMetrics(font, _parse(data.read_text(encoding="ascii")))


def text_width(text: str, font: Font = Font.VERDANA_11) -> float:
    """Width of ``text`` in px in ``font``, unrounded."""
    return metrics(font).width(text)


def preferred_width(text: str, font: Font = Font.VERDANA_11) -> int:
    """Width truncated to whole px and rounded up to an odd number, as badge-maker lays text out.

    badge-maker truncates with ``| 0`` and then bumps even widths by one "to increase chances of
    pixel grid alignment".
    """
    width = int(text_width(text, font))
    return width + 1 if width % 2 == 0 else width
