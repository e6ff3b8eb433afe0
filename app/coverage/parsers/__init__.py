"""The parser registry: which formats exist, detection by name and content, and parsing by format.

Every format lives in its own module (``parsers/<module>.py``) exposing ``FORMAT``, ``sniff`` and
``parse``; formats made of several files expose ``sniff_tree``/``parse_tree`` instead (see
:mod:`app.coverage.parsers.base`). Modules are imported on first use and a module that cannot be
imported is left out (and listed by :func:`unavailable`), so that one broken parser never takes
the others down.

Detection (reference/formats.md §10) asks every parser's ``sniff``; when several claim a file the
tie-breaks of §10 decide: an XML root ``<coverage>`` is Clover if it has ``clover=`` or a
``<project>`` child and Cobertura if it has ``line-rate``/``<packages>``; JSON objects are told
apart by their keys; then the file name hints; then registry order.
"""

from __future__ import annotations

import contextlib
import fnmatch
import importlib
import io
import posixpath
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import BinaryIO, cast

from app.coverage.errors import InvalidReport, UnknownFormat
from app.coverage.model import CoverageReport
from app.coverage.parsers.base import DEFAULT_LIMITS, SNIFF_BYTES, Limits, SourceTree

#: Single-file parser modules (under this package), in tie-break order.
FILE_MODULES = (
    "gocover",
    "cobertura",
    "clover",
    "jacoco",
    "coveragepy_json",
    "istanbul",
    "lcov",
)
#: Tree parser modules (full dotted names): formats made of several files.
#: The first module to provide a format wins (the GOCOVERDIR format lives in parsers.gocovdata,
#: re-exported by the app.coverage.gocovdata package).
TREE_MODULES = (
    "app.coverage.parsers.coveragepy_html",
    "app.coverage.parsers.gocovdata",
    "app.coverage.gocovdata",
)

#: File-name hints per format (fnmatch on the lower-cased base name), for tie-breaks only.
NAME_HINTS: dict[str, tuple[str, ...]] = {
    "gocover": ("*.out", "cover*.out", "coverage.txt", "*.cov", "profile.cov", "*.coverprofile"),
    "cobertura": ("coverage.xml", "cobertura*.xml", "*cobertura*.xml"),
    "clover": ("clover.xml", "*clover*.xml"),
    "jacoco": ("jacoco*.xml", "jacocotestreport.xml"),
    "coveragepy-json": ("coverage.json",),
    "istanbul": ("coverage-final.json", "*.json"),
    "istanbul-summary": ("coverage-summary.json",),
    "lcov": ("lcov.info", "*.info", "coverage.lcov", "*.lcov"),
}

#: Members never worth opening when searching a tree (assets of HTML reports and the like).
SKIP_SUFFIXES = (
    ".html", ".htm", ".css", ".js", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".woff",
    ".woff2", ".ttf", ".map", ".gz", ".zip", ".tgz", ".tar", ".pyc", ".class", ".jar",
)  # fmt: skip

#: Base names that make a directory worth asking the tree parsers about.
TREE_HINT_NAMES = ("index.html", "status.json")
TREE_HINT_PREFIXES = ("covmeta.", "covcounters.")


@dataclass(frozen=True, slots=True)
class FileParser:
    """A single-file format: its id, its sniff and its parse."""

    format: str
    sniff: Callable[[str, bytes], bool]
    parse: Callable[[BinaryIO, str, Limits], CoverageReport]
    #: parses and merges several inputs at the format's own level (Istanbul: by statement, so
    #: branches merge right), when the module offers it as ``parse_many``
    parse_many: ParseMany | None = None


ParseMany = Callable[[Iterable[tuple[BinaryIO, str]], Limits], CoverageReport]


@dataclass(frozen=True, slots=True)
class TreeParser:
    """A format made of several files (a coverage.py HTML directory, a GOCOVERDIR)."""

    format: str
    sniff_tree: Callable[[SourceTree], bool]
    parse_tree: Callable[[SourceTree, Limits], CoverageReport]


@dataclass(frozen=True, slots=True)
class Found:
    """A coverage input found in a tree: a member file, or a directory holding a tree format.

    ``name`` is the member name, or for a tree format the directory ("" = the tree's root).
    """

    name: str
    format: str
    tree: bool = False


