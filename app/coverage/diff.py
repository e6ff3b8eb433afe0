"""Unified diffs (``git diff`` output) -> added lines per new path, plus renames and copies.

The parser follows the structure git writes, not just the ``+``/``-`` prefixes:

* a section starts at ``diff --git``; its paths come from ``rename to``/``copy to``, then from the
  ``---``/``+++`` lines, and only then from the ``diff --git`` line itself (which is ambiguous when
  a path contains " b/" and is the only source for pure renames, mode changes and binary files);
* paths may be C-quoted by git (``"a/caf\\303\\251 x.py"``): octal escapes are bytes of UTF-8;
* hunk bodies are read by their ``@@ -a,b +c,d @@`` counts, so a removed line whose text starts
  with ``-- `` or a context line starting with ``diff`` is never taken for a header;
* ``\\ No newline at end of file`` is a marker, not a line (diff-cover 11 counts it as a context
  line and shifts every later ``+`` line of the hunk by one; we do not copy that bug);
* CRLF line ends are accepted; only ``\\n`` splits lines (a ``\\x0c`` inside a line is content);
* combined diffs (``diff --cc``/``diff --combined``, merge conflicts) are skipped whole.

Pure: takes text, returns data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

from app.coverage.errors import InvalidReport

_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


@dataclass(frozen=True, slots=True)
class DiffFile:
    """One file section of a diff.

    ``path`` is the path after the change (for a deleted file: the path it had). ``old_path`` is the
    path before (``None`` for a new file). ``status`` is one of "added", "deleted", "modified",
    "renamed", "copied". ``added`` are the new-side line numbers of ``+`` lines, ascending.
    """

    path: str
    old_path: str | None
    status: str
    added: tuple[int, ...] = ()
    deleted: tuple[int, ...] = ()
    binary: bool = False
    old_mode: str | None = None
    new_mode: str | None = None


@dataclass(frozen=True, slots=True)
class Diff:
    """A parsed diff: its file sections in input order (a path appears at most once)."""

    files: tuple[DiffFile, ...]

    def added_lines(self) -> dict[str, tuple[int, ...]]:
        """New path -> added line numbers, for every file that still exists after the change."""
        return {f.path: f.added for f in self.files if f.status != "deleted"}

    def renames(self) -> dict[str, str]:
        """New path -> old path for renamed files (pure renames and renames with edits)."""
        return {f.path: f.old_path for f in self.files if f.status == "renamed" and f.old_path}

    def changed_paths(self) -> set[str]:
        """Every path the diff touches, old and new sides (what "the diff touched" means)."""
        paths: set[str] = set()
        for f in self.files:
            paths.add(f.path)
            if f.old_path:
                paths.add(f.old_path)
        return paths

    def file(self, path: str) -> DiffFile | None:
        for f in self.files:
            if f.path == path:
                return f
        return None


def unquote_path(text: str) -> str:
    """Undo git's C-style quoting of a path (``core.quotePath``); unquoted text is returned as is.

    Octal escapes are raw bytes (UTF-8 for non-ASCII names); bytes that are not UTF-8 are kept
    losslessly as surrogate escapes.
    """
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        return text
    body = text[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            octal = body[i + 1 : i + 4]
            if len(octal) == 3 and all(c in "01234567" for c in octal):
                out.append(int(octal, 8) & 0xFF)
                i += 4
                continue
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
            else:
                out.extend(nxt.encode("utf-8", "surrogateescape"))
            i += 2
            continue
        out.extend(ch.encode("utf-8", "surrogateescape"))
        i += 1
    return out.decode("utf-8", "surrogateescape")


def _strip_prefix(path: str) -> str | None:
    """``a/x`` or ``b/x`` -> ``x``; ``/dev/null`` -> ``None``."""
    if path == "/dev/null":
        return None
    if path[:2] in ("a/", "b/", "i/", "w/", "c/", "o/"):
        return path[2:]
    return path


def _header_path(value: str) -> str | None:
    """The path of a ``---``/``+++`` line's value (quoted or not; a tab may end it)."""
    value = value.rstrip("\r")
    if value.startswith('"'):
        end = _closing_quote(value)
        value = value[: end + 1] if end > 0 else value
        return _strip_prefix(unquote_path(value))
    if "\t" in value:
        value = value.split("\t", 1)[0]
    return _strip_prefix(value)


