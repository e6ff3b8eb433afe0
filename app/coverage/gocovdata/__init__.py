"""Go binary coverage data (GOCOVERDIR: ``covmeta.*`` and ``covcounters.*``) in pure Python.

* :mod:`.wire` - bounded byte reader, ULEB128, string tables, FNV-1a 128;
* :mod:`.meta` / :mod:`.counters` - decode and encode meta-data and counter-data files;
* :mod:`.pods` - input directories and pods (a meta file and its counter files);
* :mod:`.ops` - ``go tool covdata`` percent, func, pkglist, textfmt, merge, subtract, intersect;
* :mod:`.report` - a module -> package -> file summary and each package's disposition.

Nothing here reads or writes files: callers hand in bytes, streams or a SourceTree.
"""

from __future__ import annotations

from app.coverage.gocovdata.counters import CounterFile, decode_counter_file, encode_counter_file
from app.coverage.gocovdata.meta import MetaFile, decode_meta_file, encode_meta_file
from app.coverage.gocovdata.ops import (
    Result,
    func,
    intersect,
    merge,
    percent,
    pkglist,
    subtract,
    textfmt,
)
from app.coverage.gocovdata.pattern import compile_patterns
from app.coverage.gocovdata.pods import CovDir, collect_pods
from app.coverage.model import CoverageReport
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits, SourceTree

__all__ = [
    "CounterFile",
    "CovDir",
    "MetaFile",
    "Result",
    "collect_pods",
    "compile_patterns",
    "decode_counter_file",
    "decode_meta_file",
    "encode_counter_file",
    "encode_meta_file",
    "func",
    "intersect",
    "merge",
    "percent",
    "pkglist",
    "subtract",
    "textfmt",
]

# The parser registry (app.coverage.parsers.TREE_MODULES) imports this package as the tree
# parser of the "gocovdata" format; the parser itself is app.coverage.parsers.gocovdata, imported
# on first use (it imports this package).
FORMAT = "gocovdata"


def sniff_tree(tree: SourceTree) -> bool:
    from app.coverage.parsers import gocovdata as parser

    return parser.sniff_tree(tree)


def parse_tree(tree: SourceTree, limits: Limits = DEFAULT_LIMITS) -> CoverageReport:
    from app.coverage.parsers import gocovdata as parser

    return parser.parse_tree(tree, limits)


__all__ += ["FORMAT", "parse_tree", "sniff_tree"]
