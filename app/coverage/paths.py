"""Report paths -> repository-relative paths.

Reports name files the way their tool saw them: absolute CI checkout paths
(``/home/runner/work/R/R/pkg/a.py``, ``D:\\a\\R\\R\\src\\x.cs``), Go import paths
(``example.com/mod/pkg/a.go``), paths relative to wherever the tests ran. :func:`normalise_report`
turns them into repository-relative paths, in this order (reference/formats.md §1.4, §8):

1. syntax: backslashes -> ``/``, a drive letter and ``./`` segments dropped, ``a//b`` -> ``a/b``;
2. the user's fixes ``before::after`` (Codecov style, tried in order, the first that matches wins;
   ``before`` is a path prefix where ``*`` matches inside one segment and ``**`` across segments,
   an empty ``before`` prepends ``after``, an empty ``after`` strips the prefix);
3. otherwise the given checkout roots (``PathRules.roots``) and the well-known CI checkout roots
   (:data:`CI_ROOTS`) are stripped, and the fixes are tried once more on what is left;
4. Go import paths through the module map built from ``go.mod`` texts (longest module path wins,
   ``/vN`` included); with a module map, a Go path that no module claims is *external* (standard
   library, dependencies under ``-coverpkg=all``) and is dropped and listed;
5. when the repository's file list is known, a path that is not in it is matched by its longest
   component suffix (either side may be the longer); two equally good candidates make the path
   *ambiguous*: it is kept as it is and listed, never guessed;
6. the ignore globs drop files (``*`` inside a segment, ``**`` across, and a pattern also matches
   everything under a directory it names).

Pure: it gets texts and lists, never reads a file.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from app.coverage.errors import CoverageError
from app.coverage.merge import rename_files
from app.coverage.model import CoverageReport

#: CI checkout roots stripped from absolute paths (GitHub Actions on Linux, macOS, Windows and in
#: containers; GitLab; CircleCI; Buildkite; Travis; Jenkins workspaces; GOPATH).
CI_ROOTS = tuple(
    re.compile(pattern)
    for pattern in (
        r"^/home/runner/work/([^/]+)/\1/",
        r"^/Users/runner/work/([^/]+)/\1/",
        r"^/a/([^/]+)/\1/",  # Windows runners: D:\a\R\R\ once the drive is dropped
        r"^/__w/([^/]+)/\1/",
        r"^/github/workspace/",
        r"^/builds/[^/]+/[^/]+/",
        r"^/home/circleci/(?:project|repo)/",
        r"^/var/lib/buildkite-agent/builds/[^/]+/[^/]+/[^/]+/",
        r"^/home/travis/build/[^/]+/[^/]+/",
        r"^/var/lib/jenkins/workspace/[^/]+/",
        r"^/go/src/",
    )
)

GO_FORMATS = frozenset({"gocover", "gocovdata"})
_DRIVE = re.compile(r"^[A-Za-z]:(?=/|$)")


class PathError(CoverageError):
    """A path rule (fix, glob, go.mod) that cannot be used."""

    slug = "invalid-path-rule"


@dataclass(frozen=True, slots=True)
class PathFix:
    """One ``before::after`` rewrite."""

    before: str
    after: str
    pattern: re.Pattern[str] = field(compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> PathFix:
        """Read ``before::after``; raises :class:`PathError` without the ``::``."""
        if "::" not in text:
            raise PathError(text, "a path fix is written before::after")
        before, after = text.split("::", 1)
        before = clean(before.removeprefix("^")).rstrip("/")
        after = clean(after).rstrip("/")
        prefix = _glob_regex(before) + "(?:/|$)" if before else ""
        return cls(before, after, re.compile("^" + prefix))

    def apply(self, path: str) -> str | None:
        """The rewritten path, or ``None`` when the fix does not match."""
        match = self.pattern.match(path)
        if match is None:
            return None
        rest = path[match.end() :]
        if not self.after:
            return rest
        return f"{self.after}/{rest}" if rest else self.after


def _glob_regex(glob: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(glob):
        ch = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def ignore_matcher(globs: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for all ignore globs: a glob matches a whole path or a leading directory."""
    parts = [_glob_regex(clean(g).rstrip("/")) for g in globs if clean(g).strip("/")]
    if not parts:
        return None
    return re.compile("^(?:" + "|".join(parts) + ")(?:/.*)?$")


