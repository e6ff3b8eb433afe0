"""``coverhub collect``: pull runtime coverage from running services and merge it.

    coverhub collect URL... [--skip REGEX]... (-o OUT | --upload ...)

Services: goverage, goc v1 (agents and center: ``POST /v1/cover/profile``), goc v2's center
(``GET /v2/cover/profile``, JSON ``{"profile": ...}``) and coverhub's Python endpoint
(:mod:`app.pycover`, a coverage.py JSON report). See :mod:`app.collect` for the rules.

Exit codes: 0 every service answered; 3 **partial**: some services did not answer, OUT was
written from the others and standard error says which ones are missing (one line each) and that
the result is partial; 1 nothing usable (no service answered, bad arguments, unwritable OUT); 2
argparse's usage errors. ``--upload`` sends the result to a coverhub server instead of OUT.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.cli import UsageError
from app.cli.upload import add_target_options, check_target, send

EXIT_PARTIAL = 3
WRITE_FORMATS = ("gocover", "lcov", "cobertura")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "collect",
        help="pull runtime coverage (POST /v1/cover/profile) from running services and merge it",
        description="Pull coverage from running services compatible with goc and goverage (and "
        "coverhub's Python endpoint) and merge it by Go's rules. Exit status 3 means partial: "
        "some services did not answer and the output holds the others.",
    )
    parser.add_argument("urls", nargs="+", metavar="URL", help="service root or endpoint URL")
    parser.add_argument(
        "--skip",
        dest="skips",
        action="append",
        default=[],
        metavar="REGEX",
        help="leave out files whose name matches (unanchored; sent as skipFile and applied "
        "here too; RE2-compatible subset, run in linear time)",
    )
    out = parser.add_mutually_exclusive_group(required=True)
    out.add_argument(
        "-o", "--output", metavar="OUT", help="write the merged profile ('-' = stdout)"
    )
    out.add_argument(
        "--upload",
        action="store_true",
        help="send the result to a coverhub server (with --url, --repo, --sha, --token)",
    )
    parser.add_argument(
        "--format",
        choices=WRITE_FORMATS,
        help="output format (default: gocover for Go services, lcov otherwise)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="bound on every network wait and on each attempt (default 10)",
    )
    parser.add_argument(
        "--retries", type=int, default=2, metavar="N", help="retries per request (default 2)"
    )
    parser.add_argument(
        "--single-scrape",
        action="store_true",
        help="ask each service once and keep its answer as is (goverage's counts then include "
        "every earlier scrape); by default a Go count/atomic answer is asked twice and "
        "goverage's accumulation is taken out",
    )
    add_target_options(parser)
    parser.set_defaults(func=run_collect)


def run_collect(args: argparse.Namespace) -> int:
    if args.upload:
        check_target(args)  # before scraping: a missing option must not cost a scrape
    if not 0 < args.timeout <= 600:
        raise UsageError("--timeout must be more than 0 and at most 600 seconds")
    if not 0 <= args.retries <= 10:
        raise UsageError("--retries must be between 0 and 10")
    from app.collect.client import FetchOptions
    from app.collect.collector import collect
    from app.collect.skip import SkipPatternError, compile_skips

    try:
        skips = compile_skips(args.skips)
    except SkipPatternError as exc:
        raise UsageError(str(exc)) from None
    try:
        options = FetchOptions(timeout=args.timeout, retries=args.retries)
        result = collect(args.urls, skips, options, single_scrape=args.single_scrape)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for url in result.duplicates:
        print(f"coverhub collect: {url}: listed twice, scraped once", file=sys.stderr)
    for failed in result.failed:
        print(f"coverhub collect: {failed.target.url}: {failed.error}", file=sys.stderr)
    if result.merged is None:
        raise UsageError(f"no service answered ({len(result.results)} tried); nothing written")
    report = result.merged
    fmt = args.format or ("gocover" if report.format == "gocover" else "lcov")
    text = _write(report, fmt)
    if args.upload:
        name = {"gocover": "coverage.out", "lcov": "lcov.info", "cobertura": "coverage.xml"}[fmt]
        sent = send(args, name, text.encode())
        print(
            f"coverhub collect: uploaded as job {sent['job']}; {sent['coverage']}", file=sys.stderr
        )
    elif args.output == "-":
        sys.stdout.write(text)
    else:
        try:
            with open(args.output, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        except OSError as exc:
            raise UsageError(f"{args.output}: {exc.strerror or exc}") from None
    answered, total = len(result.answered), len(result.results)
    headline = f"{report.native_display()} ({report.unit})"
    if result.failed:
        print(
            f"coverhub collect: PARTIAL result: {total - answered} of {total} services did not "
            f"answer; {'the upload' if args.upload else args.output} holds the other {answered}:"
            f" {headline}",
            file=sys.stderr,
        )
        return EXIT_PARTIAL
    print(f"coverhub collect: {answered} of {total} services: {headline}", file=sys.stderr)
    return 0


def _write(report: Any, fmt: str) -> str:
    import importlib

    text: str = importlib.import_module(f"app.coverage.writers.{fmt}").write(report)
    return text
