"""A GOCOVERDIR (Go binary coverage data) as a tree format of the parser registry.

``sniff_tree`` claims a tree whose root holds ``covmeta.*`` or ``covcounters.*`` files;
``parse_tree`` reads every program (pod) there, merges runs as ``go tool covdata`` does and
returns a :class:`CoverageReport` in Go statements (rule :data:`percent.GO`), one
:class:`FileCoverage` per source file with its Go blocks and its package import path. Lines are
projected from the blocks exactly as the Go text profile parser does (it is
:func:`app.coverage.parsers.gocover.build_file`), so a GOCOVERDIR and its ``covdata textfmt``
output give the same report.

Stricter than go on purpose: an orphaned counter file (no meta file for it) is an error here,
since the counts it holds would be lost silently. Programs built in different counter modes are
merged as hit/miss and labelled ``set`` (formats.md §1.3); go's ``textfmt`` refuses them.
"""

from __future__ import annotations

from dataclasses import replace

from app.coverage import percent
from app.coverage.errors import InvalidReport, LimitExceeded
from app.coverage.gocovdata.meta import MODE_SET, mode_name
from app.coverage.gocovdata.ops import formatter_for
from app.coverage.gocovdata.pods import COUNTER_RE, META_RE, CovDir
from app.coverage.model import CoverageReport, FileCoverage
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits, SourceTree
from app.coverage.parsers.gocover_build import build_maps

FORMAT = "gocovdata"  # the same id as app.coverage.gocovdata.FORMAT
UNIT = "statements"


def _root_names(tree: SourceTree) -> list[str]:
    return [n for n in tree.names() if "/" not in n]


def sniff_tree(tree: SourceTree) -> bool:
    """Does the tree's root hold Go binary coverage files?"""
    return any(META_RE.match(n) or COUNTER_RE.match(n) for n in _root_names(tree))


def parse_tree(tree: SourceTree, limits: Limits = DEFAULT_LIMITS) -> CoverageReport:
    """Every program of the GOCOVERDIR at the tree's root, merged into one report."""
    label = tree.label()
    covdir = CovDir(label, _root_names(tree), tree.open)
    formatter, _ = formatter_for([covdir], relaxed=True, strict_pods=True, limits=limits)
    if formatter is None:
        raise InvalidReport(label, "no covmeta file: not a Go coverage directory")
    set_mode = formatter.mode == MODE_SET
    # file -> block key -> (statements, count), and the file's package
    blocks: dict[str, dict[tuple[int, int, int, int], tuple[int, int]]] = {}
    package_of: dict[str, str] = {}
    for path in sorted(formatter.packages):
        ps = formatter.packages[path]
        for (fid, u), count in ps.units.items():
            file = ps.funcs[fid][0]
            if u.st_line > limits.max_line_number or u.en_line > limits.max_line_number:
                raise LimitExceeded(label, f"{file}: line number above {limits.max_line_number}")
            per_file = blocks.get(file)
            if per_file is None:
                if len(blocks) >= limits.max_files:
                    raise LimitExceeded(label, f"more than {limits.max_files} source files")
                per_file = blocks[file] = {}
                package_of[file] = path
            key = (u.st_line, u.st_col, u.en_line, u.en_col)
            prev = per_file.get(key)
            if prev is not None:
                if prev[0] != u.nx_stmts:
                    raise InvalidReport(label, f"{file}: inconsistent statement counts at {key}")
                count = (1 if (count or prev[1]) else 0) if set_mode else prev[1] + count
            per_file[key] = (u.nx_stmts, min(count, limits.max_count))
    files: dict[str, FileCoverage] = {}
    measured = 0
    built = build_maps({file: blocks[file] for file in sorted(blocks)})  # all files at once
    for file, fc in built.items():
        measured += len(fc.lines)
        if measured > limits.max_lines:
            raise LimitExceeded(label, f"more than {limits.max_lines} measured lines")
        files[file] = replace(fc, package=package_of[file])
    return CoverageReport(
        format=FORMAT,
        unit=UNIT,
        rule=percent.GO,
        files=files,
        mode=mode_name(formatter.mode),
    )