def clean(path: str) -> str:
    """Syntax only: ``\\`` -> ``/``, no drive letter, no ``.`` segments, no doubled slashes.

    A leading ``/`` (absolute path) is kept; ``..`` is resolved lexically where possible.
    """
    path = path.strip().replace("\\", "/")
    path = _DRIVE.sub("", path)
    if not path:
        return ""
    absolute = path.startswith("/")
    normal = posixpath.normpath(path)
    if normal == ".":
        return ""
    if absolute and not normal.startswith("/"):  # pragma: no cover - normpath keeps the root
        normal = "/" + normal
    return normal.lstrip("/") if not absolute else "/" + normal.lstrip("/")


# --------------------------------------------------------------------------------------------
# Go modules

_MODULE_RE = re.compile(r"^\s*module\s+(?:\"([^\"]+)\"|`([^`]+)`|(\S+))", re.MULTILINE)
_USE_BLOCK_RE = re.compile(r"^\s*use\s*\((.*?)\)", re.MULTILINE | re.DOTALL)
_USE_ONE_RE = re.compile(r"^\s*use\s+(?!\()(\S+)", re.MULTILINE)


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def go_module_path(go_mod: str) -> str | None:
    """The ``module`` directive of a ``go.mod`` text (comments and quotes stripped)."""
    match = _MODULE_RE.search(_strip_comments(go_mod))
    if match is None:
        return None
    return next(g for g in match.groups() if g)


def go_work_dirs(go_work: str) -> list[str]:
    """The ``use`` directories of a ``go.work`` text, relative to its directory."""
    text = _strip_comments(go_work)
    dirs: list[str] = []
    for block in _USE_BLOCK_RE.findall(text):
        dirs.extend(item.strip().strip('"`') for item in block.split() if item.strip())
    dirs.extend(item.strip('"`') for item in _USE_ONE_RE.findall(text))
    return [clean(d) for d in dirs]


def module_map(go_mods: Mapping[str, str]) -> dict[str, str]:
    """``{module path: repository directory}`` from ``{path of a go.mod: its text}``.

    The go.mod paths are repository-relative (``go.mod``, ``tools/go.mod``). A go.mod without a
    ``module`` line raises :class:`PathError`.
    """
    modules: dict[str, str] = {}
    for mod_path, text in go_mods.items():
        module = go_module_path(text)
        if module is None:
            raise PathError(mod_path, "no module directive")
        directory = posixpath.dirname(clean(mod_path).lstrip("/"))
        modules[module] = directory
    return modules


def map_go_path(path: str, modules: Mapping[str, str]) -> str | None:
    """A Go profile path -> repository path by the longest module path, or ``None``."""
    best: str | None = None
    for module in modules:
        if (path == module or path.startswith(module + "/")) and (
            best is None or len(module) > len(best)
        ):
            best = module
    if best is None:
        return None
    rest = path[len(best) + 1 :]
    directory = modules[best]
    return f"{directory}/{rest}" if directory and rest else (rest or directory)


# --------------------------------------------------------------------------------------------
# suffix matching


class SuffixIndex:
    """Repository files indexed by base name, for longest-suffix matching."""

    def __init__(self, files: Iterable[str]) -> None:
        self.files = frozenset(clean(f).lstrip("/") for f in files)
        self._by_base: dict[str, list[tuple[str, ...]]] = {}
        for f in self.files:
            parts = tuple(f.split("/"))
            self._by_base.setdefault(parts[-1], []).append(parts)

    def match(self, path: str) -> tuple[str | None, tuple[str, ...]]:
        """``(match, ())``, ``(None, candidates)`` when ambiguous, ``(None, ())`` when none."""
        stripped = path.lstrip("/")
        if stripped in self.files:
            return stripped, ()
        parts = tuple(p for p in stripped.split("/") if p)
        if not parts:
            return None, ()
        best = 0
        winners: list[str] = []
        for candidate in self._by_base.get(parts[-1], ()):
            common = _common_suffix(parts, candidate)
            # one must be a whole suffix of the other
            if common < min(len(parts), len(candidate)):
                continue
            if common > best:
                best, winners = common, ["/".join(candidate)]
            elif common == best:
                winners.append("/".join(candidate))
        if len(winners) == 1:
            return winners[0], ()
        return None, tuple(sorted(winners))