_UNAVAILABLE: dict[str, str] = {}


def _import(dotted: str) -> ModuleType | None:
    try:
        return importlib.import_module(dotted)
    except Exception as exc:  # missing or broken: leave it out (the others still work), say why
        _UNAVAILABLE[dotted] = f"{type(exc).__name__}: {exc}"
        return None


def _file_parsers_of(module: ModuleType) -> list[FileParser]:
    found: list[FileParser] = []
    # A module may carry several formats as PARSERS = [(FORMAT, sniff, parse), ...].
    extra = getattr(module, "PARSERS", None)
    if extra:
        for fmt, sniff, parse in extra:
            found.append(FileParser(fmt, sniff, parse))
        return found
    fmt = getattr(module, "FORMAT", None)
    sniff = getattr(module, "sniff", None)
    parse = getattr(module, "parse", None)
    many = getattr(module, "parse_many", None)
    if isinstance(fmt, str) and callable(sniff) and callable(parse):
        found.append(FileParser(fmt, sniff, parse, many if callable(many) else None))
    # istanbul.py may carry the summary format too (SUMMARY_FORMAT, sniff_summary, parse_summary).
    sfmt = getattr(module, "SUMMARY_FORMAT", None)
    ssniff = getattr(module, "sniff_summary", None)
    sparse = getattr(module, "parse_summary", None)
    if isinstance(sfmt, str) and callable(ssniff) and callable(sparse):
        found.append(FileParser(sfmt, ssniff, sparse))
    return found


@cache
def file_parsers() -> tuple[FileParser, ...]:
    """Every importable single-file parser, in tie-break order, one per format id."""
    seen: dict[str, FileParser] = {}
    for name in FILE_MODULES:
        module = _import(f"{__name__}.{name}")
        if module is None:
            continue
        for parser in _file_parsers_of(module):
            seen.setdefault(parser.format, parser)
    return tuple(seen.values())


@cache
def tree_parsers() -> tuple[TreeParser, ...]:
    """Every importable tree parser."""
    found: dict[str, TreeParser] = {}
    for dotted in TREE_MODULES:
        module = _import(dotted)
        if module is None:
            continue
        fmt = getattr(module, "FORMAT", None)
        sniff_tree = getattr(module, "sniff_tree", None)
        parse_tree = getattr(module, "parse_tree", None)
        if isinstance(fmt, str) and callable(sniff_tree) and callable(parse_tree):
            found.setdefault(fmt, TreeParser(fmt, sniff_tree, parse_tree))
    return tuple(found.values())


def formats() -> list[str]:
    """The format ids this installation can parse (files, then trees)."""
    return [p.format for p in file_parsers()] + [p.format for p in tree_parsers()]


def unavailable() -> dict[str, str]:
    """Parser modules that could not be imported, with the reason (for diagnostics)."""
    file_parsers()
    tree_parsers()
    return dict(_UNAVAILABLE)


# --------------------------------------------------------------------------------------------
# detection


def _name_hint(name: str, candidates: Sequence[str]) -> str | None:
    base = posixpath.basename(name.replace("\\", "/")).lower()
    for fmt in candidates:
        # exact names first, then wildcard patterns
        if base in NAME_HINTS.get(fmt, ()):
            return fmt
    for fmt in candidates:
        if any(fnmatch.fnmatchcase(base, pattern) for pattern in NAME_HINTS.get(fmt, ())):
            return fmt
    return None


def named_like(name: str) -> str | None:
    """The format a file's name suggests (coverage.xml, lcov.info, cover.out...), if any."""
    return _name_hint(name, formats())


