"""Each tool's own way of turning covered/total into its headline (reference/formats.md §7).

Percentages are computed from integers in the producer's own operation order (Go ``100.0*c/t``,
coverage.py ``100.0*n/d``, Istanbul ``1000*100*c/t``), because float results differ in the last
bit otherwise and a display string then flips (e.g. Go's "%.1f" of 100*c/t vs c/t*100 differ for
20 of 80,600 pairs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Tools whose headline rules this module knows.
TOOLS = ("go", "coveragepy", "lcov", "istanbul", "jacoco", "clover", "cobertura", "unified")


def _go(covered: int, total: int) -> float:
    return 100.0 * covered / total


def _coveragepy_display(pc: float, precision: int) -> str:
    # coverage.py results.py display_covered: never show 0 or 100 unless exact.
    near0 = 1.0 / 10**precision
    if 0 < pc < near0:
        pc = near0
    elif (100.0 - near0) < pc < 100.0:
        pc = 100.0 - near0
    else:
        pc = round(pc, precision)
    return f"{pc:.{precision}f}%"


def _genhtml_rate(covered: int, total: int, precision: int) -> str:
    # genhtml `sub rate`: sprintf("%.*f", prec, hit*100/found), clamped so 0 < x and x < 100 never
    # print as 0 or 100.
    value = covered * 100 / total
    text = f"{value:.{precision}f}"
    low = 1 / 10**precision
    if covered and float(text) == 0:
        text = f"{low:.{precision}f}"
    elif covered < total and float(text) == 100:
        text = f"{100 - low:.{precision}f}"
    return text + "%"


def _istanbul_pct(covered: int, total: int) -> float:
    # istanbul-lib-coverage percent(): Math.floor((1000 * 100 * covered / total) / 10) / 100
    return math.floor((1000 * 100 * covered / total) / 10) / 100


def _js_number(value: float) -> str:
    """Format a float as JavaScript's Number#toString does for these small values."""
    if value == int(value):
        return str(int(value))
    return repr(value)


@dataclass(frozen=True, slots=True)
class DisplayRule:
    """How one tool prints its headline. ``precision`` is the tool's configured digits."""

    tool: str
    precision: int = 1

    def __post_init__(self) -> None:
        if self.tool not in TOOLS:
            raise ValueError(f"unknown display rule {self.tool!r}")
        if not 0 <= self.precision <= 10:
            raise ValueError(f"precision {self.precision} out of range 0..10")

    def percent(self, covered: int, total: int) -> float | None:
        """The unrounded percentage, or ``None`` where the tool shows no number for 0/0.

        Tools that call an empty report fully covered (coverage.py, Istanbul) return 100.0.
        """
        if total == 0:
            return 100.0 if self.tool in ("coveragepy", "istanbul") else None
        if self.tool == "go":
            return _go(covered, total)
        if self.tool == "coveragepy":
            return (100.0 * covered) / total
        if self.tool == "istanbul":
            return 1000 * 100 * covered / total / 1000
        return covered * 100 / total

    def display(self, covered: int, total: int) -> str:
        """The headline string exactly as the tool prints it (with its "%" sign)."""
        tool = self.tool
        if tool == "go":
            return "[no statements]" if total == 0 else f"{_go(covered, total):.1f}%"
        if tool == "coveragepy":
            pc = 100.0 if total == 0 else (100.0 * covered) / total
            return _coveragepy_display(pc, self.precision)
        if tool == "lcov":
            # `lcov --summary` says "no data found" for an empty kind (genhtml shows "-")
            return "no data found" if total == 0 else _genhtml_rate(covered, total, self.precision)
        if tool == "istanbul":
            if total == 0:
                return "100%"
            return _js_number(_istanbul_pct(covered, total)) + "%"
        if tool == "jacoco":
            return "n/a" if total == 0 else f"{(100 * covered) // total}%"
        if total == 0:
            return "-"
        if tool == "unified":
            # Codecov's default: precision 2, rounded down.
            scale = 10**self.precision
            floored = (covered * 100 * scale) // total
            return f"{floored / scale:.{self.precision}f}%"
        # clover, cobertura: a plain percentage at the rule's precision.
        return f"{covered * 100 / total:.{self.precision}f}%"


GO = DisplayRule("go", 1)
LCOV = DisplayRule("lcov", 1)
ISTANBUL = DisplayRule("istanbul", 2)
JACOCO = DisplayRule("jacoco", 0)
CLOVER = DisplayRule("clover", 1)
UNIFIED = DisplayRule("unified", 2)


def coveragepy(precision: int = 0) -> DisplayRule:
    """coverage.py's rule at its ``[report] precision`` (default 0)."""
    return DisplayRule("coveragepy", precision)
