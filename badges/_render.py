"""The five shields.io badge styles, laid out and serialised as badge-maker 6 does.

Every number here (paddings, heights, the x10 text scale, the rounding of text widths) follows
badge-maker's renderer so that widths and bytes come out the same; see
tests/unit/badges/test_badges.py, which compares with badge-maker's own output.
"""

from __future__ import annotations

from collections.abc import Callable

from badges._svg import Attrs, element, escape, js_number, js_upper, utf16_len
from badges.colors import text_colors
from badges.widths import Font, preferred_width, text_width

__all__ = ["RENDERERS", "Text"]

FONT_FAMILY = "Verdana,Geneva,DejaVu Sans,sans-serif"
SOCIAL_FONT_FAMILY = "Helvetica Neue,Helvetica,Arial,sans-serif"
SCALE_DOWN = "scale(.1)"  # text is drawn at 10x and scaled down, for finer positioning
WHITE = "#fff"
DEFAULT_LABEL_COLOR = "#555"


class Text:
    """What a badge says: label, message and title, already trimmed (and cased for the style)."""

    __slots__ = ("label", "label_color", "message", "title")

    def __init__(
        self, label: str, message: str, label_color: str | None, title: str | None
    ) -> None:
        self.label = label
        self.message = message
        self.label_color = label_color
        self.title = title

    def accessible(self) -> str:
        """The aria-label and default title: "label: message", or the message alone."""
        return f"{self.label}: {self.message}" if self.label else self.message


def _document(text: Text, width: float, height: int, body: list[str]) -> str:
    accessible = text.accessible()
    title = accessible if text.title is None else text.title
    attrs: Attrs = (
        ("xmlns", "http://www.w3.org/2000/svg"),
        ("width", width),
        ("height", height),
        ("role", "img"),
        ("aria-label", accessible),
    )
    return element("svg", attrs, [element("title", (), [escape(title)]), *body])


def _with_fill(attrs: list[tuple[str, str | int | float]], color: str) -> Attrs:
    # The foreground group is already white, so white text carries no fill of its own.
    if color != WHITE:
        attrs.append(("fill", color))
    return attrs


# --- flat, flat-square, plastic ---------------------------------------------------------------

_BLUR = element("filter", (("id", "blur"),), [element("feGaussianBlur", (("stdDeviation", "16"),))])
_FLAT_GRADIENT = element(
    "linearGradient",
    (("id", "s"), ("x2", 0), ("y2", "100%")),
    [
        element("stop", (("offset", 0), ("stop-color", "#bbb"), ("stop-opacity", ".1"))),
        element("stop", (("offset", 1), ("stop-opacity", ".1"))),
    ],
)
_PLASTIC_GRADIENT = element(
    "linearGradient",
    (("id", "s"), ("x2", 0), ("y2", "100%")),
    [
        element("stop", (("offset", 0), ("stop-color", "#fff"), ("stop-opacity", ".7"))),
        element("stop", (("offset", ".1"), ("stop-color", "#aaa"), ("stop-opacity", ".1"))),
        element("stop", (("offset", ".9"), ("stop-color", "#000"), ("stop-opacity", ".3"))),
        element("stop", (("offset", 1), ("stop-color", "#000"), ("stop-opacity", ".5"))),
    ],
)


def _classic_text(
    content: str, left_margin: int, text_w: int, background: str, y: int, shadow: bool
) -> str:
    if not content:
        return ""
    fill, shadow_fill = text_colors(background)
    x = 10 * (left_margin + 0.5 * text_w + 5)
    length = 10 * text_w
    body = [escape(content)]
    if not shadow:
        attrs = _with_fill(
            [("x", x), ("y", y), ("textLength", length), ("transform", SCALE_DOWN)], fill
        )
        return element("text", attrs, body)
    blurred = element(
        "text",
        (
            ("x", x),
            ("y", y + 10),
            ("fill-opacity", ".8"),
            ("filter", "url(#blur)"),
            ("textLength", length),
        ),
        body,
    )
    faint = element(
        "text", (("x", x), ("y", y + 10), ("fill-opacity", ".3"), ("textLength", length)), body
    )
    shadows = element("g", (("aria-hidden", "true"), ("fill", shadow_fill)), [blurred, faint])
    text = element("text", _with_fill([("x", x), ("y", y), ("textLength", length)], fill), body)
    return element("g", (("transform", SCALE_DOWN),), [shadows, text])