def _content_hint(head: bytes, candidates: Sequence[str]) -> str | None:
    """The §10 tie-breaks by content (only between formats that all claimed the file)."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()

    def pick(fmt: str) -> str | None:
        return fmt if fmt in candidates else None

    if text.startswith(b"<"):
        if b"-//JACOCO//DTD" in text or (b"<report" in text and b"<coverage" not in text):
            return pick("jacoco")
        if b"<coverage" in text:
            root_start = text.find(b"<coverage")
            root_end = text.find(b">", root_start)
            root = text[root_start : root_end if root_end > 0 else len(text)]
            if b"clover=" in root or b"<project" in text:
                return pick("clover")
            if b"line-rate" in root or b"<packages" in text:
                return pick("cobertura")
        return None
    if text.startswith(b"{"):
        if b'"statementMap"' in text:
            return pick("istanbul")
        if b'"meta"' in text and (b'"files"' in text or b'"totals"' in text):
            return pick("coveragepy-json")
        if b'"total"' in text and b'"pct"' in text:
            return pick("istanbul-summary")
        return None
    if text.startswith(b"mode:"):
        return pick("gocover")
    if text.startswith((b"TN:", b"SF:")):
        return pick("lcov")
    return None


def detect(name: str, head: bytes) -> str | None:
    """The format id of a file from its name and its first bytes, or ``None`` if none fits.

    ``head`` should be the first :data:`SNIFF_BYTES` bytes (fewer only when the file is shorter).
    """
    candidates: list[str] = []
    for parser in file_parsers():
        try:
            if parser.sniff(name, head):
                candidates.append(parser.format)
        except Exception:  # noqa: S112 - a sniff that trips over odd bytes means "not mine"
            continue
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    return _content_hint(head, candidates) or _name_hint(name, candidates) or candidates[0]


def file_parser(fmt: str, source: str = "input") -> FileParser:
    """The parser of a format id; :class:`UnknownFormat` naming ``source`` when there is none."""
    for parser in file_parsers():
        if parser.format == fmt:
            return parser
    known = ", ".join(p.format for p in file_parsers()) or "none"
    raise UnknownFormat(source, f"no parser for format {fmt!r} (known: {known})")


class _Rewound(io.RawIOBase):
    """A stream that replays an already-read head before the rest of the underlying stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._pos = 0
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        want = len(buffer)
        if self._pos < len(self._head):
            chunk = self._head[self._pos : self._pos + want]
            buffer[: len(chunk)] = chunk
            self._pos += len(chunk)
            return len(chunk)
        data = self._rest.read(want)
        buffer[: len(data)] = data
        return len(data)


def read_head(stream: BinaryIO, size: int = SNIFF_BYTES) -> bytes:
    """Up to ``size`` leading bytes (looping over short reads)."""
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def parse_stream(
    stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS, format: str | None = None
) -> CoverageReport:
    """Parse one coverage file; detect its format first unless ``format`` is given.

    Raises :class:`UnknownFormat` (naming ``name``) when no parser recognises the input.
    """
    if format is None:
        head = read_head(stream)
        format = detect(name, head)
        if format is None:
            what = "an empty file" if not head.strip() else "no known coverage format"
            raise UnknownFormat(
                name, f"{what} (looked for: {', '.join(formats()) or 'no parser available'})"
            )
        stream = cast(BinaryIO, io.BufferedReader(_Rewound(head, stream)))
    return file_parser(format, name).parse(stream, name, limits)


def parse_bytes(
    data: bytes, name: str, limits: Limits = DEFAULT_LIMITS, format: str | None = None
) -> CoverageReport:
    """Parse an in-memory file (tests and small inputs)."""
    return parse_stream(io.BytesIO(data), name, limits, format)


# --------------------------------------------------------------------------------------------
# trees


class SubTree:
    """The part of a :class:`SourceTree` under one directory, itself a ``SourceTree``.

    ``flat``: only the directory's own files, not those of its subdirectories.
    """

    def __init__(
        self,
        tree: SourceTree,
        prefix: str,
        names: Iterable[str] | None = None,
        *,
        flat: bool = False,
    ) -> None:
        self._tree = tree
        self._prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        all_names = tree.names() if names is None else names
        cut = len(self._prefix)
        self._names = [
            n[cut:]
            for n in all_names
            if n.startswith(self._prefix) and not (flat and "/" in n[cut:])
        ]

    def names(self) -> Sequence[str]:
        return self._names

    def open(self, name: str) -> BinaryIO:
        return self._tree.open(self._prefix + name)

    def label(self) -> str:
        base = self._tree.label()
        return f"{base}/{self._prefix.rstrip('/')}" if self._prefix else base


def _tree_dirs(names: Sequence[str]) -> list[str]:
    dirs = {""}
    for name in names:
        base = posixpath.basename(name)
        if base in TREE_HINT_NAMES or base.startswith(TREE_HINT_PREFIXES):
            dirs.add(posixpath.dirname(name))
    return sorted(dirs, key=lambda d: (d.count("/") if d else -1, d))