def _common_suffix(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


# --------------------------------------------------------------------------------------------
# the whole report


@dataclass(frozen=True, slots=True)
class PathRules:
    """Everything path normalisation may use; all optional."""

    fixes: tuple[PathFix, ...] = ()
    ignore: tuple[str, ...] = ()
    #: Go module path -> repository directory ("" = root), see :func:`module_map`
    modules: Mapping[str, str] = field(default_factory=dict)
    #: the repository's files at the report's commit, when known
    repo_files: frozenset[str] | None = None
    strip_ci_roots: bool = True
    #: absolute directories that are the checkout (e.g. the working directory of a local run)
    roots: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Normalised:
    """A report with repository-relative paths, and what could not be mapped cleanly."""

    report: CoverageReport
    #: report path -> repository path, for every path that changed
    renamed: Mapping[str, str]
    ignored: tuple[str, ...] = ()
    external: tuple[str, ...] = ()
    #: report path -> the equally good candidates
    ambiguous: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: paths not found in the repository's file list (kept)
    unmatched: tuple[str, ...] = ()


def strip_ci_root(path: str) -> str:
    """``path`` without a well-known CI checkout root (unchanged when none matches)."""
    for pattern in CI_ROOTS:
        match = pattern.match(path)
        if match is not None:
            return path[match.end() :]
    return path


def _apply_fixes(path: str, fixes: Sequence[PathFix]) -> str | None:
    for fix in fixes:
        fixed = fix.apply(path)
        if fixed is not None:
            return clean(fixed)
    return None


def normalise_path(path: str, rules: PathRules, *, go: bool = False) -> tuple[str, bool]:
    """One path through steps 1-4; returns ``(path, external)`` (no suffix match, no ignore)."""
    path = clean(path)
    fixed = _apply_fixes(path, rules.fixes)
    if fixed is not None:
        return fixed, False
    for root in rules.roots:
        root = clean(root).rstrip("/")
        if root and path.startswith(root + "/"):
            path = path[len(root) + 1 :]
            break
    if rules.strip_ci_roots:
        path = strip_ci_root(path)
    # the fixes again, on the path without its checkout root
    fixed = _apply_fixes(path, rules.fixes)
    if fixed is not None:
        return fixed, False
    if go and rules.modules:
        if path.startswith("/"):
            return path, False
        mapped = map_go_path(path, rules.modules)
        if mapped is None:
            return path, True
        return mapped, False
    return path, False


def normalise_report(report: CoverageReport, rules: PathRules) -> Normalised:
    """The report with repository-relative paths (see the module docstring for the steps)."""
    go = report.format in GO_FORMATS
    index = SuffixIndex(rules.repo_files) if rules.repo_files is not None else None
    ignore = ignore_matcher(rules.ignore)
    new_paths: dict[str, str | None] = {}
    renamed: dict[str, str] = {}
    ignored: list[str] = []
    external: list[str] = []
    ambiguous: dict[str, tuple[str, ...]] = {}
    unmatched: list[str] = []
    for original in report.files:
        path, is_external = normalise_path(original, rules, go=go)
        if is_external:
            external.append(original)
            new_paths[original] = None
            continue
        if index is not None:
            found, candidates = index.match(path)
            if found is not None:
                path = found
            elif candidates:
                ambiguous[original] = candidates
            else:
                unmatched.append(original)
        if ignore is not None and ignore.match(path.lstrip("/")):
            ignored.append(original)
            new_paths[original] = None
            continue
        new_paths[original] = path
        if path != original:
            renamed[original] = path
    if renamed or ignored or external:
        report = rename_files(report, new_paths)
    return Normalised(
        report=report,
        renamed=renamed,
        ignored=tuple(ignored),
        external=tuple(external),
        ambiguous=ambiguous,
        unmatched=tuple(unmatched),
    )
