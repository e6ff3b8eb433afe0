"""badges: compared with shields.io's own renderer, plus escaping, titles, colours and errors.

The golden SVGs in tests/data/badges/gold/ were rendered by badge-maker (shields' renderer, npm)
with scripts/badges/render_goldens.mjs; see that script to add cases or update them. A mismatch
writes our output to tests/actual/badges/ (ignored by git) for diffing.
"""

from __future__ import annotations

import ast
import json
import math
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import badges
from badges import color_for, render
from badges.widths import Font, metrics, preferred_width, text_width

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
GOLD = REPO / "tests" / "data" / "badges" / "gold"
ACTUAL = REPO / "tests" / "actual" / "badges"
SVG_NS = "{http://www.w3.org/2000/svg}"

_TABLE = json.loads((GOLD / "cases.json").read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = _TABLE["cases"]


def _render_case(case: dict[str, Any]) -> str:
    return render(
        case["label"],
        case["message"],
        case["color"],
        case["style"],
        label_color=case.get("labelColor"),
    )


def _gold(case: dict[str, Any]) -> str:
    path: Path = GOLD / case["file"]
    return path.read_text(encoding="utf-8")


def _numbers(svg: str) -> list[tuple[str, str, float]]:
    """(element path, attribute, value) for every numeric attribute, in document order.

    Values inside a scale(.1) group are in tenths of a pixel; they are converted to px.
    """
    found: list[tuple[str, str, float]] = []

    def walk(node: ET.Element, path: str, scale: float) -> None:
        if node.get("transform") == "scale(.1)":
            scale = 0.1
        for key, value in node.attrib.items():
            try:
                number = float(value)
            except ValueError:
                continue
            found.append((path, key, number * scale))
        for index, child in enumerate(node):
            walk(child, f"{path}/{child.tag.removeprefix(SVG_NS)}[{index}]", scale)

    walk(ET.fromstring(svg), "svg", 1.0)
    return found


def _first_difference(a: str, b: str) -> int:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return min(len(a), len(b))


def _ids(case: dict[str, Any]) -> str:
    return str(case["name"])


def test_gold_table_covers_every_style() -> None:
    assert _TABLE["badgeMaker"] == "6.0.0"
    assert {case["style"] for case in CASES} == set(badges.STYLES)
    assert len(CASES) >= 200


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_geometry_within_one_px_of_badge_maker(case: dict[str, Any]) -> None:
    ours, theirs = _numbers(_render_case(case)), _numbers(_gold(case))
    assert [(path, key) for path, key, _ in ours] == [(path, key) for path, key, _ in theirs]
    for (path, key, mine), (_, _, gold) in zip(ours, theirs, strict=True):
        assert abs(mine - gold) <= 1.0, f"{path}@{key}: {mine} vs badge-maker {gold}"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_svg_byte_identical_to_badge_maker(case: dict[str, Any]) -> None:
    __tracebackhide__ = True
    ours, theirs = _render_case(case), _gold(case)
    if ours != theirs:
        ACTUAL.mkdir(parents=True, exist_ok=True)
        (ACTUAL / case["file"]).write_text(ours, encoding="utf-8")
        at = _first_difference(ours, theirs)
        pytest.fail(
            f"{case['file']} differs from badge-maker at offset {at}:\n"
            f"  ours: ...{ours[max(0, at - 60) : at + 60]!r}\n"
            f"  gold: ...{theirs[max(0, at - 60) : at + 60]!r}\n"
            f"  (ours written to {ACTUAL / case['file']})"
        )


# --- widths ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "font", "width"),
    [
        ("m", Font.VERDANA_11, 10.7),
        # anafanafo("coverage", {font: "11px Verdana"}) in node prints 50.17
        ("coverage", Font.VERDANA_11, 50.17),
        ("", Font.VERDANA_11, 0.0),
        ("\t\x00\x7f", Font.VERDANA_11, 0.0),  # control characters are zero-width
        ("m", Font.VERDANA_10_BOLD, 10.58),
        ("m", Font.HELVETICA_11_BOLD, 9.97),
    ],
)
def test_text_width(text: str, font: Font, width: float) -> None:
    assert text_width(text, font) == pytest.approx(width, abs=1e-9)


