"""Source trees of local files: unpacked members on disk, or a local directory.

Both are :class:`~app.coverage.parsers.base.SourceTree` objects the coverage core reads from.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from app.errors import TooLarge
from app.ingest.safety import DEFAULT_UNPACK_LIMITS, UnpackLimits


class FileTree:
    """Members stored as files on disk: ``{member name: file path}``."""

    def __init__(self, label: str, files: dict[str, str]) -> None:
        self._label = label
        self._files = files

    def names(self) -> Sequence[str]:
        return sorted(self._files)

    def open(self, name: str) -> BinaryIO:
        try:
            path = self._files[name]
        except KeyError:
            raise FileNotFoundError(f"{self._label}: no member {name!r}") from None
        return open(path, "rb")

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
