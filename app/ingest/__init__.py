"""Getting coverage inputs from the outside world: files, directories, archives (I/O lives here).

The pure core (:mod:`app.coverage`) never touches the file system; this package opens paths and
archives safely and hands the core :class:`~app.coverage.parsers.base.SourceTree` objects. The
GitHub artifact pipeline and the offline CLI both go through :func:`open_path` and
:func:`find_reports`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from app.coverage import parsers
from app.coverage.model import CoverageReport
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits, SourceTree
from app.ingest.unpack import (
    DEFAULT_UNPACK_LIMITS,
    DirectoryTree,
    FileTree,
    UnpackLimits,
    is_archive,
    open_archive,
)

__all__ = [
    "DEFAULT_UNPACK_LIMITS",
    "DirectoryTree",
    "FileTree",
    "UnpackLimits",
    "find_reports",
    "is_archive",
    "open_archive",
    "open_path",
    "parse_reports",
]


@contextlib.contextmanager
def open_path(
    path: str | os.PathLike[str], limits: UnpackLimits = DEFAULT_UNPACK_LIMITS
) -> Iterator[SourceTree]:
    """A file, a directory or an archive as a SourceTree (archives unpacked with ``limits``)."""
    if os.path.isdir(path):
        yield DirectoryTree(path, limits)
        return
    with open_archive(path, limits, label=os.fspath(path)) as tree:
        yield tree


def find_reports(tree: SourceTree, limits: Limits = DEFAULT_LIMITS) -> list[tuple[str, str]]:
    """Every coverage input of a tree as ``(member name, format)``; a tree format (a coverage.py
    HTML directory, a GOCOVERDIR) is named by its directory ("" for the tree's root)."""
    return [(found.name, found.format) for found in parsers.find_in_tree(tree, limits)]


def parse_reports(
    tree: SourceTree, limits: Limits = DEFAULT_LIMITS
) -> list[tuple[str, CoverageReport]]:
    """Find and parse every coverage input of a tree: ``(label, report)`` pairs.

    Istanbul files are parsed together (merged at Istanbul's level, one report); a run written in
    several formats is still several reports here: :func:`app.coverage.merge.dedupe` drops the
    repeats before merging.
    """
    found = parsers.find_in_tree(tree, limits)
    return parsers.parse_group([(tree, item) for item in found], limits)
