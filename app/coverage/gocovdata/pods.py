"""Input directories and pods: one meta-data file plus the counter files that refer to it.

Go's rules (internal/coverage/pods, formats.md §2.1): names that match neither file pattern are
ignored; a meta file whose hash was already seen in an earlier directory is a duplicate and the
first one wins; counter files are sorted by (directory index, path); pods by meta-file path.

Orphan counter files (no meta file with their hash in any input directory) are what
``go tool covdata`` silently skips. Here they are reported: :func:`collect_pods` returns them,
the ``covdata`` commands print a ``warning:`` line on standard error and go on (so standard
output still matches go), while ingesting a GOCOVERDIR as a report (``strict``) refuses them,
since counts without their meta data are lost coverage.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from app.coverage.errors import InvalidReport, LimitExceeded
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits, SourceTree

META_RE = re.compile(r"^covmeta\.(\S+)$", re.ASCII)
COUNTER_RE = re.compile(r"^covcounters\.(\S+)\.(\d+)\.(\d+)+$", re.ASCII)
_MAX_PID = 2**63 - 1


class CovDir:
    """One input directory: a label (its path, used in file names and errors) and its files."""

    def __init__(
        self, label: str, names: Sequence[str], opener: Callable[[str], BinaryIO | bytes]
    ) -> None:
        self.label = label
        self._names = list(names)
        self._opener = opener

    @classmethod
    def from_mapping(cls, label: str, files: Mapping[str, bytes]) -> CovDir:
        return cls(label, list(files), files.__getitem__)

    @classmethod
    def from_tree(cls, tree: SourceTree, prefix: str = "") -> CovDir:
        """The members of ``tree`` directly inside folder ``prefix`` ('' = the root)."""
        names = []
        for name in tree.names():
            folder, _, base = name.rpartition("/")
            if folder == prefix.rstrip("/"):
                names.append(base)
        label = tree.label() if not prefix else f"{tree.label().rstrip('/')}/{prefix}"

        def opener(base: str) -> BinaryIO:
            return tree.open(f"{prefix.rstrip('/')}/{base}" if prefix else base)

        return cls(label, names, opener)

    def names(self) -> list[str]:
        return sorted(self._names)

    def path(self, name: str) -> str:
        """The file's path as go names it (``filepath.Join(dir, name)``, cleaned)."""
        return posixpath.normpath(posixpath.join(self.label, name)) if self.label else name

    def read(self, name: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
        """The whole file, refused past ``limits.max_bytes``."""
        got = self._opener(name)
        if isinstance(got, bytes | bytearray | memoryview):
            data = bytes(got)
        else:
            with got:
                data = got.read(limits.max_bytes + 1)
        if len(data) > limits.max_bytes:
            raise LimitExceeded(self.path(name), f"larger than {limits.max_bytes} bytes")
        return data


@dataclass(frozen=True, slots=True)
class CounterRef:
    dir_index: int
    name: str
    path: str
    pid: int


@dataclass(slots=True)
class Pod:
    """A meta-data file (by its hash tag) and its counter files, in Go's order."""

    tag: str
    dir_index: int
    meta_name: str
    meta_path: str
    counters: list[CounterRef] = field(default_factory=list)


@dataclass(slots=True)
class PodSet:
    pods: list[Pod]
    orphans: list[str]


def collect_pods(dirs: Sequence[CovDir], *, strict: bool = False) -> PodSet:
    """Group the files of ``dirs`` into pods (see the module docstring for orphans)."""
    by_tag: dict[str, Pod] = {}
    listing = [(k, d, d.names()) for k, d in enumerate(dirs)]
    for k, d, names in listing:
        for name in names:
            m = META_RE.match(name)
            if m and m.group(1) not in by_tag:
                by_tag[m.group(1)] = Pod(m.group(1), k, name, d.path(name))
    orphans: list[str] = []
    for k, d, names in listing:
        for name in names:
            m = COUNTER_RE.match(name)
            if not m:
                continue
            pid = int(m.group(2))
            if pid > _MAX_PID:
                continue
            pod = by_tag.get(m.group(1))
            if pod is None:
                orphans.append(d.path(name))
                continue
            pod.counters.append(CounterRef(k, name, d.path(name), pid))
    if strict and orphans:
        raise InvalidReport(
            orphans[0], "orphaned counter file: no covmeta file with its hash in the input"
        )
    pods = sorted(by_tag.values(), key=lambda p: p.meta_path)
    for pod in pods:
        pod.counters.sort(key=lambda c: (c.dir_index, c.path))
    return PodSet(pods, orphans)
