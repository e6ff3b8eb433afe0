"""Badge render throughput (badges/s) per style; prints figures, asserts nothing.

Run from the repository root: .venv/bin/python bench/bench_badges.py [seconds per style]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import badges

MESSAGES = [f"{p / 10:.1f}%" for p in range(0, 1001, 7)]


def bench(style: str, seconds: float) -> tuple[float, int]:
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for message in MESSAGES:
            badges.render("coverage", message, "brightgreen", style, title="main @ 1a2b3c4")
        count += len(MESSAGES)
    return count / (time.perf_counter() - start), count


def main(seconds: float = 1.0) -> None:
    badges.render("warm", "up", "red")  # load the width tables outside the timing
    for style in badges.STYLES:
        badges.render("warm", "up", "red", style)
    print(f"Python {sys.version.split()[0]}, {seconds:g} s per style, one core")
    for style in ("flat", "for-the-badge", "flat-square", "plastic", "social"):
        rate, count = bench(style, seconds)
        print(f"  {style:14} {rate:10,.0f} badges/s  ({count:,} renders)")
    start = time.perf_counter()
    from badges.widths import Font, FontMetrics, _parse  # cold table load, for reference

    for font in Font:
        path = Path(badges.__file__).parent / "data" / f"{font.value}.txt"
        FontMetrics(font, _parse(path.read_text(encoding="ascii")))
    print(f"  loading all 4 width tables: {(time.perf_counter() - start) * 1000:.1f} ms")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
