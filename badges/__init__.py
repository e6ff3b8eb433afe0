"""SVG badges that look (and serialise) exactly like shields.io's.

A pure, standalone package: standard library only, nothing from ``app``. ``render`` draws a badge
in one of shields' five styles with text widths from the same font metrics shields uses, so the SVG
equals what shields' renderer (the npm package badge-maker 6) produces for the same input, byte
for byte; ``color_for`` picks a colour for a coverage percentage from thresholds.

    >>> svg = render("coverage", "87%", color_for(87))
    >>> svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" width="')
    True
"""

from __future__ import annotations

from badges._render import RENDERERS, Text
from badges._svg import js_trim
from badges.colors import (
    COLOR_ALIASES,
    DEFAULT_THRESHOLDS,
    NAMED_COLORS,
    Thresholds,
    color_for,
    svg_color,
)

__all__ = [
    "COLOR_ALIASES",
    "DEFAULT_THRESHOLDS",
    "NAMED_COLORS",
    "STYLES",
    "Thresholds",
    "color_for",
    "render",
]

STYLES: tuple[str, ...] = tuple(RENDERERS)


def render(
    label: str,
    message: str,
    color: str,
    style: str = "flat",
    *,
    title: str | None = None,
    label_color: str | None = None,
) -> str:
    """Render a badge as an SVG document.

    ``label`` (left, may be empty) and ``message`` (right) are trimmed of surrounding whitespace
    and XML-escaped; for-the-badge shows them in capitals and social capitalises the label, as
    shields does. ``color`` (the message background) and ``label_color`` (default ``#555``) are
    shields' named colours or aliases, or hex colours (``"#4c1"``, ``"e05d44"``); anything else
    raises ValueError naming the colour, and an unknown ``style`` raises ValueError listing the
    styles (:data:`STYLES`).

    The SVG carries ``role="img"``, an ``aria-label`` of "label: message" and a ``<title>`` that
    says the same unless ``title`` is given (e.g. which commit the badge shows and when it was
    measured); ``title`` replaces only the ``<title>`` text and is XML-escaped like the rest.
    """
    renderer = RENDERERS.get(style) if isinstance(style, str) else None
    if renderer is None:
        raise ValueError(f"unknown badge style {style!r}: expected one of {', '.join(STYLES)}")
    for name, value in (("label", label), ("message", message)):
        if not isinstance(value, str):
            raise TypeError(f"badge {name} must be a str, not {type(value).__name__}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"badge title must be a str or None, not {type(title).__name__}")
    fill = svg_color(color)
    label_fill = None if label_color is None else svg_color(label_color)
    return renderer(Text(js_trim(label), js_trim(message), label_fill, title), fill)
