"""badges against shields.io's renderer running live: badge-maker under node.

Renders generated cases (random text from many scripts, random colours, every style) with the real
npm package badge-maker, installed into .cache/npm-badges by scripts/badges/render_goldens.mjs,
and compares with our SVG byte for byte; also compares our width tables with the JSON tables that
badge-maker measures with. Without node or badge-maker these tests fail, they never skip.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

import badges
from badges.widths import Font, metrics

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "badges" / "render_goldens.mjs"
NODE_MODULES = REPO / ".cache" / "npm-badges" / "node_modules"

# Text drawn from many scripts: ASCII, Latin-1 and Extended, Greek, Cyrillic, Hebrew and Hangul
# (no metrics: measured as "m"), CJK, astral letters and emoji (two UTF-16 units), combining
# marks, the characters XML escapes, and whitespace that JavaScript trims but Python does not
# (U+FEFF) or the other way round (U+0085; U+001C is in the geometry test below, as XML 1.0
# forbids it).
ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;%!?-_/()[]{}#+=*~"
    "&<>\"'"
    "àéîõüÿßçñÀÉÎÕÜŸſǆǅﬁ"
    "αβγΩπΣ"
    "жшщЖШЩ"
    "אבג"
    "한국어"
    "日本語覆盖率"
    "\u0301\u0308"
    "\U0001f600\U0001f680\u2713\u2764"
    "\U0001d518\U0001d52b\U00010428"
    "\u00a0\u2003\ufeff\u0085\t"
)
COLORS = [*badges.NAMED_COLORS, *badges.COLOR_ALIASES, "#4c1", "e05d44", "#ABCDEF", "fff", "eee"]


def _need_node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "node is not on PATH: this cross-check runs shields' renderer (npm badge-maker) "
            "under node; install Node.js >= 18"
        )
    result = subprocess.run(
        [node, str(SCRIPT), "--install"], capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        pytest.fail(
            f"could not install badge-maker with `node {SCRIPT.relative_to(REPO)} --install` "
            f"(needs npm and the npm registry):\n{result.stderr[-2000:]}"
        )
    return node


def _badge_maker(node: str, cases: list[dict[str, Any]]) -> list[str]:
    result = subprocess.run(
        [node, str(SCRIPT), "--stdin"],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    if result.returncode != 0:
        pytest.fail(f"badge-maker failed:\n{result.stderr[-2000:]}")
    svgs: list[str] = json.loads(result.stdout)
    return svgs


def _random_text(rng: random.Random, longest: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest)))


def _cases(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        case: dict[str, Any] = {
            "label": _random_text(rng, 12),
            "message": _random_text(rng, 24),
            "color": rng.choice(COLORS),
            "style": rng.choice(badges.STYLES),
        }
        if rng.random() < 0.2:
            case["labelColor"] = rng.choice(COLORS)
        cases.append(case)
    return cases


def _ours(case: dict[str, Any]) -> str:
    return badges.render(
        case["label"],
        case["message"],
        case["color"],
        case["style"],
        label_color=case.get("labelColor"),
    )


def test_random_badges_byte_identical_to_live_badge_maker() -> None:
    node = _need_node()
    cases = _cases(seed=20261121, count=600)
    for style in badges.STYLES:  # and the fixed shapes: empty label, message, both
        for label, message in (("", "x"), ("x", ""), ("", "")):
            cases.append({"label": label, "message": message, "color": "red", "style": style})
    theirs = _badge_maker(node, cases)
    mismatches = [
        (case, mine, gold)
        for case, gold in zip(cases, theirs, strict=True)
        if (mine := _ours(case)) != gold
    ]
    shown = "\n".join(
        f"{case!r}\n  ours: {mine}\n  gold: {gold}" for case, mine, gold in mismatches[:3]
    )
    assert not mismatches, f"{len(mismatches)} of {len(cases)} differ from badge-maker:\n{shown}"


def test_xml_forbidden_characters_keep_badge_maker_geometry() -> None:
    # badge-maker keeps such characters (producing unparseable XML); we drop them from the output
    # but lay the badge out the same.
    node = _need_node()
    cases = [
        {"label": label, "message": message, "color": "blue", "style": style}
        for style in badges.STYLES
        for label, message in (("a\x01b", "c\x1bd\ufffe\x08"), ("\x1c ab", "cd \x1c"))
    ]
    for case, gold in zip(cases, _badge_maker(node, cases), strict=True):
        mine = ET.fromstring(_ours(case))
        assert mine.get("width") == gold.split('width="', 1)[1].split('"', 1)[0]
        lengths = [t.get("textLength") for t in mine.iter("{http://www.w3.org/2000/svg}text")]
        gold_lengths = [part.split('"', 1)[0] for part in gold.split('textLength="')[1:]]
        assert lengths == gold_lengths


@pytest.mark.parametrize("font", list(Font))
def test_width_tables_equal_badge_makers(font: Font) -> None:
    _need_node()
    source = NODE_MODULES / "anafanafo" / "data" / f"{font.value}.json"
    table = [(int(lo), int(hi), float(width)) for lo, hi, width in json.loads(source.read_text())]
    assert list(metrics(font).ranges) == table
