"""Safe unpacking of untrusted archives (CI artifacts, uploads) into a :class:`SourceTree`.

Supported: zip, tar (plain, gzip, bzip2, xz), a gzip-compressed single file, and a plain file
(a tree of one member). Archives found inside an archive (``*.zip``, ``*.tar``, ``*.tgz``,
``*.tar.gz``, ``*.tar.bz2``, ``*.tar.xz``) are opened in place, their members named
``inner.zip/member``, down to :attr:`UnpackLimits.max_depth` levels.

Rules (reference/formats.md §9). Every breach raises :class:`app.errors.UnsafeArchive` whose
message names the archive and the member:

* sizes are counted on the bytes **actually inflated**, while streaming, never on what a header
  claims; a zip member that inflates past its declared size is refused as soon as it does;
  budgets: bytes per member, bytes in total (nested archives included), entry count, and
  compression ratio (inflated / compressed, per zip member and for the whole archive, checked
  once more than :attr:`UnpackLimits.ratio_floor` bytes came out);
* member names are data: absolute paths, drive letters (``C:``), ``..`` segments, backslashes,
  NUL bytes, duplicate names and names that are not UTF-8 are refused (refused, not escaped: a
  name that is not UTF-8 cannot name a file of a GitHub repository anyway, and refusing keeps one
  name per member);
* only regular files are kept: symlinks, hard links, devices and FIFOs are refused (zip symlinks
  are detected from the Unix mode in ``external_attr``; zip has no hard links);
* encrypted zip members and compression methods other than stored, deflate and bzip2 are refused.

Members are streamed into a private temporary directory, never under their archive names, so
nothing can be written outside it: one spool file holds them all back to back (an artifact of
8,000 HTML pages is one file, not 8,000: creating a file costs about half a millisecond on a CI
disk), and a member is read back as a window of it. Only a member named like an archive gets a
file of its own (``000001``...), to be opened in turn. The directory is removed when the context
manager exits.

This module holds the unpacker (which member goes where) and the API; the rest lives in

* :mod:`app.ingest.safety` - :class:`UnpackLimits`, the budget, member names, archive kinds;
* :mod:`app.ingest.unpack_zip` - zip archives;
* :mod:`app.ingest.unpack_tar` - tar archives and gzip/bzip2/xz streams;
* :mod:`app.ingest.trees` - :class:`FileTree` and :class:`DirectoryTree`.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import posixpath
import shutil
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from app.errors import UnsafeArchive
from app.ingest.safety import (
    ARCHIVE_SUFFIXES,
    CHUNK,
    DEFAULT_UNPACK_LIMITS,
    Budget,
    UnpackLimits,
    is_archive_name,
    looks_like_archive,
    safe_name,
)
from app.ingest.trees import SKIP_DIRS, DirectoryTree, FileTree, Window
from app.ingest.unpack_tar import unpack_compressed, unpack_tar
from app.ingest.unpack_zip import unpack_zip

__all__ = [
    "ARCHIVE_SUFFIXES",
    "CHUNK",
    "DEFAULT_UNPACK_LIMITS",
    "SKIP_DIRS",
    "DirectoryTree",
    "FileTree",
    "UnpackLimits",
    "Unpacker",
    "is_archive",
    "is_archive_name",
    "open_archive",
    "safe_name",
]


class Unpacker:
    """Members of an archive (and of the archives nested in it) streamed into ``workdir``: into
    its spool file, or a file of their own when named like an archive."""

    def __init__(self, workdir: str, limits: UnpackLimits) -> None:
        self.workdir = workdir
        self.budget = Budget(limits)
        self.limits = limits
        self.files: dict[str, str | Window] = {}
        self._counter = 0
        self._spool_path = os.path.join(workdir, "spool")
        self._spool: BinaryIO | None = None

    def new_file(self) -> str:
        self._counter += 1
        return os.path.join(self.workdir, f"{self._counter:06d}")

    def add(self, archive: str, prefix: str, name: str, stored: str | Window, depth: int) -> None:
        full = f"{prefix}{name}"
        if full in self.files:
            raise UnsafeArchive(f"{archive}: member {name!r}: appears twice")
        if isinstance(stored, str) and is_archive_name(name) and looks_like_archive(stored):
            if depth >= self.limits.max_depth:
                raise UnsafeArchive(
                    f"{archive}: member {name!r}: archives nested deeper than "
                    f"{self.limits.max_depth} levels"
                )
            self.unpack(stored, f"{archive}:{name}", f"{full}/", depth + 1)
            os.unlink(stored)
            return
        self.files[full] = stored

    def write_chunks(
        self, archive: str, name: str, chunks: Iterator[bytes], *, charged: bool = False
    ) -> tuple[str | Window, int]:
        """Store one member; ``charged``: its bytes were already counted in the total (they came
        through a counted decompressed stream). A member named like an archive gets a file of
        its own (it may be opened in turn); any other is appended to the spool."""
        if is_archive_name(name):
            path = self.new_file()
            with open(path, "wb") as out:
                written = self._copy(archive, name, chunks, charged, out)
            return path, written
        spool = self._spool
        if spool is None:
            spool = self._spool = open(self._spool_path, "wb")  # noqa: SIM115 - closed in close()
        offset = spool.tell()
        written = self._copy(archive, name, chunks, charged, spool)
        return Window(self._spool_path, offset, written), written

    def _copy(
        self, archive: str, name: str, chunks: Iterator[bytes], charged: bool, out: BinaryIO
    ) -> int:
        written = 0
        for chunk in chunks:
            written += len(chunk)
            self.budget.spend(archive, name, written, 0 if charged else len(chunk))
            out.write(chunk)
        return written

    def close(self) -> None:
        """Done writing: the spool is flushed so its members can be read."""
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def unpack(self, path: str, archive: str, prefix: str, depth: int) -> None:
        with open(path, "rb") as fh:
            head = fh.read(512)
        size = os.path.getsize(path)
        if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            unpack_zip(self, path, archive, prefix, depth)
        elif head.startswith(b"\x1f\x8b"):
            unpack_compressed(self, path, archive, prefix, depth, gzip.GzipFile, size)
        elif head.startswith(b"BZh"):
            unpack_compressed(self, path, archive, prefix, depth, bz2.BZ2File, size)
        elif head.startswith(b"\xfd7zXZ\x00"):
            unpack_compressed(self, path, archive, prefix, depth, lzma.LZMAFile, size)
        elif head[257:262] == b"ustar":
            with open(path, "rb") as fh:
                unpack_tar(self, fh, archive, prefix, depth, charged=False)
        elif depth > 0:
            raise UnsafeArchive(f"{archive}: not a zip or tar archive")
        else:
            self.budget.entry(archive, posixpath.basename(archive))
            self.files[f"{prefix}{posixpath.basename(archive)}"] = path


# --------------------------------------------------------------------------------------------
# the API


@contextlib.contextmanager
def open_archive(
    path: str | os.PathLike[str],
    limits: UnpackLimits = DEFAULT_UNPACK_LIMITS,
    label: str | None = None,
) -> Iterator[FileTree]:
    """Unpack an archive (or take a plain file) safely; yields its members as a SourceTree.

    ``label`` is how errors name the archive (default: the file's name). The members live in a
    temporary directory that is removed on exit.
    """
    label = label or os.path.basename(os.fspath(path))
    workdir = tempfile.mkdtemp(prefix="coverhub-unpack-")
    try:
        unpacker = Unpacker(workdir, limits)
        source = os.fspath(path)
        try:
            if looks_like_archive(source):
                unpacker.unpack(source, label, "", 0)
            else:
                unpacker.budget.entry(label, os.path.basename(source))
                unpacker.files[os.path.basename(source)] = source
        finally:
            unpacker.close()
        yield FileTree(label, unpacker.files)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def is_archive(path: str | os.PathLike[str]) -> bool:
    """Does the file start like an archive this module opens (zip, tar, gzip, bzip2, xz)?"""
    return looks_like_archive(os.fspath(path))
