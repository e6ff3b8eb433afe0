"""Minimal SVG/XML writing that reproduces badge-maker's serialisation byte for byte.

badge-maker writes elements without whitespace between tags, attributes in insertion order,
numbers the way JavaScript prints them, and escapes & < > " ' in text and attribute values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["Attrs", "element", "escape", "js_number", "js_trim", "js_upper", "utf16_len"]

Attrs = Sequence[tuple[str, "str | int | float"]]

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"})
# Characters XML 1.0 does not allow at all, not even escaped. badge-maker passes them through
# (making the SVG unparseable); we drop them from the output (the layout still counts them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# JavaScript's String.prototype.trim(): WhiteSpace (incl. every Zs and U+FEFF) and LineTerminator.
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"  # noqa: E501


def escape(text: str) -> str:
    """XML-escape text or an attribute value as badge-maker does (& < > " ')."""
    text = text.translate(_ESCAPES)
    return _NOT_XML.sub("", text) if _NOT_XML.search(text) else text


def js_number(value: int | float) -> str:
    """A number as JavaScript's String(number) prints it (for the magnitudes a badge uses)."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer():
        return str(int(value))
    return repr(value)


def js_trim(text: str) -> str:
    """String.prototype.trim(), whose whitespace differs from str.strip()'s."""
    return text.strip(_JS_SPACE)


def js_upper(text: str) -> str:
    """String.prototype.toUpperCase() (full case mapping, like str.upper())."""
    return text.upper()


def utf16_len(text: str) -> int:
    """JavaScript's string .length: UTF-16 code units, so astral characters count twice."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _value(value: str | int | float) -> str:
    return escape(value) if isinstance(value, str) else js_number(value)


def element(name: str, attrs: Attrs = (), content: Sequence[str] | None = None) -> str:
    """``<name attrs/>``, or ``<name attrs>content</name>`` when content is given (even empty).

    ``content`` items are already-serialised markup or already-escaped text.
    """
    rendered = "".join(f' {key}="{_value(value)}"' for key, value in attrs)
    if content is None:
        return f"<{name}{rendered}/>"
    return f"<{name}{rendered}>{''.join(content)}</{name}>"
