"""The offline tools: ``coverhub report``, ``coverhub merge`` and ``coverhub diff`` on local files.

A PATH is a coverage file, a directory (searched for coverage files) or an archive (zip, tar,
tar.gz...; unpacked with the same limits as CI artifacts). Reports are detected, parsed, their
paths made repository-relative (``--path-fix``, ``--ignore``, ``--go-module``) and merged.

``--json`` output follows the stable contracts of DESIGN.md ("Command line"). Errors are one line
on standard error naming the input (raised here, printed by :func:`app.cli.main`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.cli import UsageError
from app.coverage import parsers, percent
from app.coverage.diff import parse_diff
from app.coverage.errors import CoverageError, UnknownFormat
from app.coverage.merge import dedupe, merge
from app.coverage.model import Counts, CoverageReport, FileCoverage, LineTotals
from app.coverage.parsers import Found
from app.coverage.parsers.base import SourceTree
from app.coverage.patch import PatchCoverage, patch_coverage
from app.coverage.paths import (
    PathFix,
    PathRules,
    go_module_path,
    go_work_dirs,
    module_map,
    normalise_report,
)
from app.coverage.rollup import Node, by_directory, by_package
from app.ingest import open_path

WRITE_FORMATS = ("gocover", "lcov", "cobertura")


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


# --------------------------------------------------------------------------------------------
# loading


def _read_text(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", "replace")
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from None


def _repo_dir(directory: str) -> str:
    rel = os.path.relpath(os.path.abspath(directory), os.getcwd())
    if rel == "." or rel.startswith(".."):
        return ""
    return rel.replace(os.sep, "/")


def _modules(specs: Iterable[str]) -> dict[str, str]:
    go_mods: dict[str, str] = {}
    modules: dict[str, str] = {}
    for spec in specs:
        if os.path.isdir(spec):
            work = os.path.join(spec, "go.work")
            mod = os.path.join(spec, "go.mod")
            if os.path.isfile(work):
                for use in go_work_dirs(_read_text(work)):
                    use_mod = os.path.join(spec, use, "go.mod")
                    if os.path.isfile(use_mod):
                        go_mods[_repo_dir(os.path.join(spec, use)) + "/go.mod"] = _read_text(
                            use_mod
                        )
            if os.path.isfile(mod):
                go_mods[_repo_dir(spec) + "/go.mod"] = _read_text(mod)
            if not os.path.isfile(work) and not os.path.isfile(mod):
                raise UsageError(f"--go-module {spec}: no go.mod or go.work in this directory")
        elif os.path.isfile(spec):
            text = _read_text(spec)
            if os.path.basename(spec) == "go.work":
                base = os.path.dirname(spec) or "."
                for use in go_work_dirs(text):
                    use_mod = os.path.join(base, use, "go.mod")
                    if os.path.isfile(use_mod):
                        go_mods[_repo_dir(os.path.join(base, use)) + "/go.mod"] = _read_text(
                            use_mod
                        )
            else:
                if go_module_path(text) is None:
                    raise UsageError(f"--go-module {spec}: no module directive in this file")
                go_mods[_repo_dir(os.path.dirname(spec) or ".") + "/go.mod"] = text
        elif "." in spec.split("/", 1)[0] and " " not in spec:
            modules[spec.rstrip("/")] = ""  # a module path: the repository's root
        else:
            raise UsageError(f"--go-module {spec}: no such file, directory or module path")
    modules.update(module_map({k.lstrip("/"): v for k, v in go_mods.items()}))
    return modules


def _rules(args: argparse.Namespace) -> PathRules:
    try:
        fixes = tuple(PathFix.parse(text) for text in args.path_fixes)
    except CoverageError as exc:
        raise UsageError(f"--path-fix {exc.source}: {exc.problem}") from None
    return PathRules(
        fixes=fixes,
        ignore=tuple(args.ignores),
        modules=_modules(args.go_modules),
        roots=_checkout_roots(),
    )


def _checkout_roots() -> tuple[str, ...]:
    """Absolute prefixes that mean "this checkout": the enclosing git work tree (the root that
    diffs are relative to), then the working directory."""
    cwd = os.getcwd()
    roots: list[str] = []
    here = cwd
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            roots.append(here)
            break
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    if cwd not in roots:
        roots.append(cwd)
    return tuple(roots)


def _inputs(stack: contextlib.ExitStack, path: str) -> list[tuple[SourceTree, Found]]:
    """Open one PATH (kept open by ``stack``) and find its coverage inputs."""
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file or directory")
    tree = stack.enter_context(open_path(path))
    names = list(tree.names())
    if os.path.isdir(path) or len(names) != 1:
        found = parsers.find_in_tree(tree)
        if not found:
            raise UnknownFormat(path, "no coverage file found")
        return [(tree, item) for item in found]
    with tree.open(names[0]) as stream:
        head = parsers.read_head(stream)
    fmt = parsers.detect(path, head)
    if fmt is None:
        what = "an empty file" if not head.strip() else "no known coverage format"
        raise UnknownFormat(path, f"{what} (looked for: {', '.join(parsers.formats())})")
    return [(tree, Found(names[0], fmt))]


def load_reports(paths: Sequence[str], rules: PathRules) -> tuple[list[CoverageReport], list[str]]:
    """Parse every input (Istanbul files together, at Istanbul's level) and normalise its paths;
    returns the reports and the path warnings."""
    reports: list[CoverageReport] = []
    warnings: list[str] = []
    try:
        with contextlib.ExitStack() as stack:
            items = [item for path in paths for item in _inputs(stack, path)]
            parsed = parsers.parse_group(items)
    except OSError as exc:
        raise UsageError(f"{exc.filename or paths[0]}: {exc.strerror or exc}") from None
    for label, report in parsed:
        normalised = normalise_report(report, rules)
        for original, candidates in normalised.ambiguous.items():
            warnings.append(
                f"{label}: {original} is ambiguous ({', '.join(candidates)}); kept as is"
            )
        reports.append(normalised.report)
    return reports, warnings


def load(paths: Sequence[str], rules: PathRules) -> tuple[CoverageReport, list[str]]:
    """Parse every input, normalise its paths, merge; returns the report and path warnings."""
    reports, warnings = load_reports(paths, rules)
    label = paths[0] if len(paths) == 1 else f"merge of {', '.join(paths)}"
    # one run written in several formats (coverage.xml + htmlcov/ ...) counts once
    return merge(dedupe(reports), label), warnings


# --------------------------------------------------------------------------------------------
# report


def _native_json(rule: percent.DisplayRule, unit: str, counts: Counts) -> dict[str, Any]:
    return {
        "unit": unit,
        "covered": counts.covered,
        "total": counts.total,
        "percent": rule.percent(counts.covered, counts.total),
        "display": rule.display(counts.covered, counts.total),
    }


def _lines_json(lines: LineTotals) -> dict[str, int]:
    return {"covered": lines.covered, "total": lines.total, "partial": lines.partial}


def _branches_json(branches: Counts) -> dict[str, int]:
    return {"covered": branches.covered, "total": branches.total}


def report_json(report: CoverageReport) -> dict[str, Any]:
    """The ``coverhub report --json`` contract (DESIGN.md)."""
    return {
        "format": report.format,
        "native": _native_json(report.rule, report.unit, report.native_totals()),
        "lines": _lines_json(report.line_totals()),
        "branches": _branches_json(report.branch_totals()),
        "files": [
            {
                "path": f.path,
                "native": _native_json(report.rule, report.unit, f.native),
                "lines": _lines_json(f.line_totals()),
                "branches": _branches_json(f.branch_totals()),
            }
            for f in report.files.values()
        ],
    }


def _unified(lines: LineTotals) -> str:
    return percent.UNIFIED.display(lines.hits, lines.total)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], footer: Sequence[str]) -> str:
    widths = [len(h) for h in headers]
    for row in [*rows, footer]:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def fmt(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(widths[i + 1]) for i, cell in enumerate(row[1:])]
        return "  ".join(cells).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([fmt(headers), rule, *(fmt(r) for r in rows), rule, fmt(footer)])


def _rows(report: CoverageReport, by: str, modules: Mapping[str, str]) -> list[tuple[str, Node]]:
    """Table rows: files, or a roll-up (indented names, parents before children)."""
    if by == "file":
        return [(f.path, _file_node(f)) for f in report.files.values()]
    root = by_directory(report) if by == "directory" else by_package(report, modules or None)
    rows: list[tuple[str, Node]] = []
    for depth, node in root.walk():
        if depth == 0:
            continue
        name = node.key if node.kind != "file" else node.name
        rows.append(("  " * (depth - 1) + name + ("/" if node.kind == "directory" else ""), node))
    return rows


def _file_node(f: FileCoverage) -> Node:
    return Node(f.path, f.path, "file", f.native, f.line_totals(), f.branch_totals())


def report_table(
    report: CoverageReport, by: str = "file", modules: Mapping[str, str] | None = None
) -> str:
    """A table with a TOTAL row: per file (or rolled up by directory or by module and package),
    the native figure as the tool prints it and the labelled unified metric."""
    unit = report.unit
    tool = report.rule.tool

    def row(name: str, native: Counts, lines: LineTotals) -> list[str]:
        return [
            name,
            str(native.total),
            str(native.missed),
            report.rule.display(native.covered, native.total),
            str(lines.total),
            str(lines.partial),
            str(lines.misses),
            _unified(lines) if lines.total else "-",
        ]

    headers = [
        "Name",
        {"statements": "Stmts", "lines": "Measured"}.get(unit, unit.capitalize()),
        "Miss",
        "Cover",
        "Lines",
        "Partial",
        "Line miss",
        "Unified",
    ]
    rows = [row(name, node.native, node.lines) for name, node in _rows(report, by, modules or {})]
    native, lines = report.native_totals(), report.line_totals()
    footer = row("TOTAL", native, lines)
    how = (
        "line-level merge of several formats"
        if report.format == "mixed"
        else f"as {tool} prints it"
    )
    note = (
        f"Format {report.format}"
        + (f" (mode {report.mode})" if report.mode else "")
        + f": {report.native_display()} of {unit} ({how}). "
        + f"Unified (hits / (hits + partials + misses), lines): {_unified(lines)}."
    )
    return _table(headers, rows, footer) + "\n\n" + note


def run_report(args: argparse.Namespace) -> int:
    rules = _rules(args)
    report, warnings = load(args.paths, rules)
    for warning in warnings:
        print(f"coverhub report: warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(report_json(report), indent=None))
    else:
        print(report_table(report, args.by, rules.modules))
    return 0


# --------------------------------------------------------------------------------------------
# merge


def _writer(fmt: str) -> Any:
    try:
        return importlib.import_module(f"app.coverage.writers.{fmt}")
    except ModuleNotFoundError:
        raise UsageError(f"--format {fmt}: no writer for this format is installed") from None


def run_merge(args: argparse.Namespace) -> int:
    report, warnings = load(args.paths, _rules(args))
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


# --------------------------------------------------------------------------------------------
# diff


def patch_table(result: PatchCoverage) -> str:
    rows = [[f.path, str(f.covered), str(f.total), _ranges(f.missing)] for f in result.files]
    footer = ["TOTAL", str(result.covered), str(result.total), result.display]
    text = _table(["File", "Covered", "Lines", "Missing"], rows, footer)
    if result.not_measured:
        text += "\n\nNot measured (no coverage data): " + ", ".join(result.not_measured)
    return text + f"\n\nPatch coverage (diff-cover rules): {result.display}"


def _ranges(lines: Sequence[int]) -> str:
    out: list[str] = []
    start = prev = None
    for line in lines:
        if start is None:
            start = prev = line
        elif prev is not None and line == prev + 1:
            prev = line
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = line
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(out)


def run_diff(args: argparse.Namespace) -> int:
    rules = _rules(args)
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