def _closing_quote(value: str) -> int:
    i = 1
    while i < len(value):
        if value[i] == "\\":
            i += 2
            continue
        if value[i] == '"':
            return i
        i += 1
    return -1


def _git_line_paths(rest: str) -> tuple[str | None, str | None]:
    """The two paths of ``diff --git <a> <b>``; unquoted names with spaces are split in the middle
    (git writes the same name twice unless the file was renamed, and renames carry
    ``rename from``/``rename to`` lines that win anyway)."""
    rest = rest.rstrip("\r")
    if rest.startswith('"'):
        end = _closing_quote(rest)
        if end < 0:
            return None, None
        first = unquote_path(rest[: end + 1])
        second_raw = rest[end + 2 :]
        second = unquote_path(second_raw) if second_raw.startswith('"') else second_raw
        return _strip_prefix(first), _strip_prefix(second)
    if rest.endswith('"'):
        start = rest.rfind(' "')
        if start >= 0:
            return _strip_prefix(rest[:start]), _strip_prefix(unquote_path(rest[start + 1 :]))
    # Same name on both sides: "a/" + P + " b/" + P has odd length 2*len(P)+5.
    if len(rest) % 2 == 1:
        half = (len(rest) - 1) // 2
        left, right = rest[:half], rest[half + 1 :]
        if left[2:] == right[2:] and rest[half] == " ":
            return _strip_prefix(left), _strip_prefix(right)
    parts = rest.split(" b/", 1)
    if len(parts) == 2:
        return _strip_prefix(parts[0]), parts[1]
    return None, None


class _Section:
    __slots__ = (
        "added",
        "binary",
        "copy_from",
        "copy_to",
        "deleted",
        "git_new",
        "git_old",
        "is_deleted",
        "is_new",
        "minus",
        "new_mode",
        "old_mode",
        "plus",
        "rename_from",
        "rename_to",
    )

    def __init__(self, git_old: str | None, git_new: str | None) -> None:
        self.git_old = git_old
        self.git_new = git_new
        self.minus: str | None = None
        self.plus: str | None = None
        self.rename_from: str | None = None
        self.rename_to: str | None = None
        self.copy_from: str | None = None
        self.copy_to: str | None = None
        self.is_new = False
        self.is_deleted = False
        self.binary = False
        self.old_mode: str | None = None
        self.new_mode: str | None = None
        self.added: list[int] = []
        self.deleted: list[int] = []

    def finish(self, source: str) -> DiffFile:
        old = self.rename_from or self.copy_from or self.minus or self.git_old
        new = self.rename_to or self.copy_to or self.plus or self.git_new
        if self.is_new or (self.minus is None and self.plus is not None and self.git_old is None):
            old = None
        if self.is_deleted:
            new = None
        if self.rename_from is not None:
            status = "renamed"
        elif self.copy_from is not None:
            status = "copied"
        elif self.is_new:
            status = "added"
        elif self.is_deleted:
            status = "deleted"
        else:
            status = "modified"
        path = new if new is not None else old
        if path is None:
            raise InvalidReport(source, "diff section without a file name")
        return DiffFile(
            path=path,
            old_path=None if status == "added" else old,
            status=status,
            added=tuple(sorted(set(self.added))),
            deleted=tuple(sorted(set(self.deleted))),
            binary=self.binary,
            old_mode=self.old_mode,
            new_mode=self.new_mode,
        )


def _lines(text: str) -> Iterator[str]:
    start = 0
    length = len(text)
    while start < length:
        end = text.find("\n", start)
        if end < 0:
            end = length
        line = text[start:end]
        if line.endswith("\r"):
            line = line[:-1]
        yield line
        start = end + 1


