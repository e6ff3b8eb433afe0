"""`make bench` / `python -m bench [NAME...]`: run the benchmarks and print their figures.

Benchmarks print numbers (medians, and ratios against a baseline measured in the same run);
they never assert. Each module listed here has a ``main()``.
"""

from __future__ import annotations

import importlib
import sys
import time

BENCHMARKS = [
    "bench.bench_parsers",
    "bench.bench_badges",
    "bench.bench_badge_http",
    "bench.bench_webhooks",
    "bench.bench_feedback",
]


def main(argv: list[str]) -> int:
    wanted = [f"bench.{n}" if not n.startswith("bench.") else n for n in argv]
    for name in wanted or BENCHMARKS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                print(f"== {name}: not present in this checkout", flush=True)
                continue
            raise
        print(f"\n== {name}", flush=True)
        started = time.perf_counter()
        module.main()
        print(f"-- {name} took {time.perf_counter() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