def _classic(text: Text, color: str, *, height: int, dy: int, shadow: bool, style: str) -> str:
    label, message = text.label, text.message
    has_label = bool(label) or text.label_color is not None
    label_fill = (text.label_color or DEFAULT_LABEL_COLOR) if has_label else color
    label_w = preferred_width(label) if label else 0
    left = label_w + 10 if has_label else 0
    message_w = preferred_width(message)  # 1 for an empty message, as in badge-maker
    message_margin = left - (1 if message else 0)
    if not has_label:
        message_margin += 1
    right = message_w + 10
    width = left + right

    foreground = element(
        "g",
        (
            ("fill", WHITE),
            ("text-anchor", "middle"),
            ("font-family", FONT_FAMILY),
            ("text-rendering", "geometricPrecision"),
            ("font-size", 110),
        ),
        [
            "",  # no logo
            _classic_text(label, 1, label_w, label_fill, 140 + dy, shadow),
            _classic_text(message, message_margin, message_w, color, 140 + dy, shadow),
        ],
    )
    rects = [
        element("rect", (("width", left), ("height", height), ("fill", label_fill))),
        element("rect", (("x", left), ("width", right), ("height", height), ("fill", color))),
    ]
    if style == "flat-square":
        background = element("g", (("shape-rendering", "crispEdges"),), rects)
        return _document(text, width, height, [background, foreground])

    rects.append(element("rect", (("width", width), ("height", height), ("fill", "url(#s)"))))
    background = element("g", (("clip-path", "url(#r)"),), rects)
    rx = 4 if style == "plastic" else 3
    clip = element(
        "clipPath",
        (("id", "r"),),
        [element("rect", (("width", width), ("height", height), ("rx", rx)))],
    )
    gradient = _PLASTIC_GRADIENT if style == "plastic" else _FLAT_GRADIENT
    return _document(text, width, height, [_BLUR, gradient, clip, background, foreground])


def flat(text: Text, color: str) -> str:
    return _classic(text, color, height=20, dy=0, shadow=True, style="flat")


def flat_square(text: Text, color: str) -> str:
    return _classic(text, color, height=20, dy=0, shadow=False, style="flat-square")


def plastic(text: Text, color: str) -> str:
    return _classic(text, color, height=18, dy=-10, shadow=True, style="plastic")


# --- for-the-badge ----------------------------------------------------------------------------


def _spaced_width(text: str, font: Font) -> float:
    # Truncated width plus 1.25 px of letter spacing per UTF-16 code unit (badge-maker counts
    # .length, so an astral character gets the spacing twice); not rounded up to odd.
    if not text:
        return 0
    return int(text_width(text, font)) + 1.25 * utf16_len(text)


def for_the_badge(text: Text, color: str) -> str:
    height, margin = 28, 12
    label, message = js_upper(text.label), js_upper(text.message)
    label_w = _spaced_width(label, Font.VERDANA_10)
    message_w = _spaced_width(message, Font.VERDANA_10_BOLD)
    label_fill = text.label_color or DEFAULT_LABEL_COLOR

    if label:
        label_rect: float = margin + label_w + margin
        message_x = label_rect + margin
    else:
        label_rect = 0
        message_x = margin
    message_rect = 2 * margin + message_w

    items = ["", ""]  # no logo, no label
    if label:
        fill, _ = text_colors(label_fill)
        attrs: list[tuple[str, str | int | float]] = [
            ("transform", SCALE_DOWN),
            ("x", 10 * (margin + 0.5 * label_w)),
            ("y", 175),
            ("textLength", 10 * label_w),
        ]
        items[1] = element("text", _with_fill(attrs, fill), [escape(label)])
    fill, _ = text_colors(color)
    attrs = [
        ("transform", SCALE_DOWN),
        ("x", 10 * (message_x + 0.5 * message_w)),
        ("y", 175),
        ("textLength", 10 * message_w),
        ("font-weight", "bold"),
    ]
    items.append(element("text", _with_fill(attrs, fill), [escape(message)]))

    if label:
        rects = [
            element("rect", (("width", label_rect), ("height", height), ("fill", label_fill))),
            element(
                "rect",
                (("x", label_rect), ("width", message_rect), ("height", height), ("fill", color)),
            ),
        ]
    else:
        rects = [element("rect", (("width", message_rect), ("height", height), ("fill", color)))]
    background = element("g", (("shape-rendering", "crispEdges"),), rects)
    foreground = element(
        "g",
        (
            ("fill", WHITE),
            ("text-anchor", "middle"),
            ("font-family", FONT_FAMILY),
            ("text-rendering", "geometricPrecision"),
            ("font-size", 100),
        ),
        items,
    )
    shown = Text(label, message, text.label_color, text.title)
    return _document(shown, label_rect + message_rect, height, [background, foreground])


