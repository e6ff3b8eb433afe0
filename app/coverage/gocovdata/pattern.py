"""Go's package patterns for ``-pkg`` (cmd/internal/pkgpattern ``MatchSimplePattern``).

A pattern is an import path where ``...`` matches any string (slashes included); a trailing
``/...`` also matches the path without it (``net/...`` matches ``net``). ``-pkg`` takes a
comma-separated list; a package is selected when any pattern matches it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Matcher = Callable[[str], bool]


def compile_pattern(pattern: str) -> Matcher:
    suffix = ""
    body = pattern
    if body.endswith("/..."):
        body = body[: -len("/...")]
        suffix = "(?:/.*)?"
    regex = ".*".join(re.escape(part) for part in body.split("...")) + suffix
    compiled = re.compile(regex)

    def match(name: str) -> bool:
        return compiled.fullmatch(name) is not None

    return match


def compile_patterns(spec: str) -> Matcher | None:
    """The matcher for a ``-pkg`` value, or None when no ``-pkg`` was given (select all)."""
    if spec == "":
        return None
    matchers = [compile_pattern(p) for p in spec.split(",") if p != ""]

    def match(name: str) -> bool:
        return any(m(name) for m in matchers)

    return match
