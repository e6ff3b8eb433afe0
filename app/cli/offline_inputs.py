"""Inputs of the offline tools: PATH arguments to parsed, path-normalised coverage reports.

A PATH is a coverage file, a directory (searched for coverage files) or an archive (unpacked with
the same limits as CI artifacts). ``--path-fix``, ``--ignore`` and ``--go-module`` become the
:class:`~app.coverage.paths.PathRules` that make report paths repository-relative; Istanbul files
are parsed together, at Istanbul's level; :func:`load` merges everything into one report.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterable, Sequence

from app.cli import UsageError
from app.coverage import parsers
from app.coverage.errors import CoverageError, UnknownFormat
from app.coverage.merge import dedupe, merge
from app.coverage.model import CoverageReport
from app.coverage.parsers import Found
from app.coverage.parsers.base import SourceTree
from app.coverage.paths import (
    PathFix,
    PathRules,
    go_module_path,
    go_work_dirs,
    module_map,
    normalise_report,
)
from app.ingest import open_path


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


def path_rules(args: argparse.Namespace) -> PathRules:
    """The path rules of the ``--path-fix``, ``--ignore`` and ``--go-module`` options."""
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
