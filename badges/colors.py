"""Badge colours: shields.io's named colours, hex colours, text contrast and coverage thresholds."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "COLOR_ALIASES",
    "DEFAULT_THRESHOLDS",
    "NAMED_COLORS",
    "Thresholds",
    "color_for",
    "svg_color",
    "text_colors",
]

# The colours shields.io names, with the hex values its renderer (badge-maker) draws them in.
NAMED_COLORS: Mapping[str, str] = {
    "brightgreen": "#4b0",
    "green": "#67ac09",
    "yellow": "#d8b800",
    "yellowgreen": "#95991a",
    "orange": "#ea7233",
    "red": "#dd4343",
    "blue": "#007ec6",
    "grey": "#555",
    "lightgrey": "#939393",
}

# badge-maker's aliases for named colours.
COLOR_ALIASES: Mapping[str, str] = {
    "gray": "grey",
    "lightgray": "lightgrey",
    "critical": "red",
    "important": "orange",
    "success": "brightgreen",
    "informational": "blue",
    "inactive": "lightgrey",
}

_HEX = re.compile(r"#?((?:[0-9a-fA-F]{3}){1,2})")

Percent = float | Decimal
# Mapping keys are invariant, so each key type is spelled out for {80: "green"} to type-check.
Thresholds = (
    Mapping[int, str]
    | Mapping[float, str]
    | Mapping[Decimal, str]
    | Mapping[Percent, str]
    | Iterable[tuple[Percent, str]]
)

# Coverage percent -> colour: the colour of the highest minimum the percentage reaches.
DEFAULT_THRESHOLDS: tuple[tuple[Percent, str], ...] = (
    (90, "brightgreen"),
    (80, "green"),
    (70, "yellowgreen"),
    (60, "yellow"),
    (50, "orange"),
    (0, "red"),
)


def _known_colors() -> str:
    return ", ".join([*NAMED_COLORS, *COLOR_ALIASES])


@functools.lru_cache(maxsize=256)
def svg_color(color: str) -> str:
    """The colour as drawn in the SVG: a named colour or alias (any case) or a 3/6-digit hex colour
    with or without "#". Raises ValueError naming the colour for anything else."""
    if not isinstance(color, str):
        raise TypeError(f"colour must be a str, not {type(color).__name__}")
    name = color.lower()
    name = COLOR_ALIASES.get(name, name)
    if name in NAMED_COLORS:
        return NAMED_COLORS[name]
    match = _HEX.fullmatch(color)
    if match is None:
        raise ValueError(
            f"unknown badge colour {color!r}: use a hex colour such as '#4c1' or 'e05d44', "
            f"or one of {_known_colors()}"
        )
    return "#" + match.group(1).lower()


def _rgb(hex_color: str) -> tuple[int, int, int]:
    digits = hex_color[1:]
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


@functools.lru_cache(maxsize=256)
def text_colors(background: str) -> tuple[str, str]:
    """(text colour, shadow colour) readable on ``background`` (an svg_color() result).

    As badge-maker: perceived brightness (ITU-R BT.601 weights), rounded half up to two decimals
    the way JavaScript's toFixed(2) rounds the exact binary value; above 0.69 gets dark text.
    """
    r, g, b = _rgb(background)
    brightness = Decimal((r * 299 + g * 587 + b * 114) / 255000).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    if brightness <= Decimal("0.69"):
        return "#fff", "#010101"
    return "#333", "#ccc"


def _check_percent(value: object, what: str) -> Percent:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}")
    finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
    if not finite or not 0 <= value <= 100:
        raise ValueError(f"{what} must be between 0 and 100, got {value!r}")
    return value


def _normalise_thresholds(thresholds: Thresholds) -> list[tuple[Percent, str]]:
    pairs: list[tuple[Percent, str]] = (
        list(thresholds.items()) if isinstance(thresholds, Mapping) else list(thresholds)
    )
    if not pairs:
        raise ValueError("thresholds must not be empty")
    checked: list[tuple[Percent, str]] = []
    seen: set[Percent] = set()
    for pair in pairs:
        minimum, color = pair
        minimum = _check_percent(minimum, "a threshold")
        if minimum in seen:
            raise ValueError(f"threshold {minimum!r} is given twice")
        seen.add(minimum)
        svg_color(color)  # refuse unknown colours when the thresholds are used, not when drawn
        checked.append((minimum, color))
    checked.sort(key=lambda pair: pair[0], reverse=True)
    return checked


def color_for(percent: Percent, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> str:
    """The colour for a coverage percentage (0-100).

    ``thresholds`` maps minimum percentages to colours (a mapping or (minimum, colour) pairs, in
    any order): the result is the colour of the highest minimum that ``percent`` reaches
    (``percent >= minimum``), or the colour of the lowest minimum when it reaches none. Compare
    the exact value: 79.99 is below an 80 threshold, whatever it is rounded to for display.
    """
    value = _check_percent(percent, "percent")
    ordered = _normalise_thresholds(thresholds)
    for minimum, color in ordered:
        if value >= minimum:
            return color
    return ordered[-1][1]