def parse_diff(text: str | bytes, source: str = "diff", *, diff_cover_compat: bool = False) -> Diff:
    """Parse a unified diff (as ``git diff`` writes it; plain ``diff -u`` output works too).

    ``source`` names the input in errors. Bytes are decoded as UTF-8 with surrogate escapes, so
    a diff of a non-UTF-8 file never fails to parse. ``diff_cover_compat`` reproduces diff-cover
    11 bug for bug: its "\\ No newline at end of file" marker counts as a context line (every
    later line of the hunk one too high).
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogateescape")
    order: list[_Section] = []
    current: _Section | None = None
    skipping = False  # inside a combined (--cc) section
    old_left = new_left = 0
    old_no = new_no = 0
    for lineno, line in enumerate(_lines(text), start=1):
        if old_left > 0 or new_left > 0:
            # Inside a hunk body: the counts say how many lines are content.
            tag = line[:1]
            if tag == "\\":
                if diff_cover_compat:
                    old_no += 1
                    new_no += 1
                continue
            if current is None:  # pragma: no cover - hunks only start inside a section
                continue
            if tag == "+":
                current.added.append(new_no)
                new_no += 1
                new_left -= 1
            elif tag == "-":
                current.deleted.append(old_no)
                old_no += 1
                old_left -= 1
            elif tag in (" ", ""):
                old_no += 1
                new_no += 1
                old_left -= 1
                new_left -= 1
            else:
                raise InvalidReport(source, f"line {lineno}: unexpected line inside a hunk")
            if old_left < 0 or new_left < 0:
                raise InvalidReport(source, f"line {lineno}: hunk longer than its header says")
            continue
        if line.startswith("diff --git "):
            skipping = False
            git_old, git_new = _git_line_paths(line[len("diff --git ") :])
            current = _Section(git_old, git_new)
            order.append(current)
            continue
        if line.startswith(("diff --cc ", "diff --combined ")):
            skipping = True
            current = None
            continue
        if skipping:
            continue
        if line.startswith("--- ") and (current is None or current.plus is not None):
            # plain `diff -u` output has no `diff --git` line: `---` starts the next file
            current = _Section(None, None)
            order.append(current)
        if current is None:
            if line.startswith("@@"):
                raise InvalidReport(source, f"line {lineno}: hunk before any file header")
            continue  # preamble (commit message, `index` lines of other tools)
        if line.startswith("@@"):
            match = _HUNK_RE.match(line)
            if match is None:
                raise InvalidReport(source, f"line {lineno}: malformed hunk header")
            old_no = int(match.group(1))
            old_left = int(match.group(2)) if match.group(2) is not None else 1
            new_no = int(match.group(3))
            new_left = int(match.group(4)) if match.group(4) is not None else 1
            # A zero-length side starts *after* the given line number.
            if old_left == 0:
                old_no += 1
            if new_left == 0:
                new_no += 1
            continue
        if line.startswith("--- "):
            current.minus = _header_path(line[4:])
            if current.minus is None:
                current.is_new = True
        elif line.startswith("+++ "):
            current.plus = _header_path(line[4:])
            if current.plus is None:
                current.is_deleted = True
        elif line.startswith("rename from "):
            current.rename_from = unquote_path(line[12:])
        elif line.startswith("rename to "):
            current.rename_to = unquote_path(line[10:])
        elif line.startswith("copy from "):
            current.copy_from = unquote_path(line[10:])
        elif line.startswith("copy to "):
            current.copy_to = unquote_path(line[8:])
        elif line.startswith("new file mode "):
            current.is_new = True
            current.new_mode = line[14:]
        elif line.startswith("deleted file mode "):
            current.is_deleted = True
            current.old_mode = line[18:]
        elif line.startswith("old mode "):
            current.old_mode = line[9:]
        elif line.startswith("new mode "):
            current.new_mode = line[9:]
        elif line.startswith(("Binary files ", "GIT binary patch")):
            current.binary = True
    if old_left > 0 or new_left > 0:
        raise InvalidReport(source, "diff ends inside a hunk (truncated?)")
    files: dict[str, DiffFile] = {}
    for section in order:
        diff_file = section.finish(source)
        earlier = files.get(diff_file.path)
        if earlier is not None:
            # The same path twice (concatenated diffs): one entry with the lines of both.
            diff_file = replace(
                earlier,
                added=tuple(sorted(set(earlier.added) | set(diff_file.added))),
                deleted=tuple(sorted(set(earlier.deleted) | set(diff_file.deleted))),
                binary=earlier.binary or diff_file.binary,
            )
        files[diff_file.path] = diff_file
    return Diff(files=tuple(files.values()))


def lines_by_path(diff: Diff) -> Mapping[str, frozenset[int]]:
    """New path -> set of added lines, for files that exist after the change."""
    return {path: frozenset(lines) for path, lines in diff.added_lines().items()}
