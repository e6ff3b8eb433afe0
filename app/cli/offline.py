"""The offline tools: ``coverhub report``, ``coverhub merge`` and ``coverhub diff`` on local files.

A PATH is a coverage file, a directory (searched for coverage files) or an archive (zip, tar,
tar.gz...; unpacked with the same limits as CI artifacts). Reports are detected, parsed, their
paths made repository-relative (``--path-fix``, ``--ignore``, ``--go-module``) and merged.

``--json`` output follows the stable contracts of DESIGN.md ("Command line"). Errors are one line
on standard error naming the input (raised by the commands, printed by
:func:`app.cli.main`).

This module registers the commands and their options with argparse; the rest lives in
:mod:`app.cli.offline_commands` (the commands), :mod:`app.cli.offline_inputs` (loading the
inputs) and :mod:`app.cli.offline_render` (JSON and tables).
"""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.offline_commands import WRITE_FORMATS, run_diff, run_merge, run_report
from app.cli.offline_inputs import load, load_reports
from app.cli.offline_render import patch_table, report_json, report_table

__all__ = [
    "WRITE_FORMATS",
    "load",
    "load_reports",
    "patch_table",
    "register",
    "report_json",
    "report_table",
    "run_diff",
    "run_merge",
    "run_report",
]


def register(subparsers: Any) -> None:
    """Add ``report``, ``merge`` and ``diff``."""
    report = subparsers.add_parser(
        "report",
        help="detect, parse and merge coverage files; print the totals",
        description="Detect, parse and merge coverage reports and print their totals: the "
        "producing tool's own headline and the unified line metric.",
    )
    report.add_argument("paths", nargs="+", metavar="PATH", help="file, directory or archive")
    report.add_argument("--json", action="store_true", help="print the JSON contract")
    report.add_argument(
        "--by",
        choices=("file", "directory", "package"),
        default="file",
        help="table rows: files (default), a directory tree, or module > package > file",
    )
    _path_options(report)
    report.set_defaults(func=run_report)

    merge_cmd = subparsers.add_parser(
        "merge",
        help="merge coverage files into one",
        description="Merge coverage reports by their format's rules and write one report.",
    )
    merge_cmd.add_argument("paths", nargs="+", metavar="PATH", help="file, directory or archive")
    merge_cmd.add_argument("-o", "--output", required=True, metavar="OUT", help="'-' = stdout")
    merge_cmd.add_argument(
        "--format",
        choices=WRITE_FORMATS,
        help="output format (default: the inputs' format when it is one of these)",
    )
    _path_options(merge_cmd)
    merge_cmd.set_defaults(func=run_merge)

    diff = subparsers.add_parser(
        "diff",
        help="patch coverage of a unified diff (as diff-cover computes it)",
        description="Patch coverage of a unified diff (git diff output), computed as diff-cover "
        "does: measured added lines, uncovered ones, and the total truncated to an integer.",
    )
    diff.add_argument(
        "--report", dest="reports", nargs="+", required=True, metavar="PATH", action="extend"
    )
    diff.add_argument("--diff", dest="diff_file", required=True, metavar="FILE", help="'-' = stdin")
    diff.add_argument("--json", action="store_true", help="print the JSON contract")
    diff.add_argument(
        "--branch-coverage",
        action="store_true",
        help="count partly taken branches as uncovered (diff-cover --branch-coverage)",
    )
    # The contract is "the same numbers as diff-cover on the same diff and report", so by default
    # lines after a '\ No newline at end of file' marker are numbered as diff-cover 11 numbers
    # them (one too high: it counts the marker as a line). --exact-line-numbers numbers them as
    # git does; the service's own patch coverage always uses git's numbering.
    diff.add_argument(
        "--exact-line-numbers",
        dest="diff_cover_compat",
        action="store_false",
        help="number lines after a '\\ No newline at end of file' marker as git does "
        "(diff-cover counts the marker as a line)",
    )
    diff.add_argument(
        "--diff-cover-compat",
        dest="diff_cover_compat",
        action="store_true",
        default=True,
        help="(default) number lines exactly as diff-cover 11 does",
    )
    _path_options(diff)
    diff.set_defaults(func=run_diff)


def _path_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("paths")
    group.add_argument(
        "--path-fix",
        dest="path_fixes",
        action="append",
        default=[],
        metavar="BEFORE::AFTER",
        help="rewrite a path prefix (repeatable; the first that matches wins)",
    )
    group.add_argument(
        "--ignore",
        dest="ignores",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out files matching GLOB (repeatable; ** spans directories)",
    )
    group.add_argument(
        "--go-module",
        dest="go_modules",
        action="append",
        default=[],
        metavar="PATH",
        help="a go.mod, go.work, or a directory holding one: maps Go import paths to "
        "repository paths (repeatable; a module path such as example.com/m maps to the root)",
    )