def _claimed_by(directory: str, name: str) -> bool:
    return posixpath.dirname(name) == directory


def find_in_tree(tree: SourceTree, limits: Limits = DEFAULT_LIMITS) -> list[Found]:
    """Every coverage input in a tree: directories holding a tree format, then member files.

    Files directly inside a directory claimed by a tree format belong to it and are not detected
    on their own, except XML/LCOV files (which no tree format contains).
    """
    del limits  # detection reads SNIFF_BYTES per member; parsing enforces the limits
    names = list(tree.names())
    found: list[Found] = []
    claimed: list[str] = []
    trees = tree_parsers()
    if trees:
        for directory in _tree_dirs(names):
            # tree formats are flat directories: each parser sees one directory's own files
            view: SourceTree = SubTree(tree, directory, names, flat=True)
            for parser in trees:
                try:
                    hit = parser.sniff_tree(view)
                except Exception:  # noqa: S112 - an odd tree means "not mine"
                    continue
                if hit:
                    found.append(Found(directory, parser.format, tree=True))
                    claimed.append(directory)
                    break
    for name in sorted(names):
        lower = name.lower()
        if lower.endswith(SKIP_SUFFIXES):
            continue
        if any(_claimed_by(d, name) for d in claimed) and not lower.endswith(
            (".xml", ".info", ".lcov")
        ):
            continue
        with tree.open(name) as stream:
            head = read_head(stream)
        fmt = detect(name, head)
        if fmt is not None:
            found.append(Found(name, fmt))
    return found


def parse_found(tree: SourceTree, found: Found, limits: Limits = DEFAULT_LIMITS) -> CoverageReport:
    """Parse one input that :func:`find_in_tree` found."""
    if found.tree:
        view: SourceTree = SubTree(tree, found.name, flat=True)
        for parser in tree_parsers():
            if parser.format == found.format:
                return parser.parse_tree(view, limits)
        raise UnknownFormat(view.label(), f"no parser for format {found.format!r}")
    label = _label(tree, found)
    with tree.open(found.name) as stream:
        try:
            return file_parser(found.format, label).parse(stream, label, limits)
        except RecursionError:
            raise InvalidReport(label, "nested too deeply") from None


def parse_group(
    items: Sequence[tuple[SourceTree, Found]], limits: Limits = DEFAULT_LIMITS
) -> list[tuple[str, CoverageReport]]:
    """Parse found inputs (of one or several trees): ``(label, report)`` pairs.

    Inputs of a format whose module merges at its own level (``parse_many``: Istanbul) are parsed
    together into one report, labelled by the first input; the others one by one.
    """
    out: list[tuple[str, CoverageReport]] = []
    grouped: dict[str, list[tuple[SourceTree, Found]]] = {}
    for tree, found in items:
        parser = None if found.tree else file_parser(found.format, tree.label())
        if parser is not None and parser.parse_many is not None:
            grouped.setdefault(found.format, []).append((tree, found))
        else:
            out.append((_label(tree, found), parse_found(tree, found, limits)))
    for fmt, members in grouped.items():
        parse_many = file_parser(fmt).parse_many
        assert parse_many is not None
        if len(members) == 1:
            tree, found = members[0]
            out.append((_label(tree, found), parse_found(tree, found, limits)))
            continue
        with contextlib.ExitStack() as stack:
            streams = [
                (stack.enter_context(tree.open(found.name)), _label(tree, found))
                for tree, found in members
            ]
            out.append((streams[0][1], parse_many(streams, limits)))
    return out


def _label(tree: SourceTree, found: Found) -> str:
    label = tree.label()
    if not found.name or label == found.name or label.endswith("/" + found.name):
        return label  # the whole tree, or a tree of one plain file named by its path
    return f"{label}:{found.name}"


def parse_tree(tree: SourceTree, limits: Limits = DEFAULT_LIMITS) -> list[CoverageReport]:
    """Find and parse every coverage input of a tree (raises :class:`UnknownFormat` if none)."""
    found = find_in_tree(tree, limits)
    if not found:
        raise UnknownFormat(tree.label(), "no coverage file found")
    return [parse_found(tree, item, limits) for item in found]
