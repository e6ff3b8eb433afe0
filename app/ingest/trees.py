"""Source trees of local files: unpacked members on disk, or a local directory.

Both are :class:`~app.coverage.parsers.base.SourceTree` objects the coverage core reads from.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from app.errors import TooLarge
from app.ingest.safety import DEFAULT_UNPACK_LIMITS, UnpackLimits


@dataclass(frozen=True, slots=True)
class Window:
    """A member stored as ``length`` bytes at ``offset`` of the file ``path``."""

    path: str
    offset: int
    length: int

    def open(self) -> BinaryIO:
        raw = open(self.path, "rb")  # noqa: SIM115 - owned by the returned reader
        try:
            raw.seek(self.offset)
            return cast(BinaryIO, io.BufferedReader(_Bounded(raw, self.length)))
        except BaseException:
            raw.close()
            raise


class _Bounded(io.RawIOBase):
    """At most ``left`` bytes of ``raw`` from where it stands, then end of file."""

    def __init__(self, raw: BinaryIO, left: int) -> None:
        self._raw = raw
        self._left = left

    @property
    def name(self) -> str:
        """The file the window is of (as a file object names its file)."""
        return str(self._raw.name)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        wanted = min(len(view), self._left)
        if wanted <= 0:
            return 0
        got = self._raw.readinto(view[:wanted])  # type: ignore[attr-defined]
        got = got or 0
        self._left -= got
        return int(got)

    def close(self) -> None:
        self._raw.close()
        super().close()


class FileTree:
    """Members stored on disk: ``{member name: file path, or a window of a spool file}``."""

    def __init__(self, label: str, files: Mapping[str, str | Window]) -> None:
        self._label = label
        self._files = files

    def names(self) -> Sequence[str]:
        return sorted(self._files)

    def open(self, name: str) -> BinaryIO:
        try:
            stored = self._files[name]
        except KeyError:
            raise FileNotFoundError(f"{self._label}: no member {name!r}") from None
        if isinstance(stored, Window):
            return stored.open()
        return open(stored, "rb")

    def label(self) -> str:
        return self._label


#: Directories never searched in a local tree (they hold no reports and can be huge).
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__"})


class DirectoryTree(FileTree):
    """A local directory as a :class:`SourceTree` (symlinked directories are not followed)."""

    def __init__(
        self, root: str | os.PathLike[str], limits: UnpackLimits = DEFAULT_UNPACK_LIMITS
    ) -> None:
        root_path = Path(root)
        files: dict[str, str] = {}
        for current, dirs, names in os.walk(root_path):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            rel = Path(current).relative_to(root_path).as_posix()
            for name in names:
                full = os.path.join(current, name)
                if not os.path.isfile(full):
                    continue
                member = name if rel == "." else f"{rel}/{name}"
                files[member] = full
                if len(files) > limits.max_entries:
                    raise TooLarge(f"{root}: more than {limits.max_entries} files")
        super().__init__(str(root), files)