# --- social -----------------------------------------------------------------------------------

_SOCIAL_STYLE = element(
    "style",
    (),
    ["a:hover #llink{fill:url(#b);stroke:#ccc}a:hover #rlink{fill:#4183c4}"],
)
_SOCIAL_GRADIENTS = element(
    "linearGradient",
    (("id", "a"), ("x2", 0), ("y2", "100%")),
    [
        element("stop", (("offset", 0), ("stop-color", "#fcfcfc"), ("stop-opacity", 0))),
        element("stop", (("offset", 1), ("stop-opacity", ".1"))),
    ],
) + element(
    "linearGradient",
    (("id", "b"), ("x2", 0), ("y2", "100%")),
    [
        element("stop", (("offset", 0), ("stop-color", "#ccc"), ("stop-opacity", ".1"))),
        element("stop", (("offset", 1), ("stop-opacity", ".1"))),
    ],
)


def _capitalize(label: str) -> str:
    # JavaScript's charAt(0).toUpperCase(): charAt(0) of an astral character is half a surrogate
    # pair, which has no upper case, so such a label is left as it is.
    if not label or ord(label[0]) > 0xFFFF:
        return label
    return js_upper(label[0]) + label[1:]


def _social_text(content: str, x: float, length: int, text_id: str | None) -> list[str]:
    body = [escape(content)]
    shadow = element(
        "text",
        (
            ("aria-hidden", "true"),
            ("x", x),
            ("y", 150),
            ("fill", WHITE),
            ("transform", SCALE_DOWN),
            ("textLength", length),
        ),
        body,
    )
    attrs: list[tuple[str, str | int | float]] = [] if text_id is None else [("id", text_id)]
    attrs += [("x", x), ("y", 140), ("transform", SCALE_DOWN), ("textLength", length)]
    return [shadow, element("text", attrs, body)]


def social(text: Text, _color: str) -> str:
    """Social style (GitHub-like); like badge-maker it ignores the colour."""
    height, inner, gutter = 20, 19, 6
    label = _capitalize(text.label)
    message = text.message
    label_w = preferred_width(label, Font.HELVETICA_11_BOLD)
    message_w = preferred_width(message, Font.HELVETICA_11_BOLD)
    label_rect = label_w + 10
    message_rect = message_w + 8

    box = (("x", ".5"), ("y", ".5"), ("width", label_rect), ("height", inner), ("rx", 2))
    background = [element("rect", (("stroke", "none"), ("fill", "#fcfcfc"), *box))]
    foreground = [
        element("rect", (("id", "llink"), ("stroke", "#d5d5d5"), ("fill", "url(#a)"), *box)),
        *_social_text(label, 10 * (label_w / 2 + 5), 10 * label_w, None),
    ]
    if message:
        bubble_x = label_rect + gutter + 0.5
        notch_x = label_rect + gutter
        background += [
            element(
                "rect",
                (
                    ("x", bubble_x),
                    ("y", ".5"),
                    ("width", message_rect),
                    ("height", inner),
                    ("rx", 2),
                    ("fill", "#fafafa"),
                ),
            ),
            element(
                "rect",
                (
                    ("x", notch_x),
                    ("y", 7.5),
                    ("width", ".5"),
                    ("height", 5),
                    ("stroke", "#fafafa"),
                ),
            ),
            element(
                "path",
                (("d", f"M{js_number(bubble_x)} 6.5 l-3 3v1 l3 3"), ("fill", "#fafafa")),
            ),
        ]
        message_x = 10 * (label_rect + gutter + message_rect / 2)
        foreground += _social_text(message, message_x, 10 * message_w, "rlink")

    body = [
        _SOCIAL_STYLE,
        _SOCIAL_GRADIENTS,
        element("g", (("stroke", "#d5d5d5"),), background),
        "",  # no logo
        element(
            "g",
            (
                ("aria-hidden", "true"),
                ("fill", "#333"),
                ("text-anchor", "middle"),
                ("font-family", SOCIAL_FONT_FAMILY),
                ("text-rendering", "geometricPrecision"),
                ("font-weight", 700),
                ("font-size", "110px"),
                ("line-height", "14px"),
            ),
            foreground,
        ),
    ]
    width = label_rect + 1 + (gutter + message_rect if message else 0)
    shown = Text(label, message, text.label_color, text.title)
    return _document(shown, width, height, body)


RENDERERS: dict[str, Callable[[Text, str], str]] = {
    "flat": flat,
    "flat-square": flat_square,
    "plastic": plastic,
    "for-the-badge": for_the_badge,
    "social": social,
}
