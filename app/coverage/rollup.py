"""Roll-ups: coverage summed by directory, and by module -> package -> file.

Large applications want a hierarchical view rather than a flat file list: first a summary by
module, then package within module, then file within package (Go proposal 51430, "coverage for
applications"). Every node carries the native counts, the line totals and the branch counts of
everything under it; they are sums, so a node's figures are exactly its children's added up. The
root carries the report's own totals (which for summary-only formats is the report's headline).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from app.coverage.model import Counts, CoverageReport, FileCoverage, LineTotals

ROOT = "root"
MODULE = "module"
PACKAGE = "package"
DIRECTORY = "directory"
FILE = "file"
#: The module name of files that no module of the map contains.
OTHER_MODULE = "(other)"


@dataclass(frozen=True, slots=True)
class Node:
    """One node of a roll-up; ``key`` is its full path (directory, package or module path)."""

    name: str
    key: str
    kind: str
    native: Counts
    lines: LineTotals
    branches: Counts
    children: tuple[Node, ...] = ()

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Node]]:
        """``(depth, node)`` for this node and everything under it, parents first."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)

    def find(self, key: str, kind: str | None = None) -> Node | None:
        for _, node in self.walk():
            if node.key == key and (kind is None or node.kind == kind):
                return node
        return None


def _file_node(f: FileCoverage) -> Node:
    return Node(
        posixpath.basename(f.path), f.path, FILE, f.native, f.line_totals(), f.branch_totals()
    )


def _sum_node(name: str, key: str, kind: str, children: list[Node]) -> Node:
    native, lines, branches = Counts(), LineTotals(), Counts()
    for child in children:
        native = native + child.native
        lines = lines + child.lines
        branches = branches + child.branches
    children.sort(key=lambda n: (n.kind == FILE, n.name))
    return Node(name, key, kind, native, lines, branches, tuple(children))


def _root(report: CoverageReport, children: list[Node]) -> Node:
    node = _sum_node("", "", ROOT, children)
    if report.native_override is None:
        return node
    return Node(
        node.name, node.key, ROOT, report.native_override, node.lines, node.branches, node.children
    )


def by_directory(report: CoverageReport) -> Node:
    """Root -> directories (nested as in the tree) -> files."""

    def build(key: str, paths: list[str]) -> list[Node]:
        files: list[Node] = []
        subdirs: dict[str, list[str]] = {}
        cut = len(key) + 1 if key else 0
        for path in paths:
            rest = path[cut:]
            head, sep, _ = rest.partition("/")
            if sep:
                subdirs.setdefault(head, []).append(path)
            else:
                files.append(_file_node(report.files[path]))
        for name, members in subdirs.items():
            sub_key = f"{key}/{name}" if key else name
            files.append(_sum_node(name, sub_key, DIRECTORY, build(sub_key, members)))
        return files

    return _root(report, build("", sorted(report.files)))


def _module_of(f: FileCoverage, package: str, modules: Mapping[str, str]) -> str:
    """The longest module path containing the package (Go import paths), else the module whose
    repository directory contains the file."""
    best = ""
    for module in modules:
        if (package == module or package.startswith(module + "/")) and len(module) > len(best):
            best = module
    if best:
        return best
    best_dir: str | None = None
    for module, directory in modules.items():
        inside = not directory or f.path == directory or f.path.startswith(directory + "/")
        if inside and (best_dir is None or len(directory) > len(modules[best_dir])):
            best_dir = module
    return best_dir if best_dir is not None else OTHER_MODULE


def by_package(report: CoverageReport, modules: Mapping[str, str] | None = None) -> Node:
    """Root -> module -> package -> file (root -> package -> file without a module map).

    A file's package is what its format says (Go import path, Java package), else its directory.
    ``modules`` maps module paths to repository directories (:func:`app.coverage.paths.module_map`).
    """
    grouped: dict[str, dict[str, list[Node]]] = {}
    for path in sorted(report.files):
        f = report.files[path]
        package = f.package or posixpath.dirname(path)
        module = _module_of(f, package, modules) if modules else ""
        grouped.setdefault(module, {}).setdefault(package, []).append(_file_node(f))
    module_nodes: list[Node] = []
    for module, packages in grouped.items():
        package_nodes = [
            _sum_node(package or ".", package, PACKAGE, files)
            for package, files in packages.items()
        ]
        if modules:
            module_nodes.append(_sum_node(module, module, MODULE, package_nodes))
        else:
            module_nodes.extend(package_nodes)
    return _root(report, module_nodes)