@pytest.mark.parametrize("char", ["\u00ff", "\u05d0", "\uac00", "\U0001f600", "\x80"])
def test_characters_without_metrics_are_as_wide_as_m(char: str) -> None:
    for font in Font:
        assert text_width(char, font) == metrics(font).em_width == text_width("m", font)


def test_preferred_width_truncates_then_rounds_up_to_odd() -> None:
    # Verdana 11px: a 6.61, b 6.85, l 3.02 (anafanafo's table)
    assert text_width("ab") == pytest.approx(13.46)
    assert preferred_width("ab") == 13  # 13 is odd already
    assert text_width("ll") == pytest.approx(6.04)
    assert preferred_width("ll") == 7  # 6 is even: one more
    assert preferred_width("lll") == 9  # 9.06 truncates to 9
    assert preferred_width("") == 1


# --- escaping, title, aria-label ------------------------------------------------------------


NASTY = "<script>alert('x')</script> & \"quoted\""


@pytest.mark.parametrize("style", badges.STYLES)
def test_text_is_xml_escaped(style: str) -> None:
    svg = render(NASTY, NASTY, "red", style)
    assert "<script" not in svg and "'x'" not in svg
    root = ET.fromstring(svg)
    texts = {t.text for t in root.iter(f"{SVG_NS}text") if t.text}
    shown = NASTY.upper() if style == "for-the-badge" else NASTY
    assert shown in texts
    assert root.get("aria-label", "").endswith(f": {shown}")


def test_characters_xml_forbids_are_dropped_but_still_measured() -> None:
    svg = render("a\x01b", "c\x1bd\ufffe", "blue")
    root = ET.fromstring(svg)  # parseable, unlike badge-maker's output for such input
    assert root.get("aria-label") == "ab: cd"
    # Laid out as badge-maker does: control characters are zero-width, U+FFFE (no metrics) is
    # as wide as "m"; tests/crosscheck compares this geometry with badge-maker itself.
    assert root.get("width") == ET.fromstring(render("ab", "cdm", "blue")).get("width")


@pytest.mark.parametrize(
    ("label", "message", "expected"),
    [
        ("coverage", "87%", "coverage: 87%"),
        ("", "87%", "87%"),
        ("  coverage ", " 87% ", "coverage: 87%"),
        ("build", "", "build: "),
    ],
)
def test_default_title_and_aria_label(label: str, message: str, expected: str) -> None:
    root = ET.fromstring(render(label, message, "green"))
    assert root.get("role") == "img"
    assert root.get("aria-label") == expected
    assert root.findtext(f"{SVG_NS}title") == expected


@pytest.mark.parametrize("style", badges.STYLES)
def test_title_override_replaces_only_the_title(style: str) -> None:
    title = 'coverage 87% at 1a2b3c4 on main, measured 2026-11-20 <stale?> & "old"'
    plain = render("coverage", "87%", "green", style)
    with_title = render("coverage", "87%", "green", style, title=title)
    root = ET.fromstring(with_title)
    assert root.findtext(f"{SVG_NS}title") == title
    assert root.get("aria-label") == ET.fromstring(plain).get("aria-label")
    default_title = ET.fromstring(plain).findtext(f"{SVG_NS}title") or ""
    escaped = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = escaped.replace('"', "&quot;")
    assert with_title == plain.replace(
        f"<title>{default_title}</title>", f"<title>{escaped}</title>"
    )


def test_unknown_and_stale_are_ordinary_grey_renders() -> None:
    for message, color in (("unknown", "lightgrey"), ("stale 91%", "grey")):
        root = ET.fromstring(render("coverage", message, color))
        fills = [rect.get("fill") for rect in root.iter(f"{SVG_NS}rect")]
        assert badges.NAMED_COLORS[color] in fills


# --- colours ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("color", "fill"),
    [
        ("brightgreen", "#4b0"),
        ("green", "#67ac09"),
        ("yellowgreen", "#95991a"),
        ("yellow", "#d8b800"),
        ("orange", "#ea7233"),
        ("red", "#dd4343"),
        ("blue", "#007ec6"),
        ("grey", "#555"),
        ("lightgrey", "#939393"),
        ("gray", "#555"),
        ("success", "#4b0"),
        ("Critical", "#dd4343"),
        ("RED", "#dd4343"),
        ("#4c1", "#4c1"),
        ("4C1", "#4c1"),
        ("#AbCdEf", "#abcdef"),
        ("e05d44", "#e05d44"),
    ],
)
def test_colours_accepted(color: str, fill: str) -> None:
    root = ET.fromstring(render("a", "b", color, "flat-square"))
    assert [rect.get("fill") for rect in root.iter(f"{SVG_NS}rect")] == ["#555", fill]


