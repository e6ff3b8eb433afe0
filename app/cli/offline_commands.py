"""The offline commands: ``coverhub report``, ``coverhub merge`` and ``coverhub diff``.

Each takes the parsed arguments (see :func:`app.cli.offline.register`), loads the inputs
(:mod:`app.cli.offline_inputs`), prints (:mod:`app.cli.offline_render`) or writes the result,
and returns the exit code. Path warnings go to standard error; errors are raised for
:func:`app.cli.main` to print as one line.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any

from app.cli import UsageError
from app.cli.offline_inputs import load, load_reports, path_rules
from app.cli.offline_render import patch_table, report_json, report_table
from app.coverage.diff import parse_diff
from app.coverage.patch import patch_coverage

WRITE_FORMATS = ("gocover", "lcov", "cobertura")


def run_report(args: argparse.Namespace) -> int:
    rules = path_rules(args)
    report, warnings = load(args.paths, rules)
    for warning in warnings:
        print(f"coverhub report: warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(report_json(report), indent=None))
    else:
        print(report_table(report, args.by, rules.modules))
    return 0


def _writer(fmt: str) -> Any:
    try:
        return importlib.import_module(f"app.coverage.writers.{fmt}")
    except ModuleNotFoundError:
        raise UsageError(f"--format {fmt}: no writer for this format is installed") from None


def run_merge(args: argparse.Namespace) -> int:
    report, warnings = load(args.paths, path_rules(args))
    for warning in warnings:
        print(f"coverhub merge: warning: {warning}", file=sys.stderr)
    fmt = args.format
    if fmt is None:
        if report.format not in WRITE_FORMATS:
            raise UsageError(
                f"the merged report is {report.format}: choose an output with --format "
                f"({', '.join(WRITE_FORMATS)})"
            )
        fmt = report.format
    text: str = _writer(fmt).write(report)
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
    except OSError as exc:
        raise UsageError(f"{args.output}: {exc.strerror or exc}") from None
    return 0


def run_diff(args: argparse.Namespace) -> int:
    rules = path_rules(args)
    if args.diff_file == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            with open(args.diff_file, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise UsageError(f"{args.diff_file}: {exc.strerror or exc}") from None
    diff = parse_diff(data, args.diff_file, diff_cover_compat=args.diff_cover_compat)
    reports, warnings = load_reports(args.reports, rules)
    for warning in warnings:
        print(f"coverhub diff: warning: {warning}", file=sys.stderr)
    result = patch_coverage(reports, diff, branch_coverage=args.branch_coverage)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(patch_table(result))
    return 0
