"""What every parser module provides, and the bounds every parser enforces.

A parser module exposes three names:

* ``FORMAT``: its format id ("cobertura", "lcov", ...), used in reports and ``--json`` output;
* ``sniff(name, head) -> bool``: does a file of this name, starting with these bytes, look like
  this format? (``head`` is at most :data:`SNIFF_BYTES` bytes);
* ``parse(stream, name, limits) -> CoverageReport``: read a binary stream (never the whole input
  at once where the format allows streaming) and return the report. ``name`` is what errors name.

Formats made of several files (a coverage.py HTML directory, a Go GOCOVERDIR) expose instead
``sniff_tree(tree) -> bool`` and ``parse_tree(tree, limits) -> CoverageReport`` over a
:class:`SourceTree`. The core never touches the file system itself: the caller hands it streams.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol

#: How many leading bytes detection looks at.
SNIFF_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on untrusted input. Every breach raises LimitExceeded naming the input."""

    max_bytes: int = 1 << 30  # one input file
    max_files: int = 200_000  # source files in one report
    max_line_number: int = 10_000_000
    max_count: int = 2**63 - 1  # execution counts above this are refused
    max_lines: int = 50_000_000  # measured lines in one report


DEFAULT_LIMITS = Limits()


class SourceTree(Protocol):
    """A set of named files (a directory or an unpacked archive) handed to the core."""

    def names(self) -> Sequence[str]:
        """Member names, '/'-separated, relative to the tree's root."""
        ...

    def open(self, name: str) -> BinaryIO:
        """A binary stream of one member."""
        ...

    def label(self) -> str:
        """How errors name the tree (a path or an artifact name)."""
        ...