@pytest.mark.parametrize(
    "color", ["", "reddish", "#12", "#1234", "12345g", "rgb(1,2,3)", " red", "#4c1 ", "##4c1"]
)
def test_unknown_colour_refused_naming_it(color: str) -> None:
    with pytest.raises(ValueError, match="unknown badge colour") as error:
        render("a", "b", color)
    assert repr(color) in str(error.value)
    with pytest.raises(ValueError, match="unknown badge colour"):
        render("a", "b", "red", label_color=color)


@pytest.mark.parametrize("style", ["", "Flat", "flat_square", "for the badge", "popout", "svg"])
def test_unknown_style_refused_listing_styles(style: str) -> None:
    with pytest.raises(ValueError, match="unknown badge style") as error:
        render("a", "b", "red", style)
    assert repr(style) in str(error.value)
    assert "flat, flat-square, plastic, for-the-badge, social" in str(error.value)


def test_non_string_text_refused() -> None:
    with pytest.raises(TypeError, match="message must be a str"):
        render("a", 87, "red")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("percent", "color"),
    [
        (100, "brightgreen"),
        (90, "brightgreen"),
        (89.99, "green"),
        (Decimal("89.999"), "green"),
        (80, "green"),
        (79.99, "yellowgreen"),
        (70, "yellowgreen"),
        (69.99, "yellow"),
        (60, "yellow"),
        (59.99, "orange"),
        (50, "orange"),
        (49.99, "red"),
        (0.01, "red"),
        (0, "red"),
    ],
)
def test_color_for_default_thresholds(percent: float | Decimal, color: str) -> None:
    assert color_for(percent) == color


CUSTOM = {75: "#4c1", 50: "yellow", 25: "orange"}


@pytest.mark.parametrize(
    ("percent", "color"),
    [
        (100, "#4c1"),
        (75, "#4c1"),
        (74.999, "yellow"),
        (50, "yellow"),
        (Decimal("49.9"), "orange"),
        (25, "orange"),
        (24.99, "orange"),  # below every minimum: the lowest threshold's colour
        (0, "orange"),
    ],
)
def test_color_for_custom_thresholds(percent: float | Decimal, color: str) -> None:
    assert color_for(percent, CUSTOM) == color
    assert color_for(percent, sorted(CUSTOM.items())) == color  # pairs, in any order


@pytest.mark.parametrize(
    ("percent", "thresholds", "message"),
    [
        (50, {}, "must not be empty"),
        (50, [(80, "green"), (80.0, "red")], "given twice"),
        (50, {80: "greenish"}, "unknown badge colour 'greenish'"),
        (50, {101: "green"}, "between 0 and 100"),
        (-0.1, {0: "red"}, "between 0 and 100"),
        (100.01, {0: "red"}, "between 0 and 100"),
        (math.nan, {0: "red"}, "between 0 and 100"),
        (Decimal("NaN"), {0: "red"}, "between 0 and 100"),
    ],
)
def test_color_for_refuses_bad_input(percent: Any, thresholds: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        color_for(percent, thresholds)


def test_color_for_result_always_renders() -> None:
    for percent in range(101):
        render("coverage", f"{percent}%", color_for(percent))


# --- packaging ------------------------------------------------------------------------------


def test_standalone_standard_library_only() -> None:
    package = REPO / "badges"
    for source in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{source.name}: use absolute imports"
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top == "badges" or top in sys.stdlib_module_names, f"{source.name}: {name}"
    assert (package / "py.typed").is_file()


def test_public_api() -> None:
    assert set(badges.__all__) == {
        "COLOR_ALIASES",
        "DEFAULT_THRESHOLDS",
        "NAMED_COLORS",
        "STYLES",
        "Thresholds",
        "color_for",
        "render",
    }
    assert badges.STYLES == ("flat", "flat-square", "plastic", "for-the-badge", "social")
