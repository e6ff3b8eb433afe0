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

Members are streamed to a private temporary directory under names this module chooses
(``000001``...), never under their archive names, so nothing can be written outside it. The
directory is removed when the context manager exits.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import os
import posixpath
import re
import shutil
import stat
import struct
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, cast

from app.errors import TooLarge, UnsafeArchive

CHUNK = 64 * 1024
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True, slots=True)
class UnpackLimits:
    """Bounds on one archive (nested archives share them)."""

    max_total_bytes: int = 2 << 30
    max_member_bytes: int = 1 << 30
    max_entries: int = 100_000
    #: inflated / compressed; deflate cannot exceed about 1032, real coverage files stay far below
    max_ratio: int = 250
    #: the ratio is only checked once more than this many bytes were inflated
    ratio_floor: int = 1 << 20
    #: archives inside archives: 0 = none opened, 1 = one level, ...
    max_depth: int = 2


DEFAULT_UNPACK_LIMITS = UnpackLimits()


# --------------------------------------------------------------------------------------------
# names


def safe_name(name: str, archive: str) -> str | None:
    """The member name as a clean relative path, ``None`` for a directory entry; refuses tricks."""

    def refuse(problem: str) -> UnsafeArchive:
        return UnsafeArchive(f"{archive}: member {name!r}: {problem}")

    if "\x00" in name:
        raise refuse("NUL byte in the name")
    if any("\udc80" <= ch <= "\udcff" for ch in name):
        raise refuse("the name is not UTF-8")
    if "\\" in name:
        raise refuse("backslash in the name (a Windows path separator)")
    if name.startswith("/"):
        raise refuse("absolute path")
    if _DRIVE.match(name):
        raise refuse("drive letter in the name")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise refuse("'..' in the path")
    if not parts or name.endswith("/"):
        return None
    return "/".join(parts)


def _zip_name(info: zipfile.ZipInfo, archive: str) -> str:
    if info.flag_bits & 0x800:
        return info.filename
    # No UTF-8 flag: zipfile decoded the bytes as cp437. Many zip writers put UTF-8 there anyway.
    raw = info.filename.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsafeArchive(f"{archive}: member {raw!r}: the name is not UTF-8") from None


def is_archive_name(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


# --------------------------------------------------------------------------------------------
# budgets


class _Budget:
    """Bytes and entries spent so far, shared by an archive and the archives nested in it."""

    def __init__(self, limits: UnpackLimits) -> None:
        self.limits = limits
        self.total = 0
        self.entries = 0

    def entry(self, archive: str, name: str) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise UnsafeArchive(
                f"{archive}: member {name!r}: more than {self.limits.max_entries} entries"
            )

    def spend(self, archive: str, name: str, member_bytes: int, count: int) -> None:
        self.total += count
        limits = self.limits
        if member_bytes > limits.max_member_bytes:
            raise UnsafeArchive(
                f"{archive}: member {name!r} inflates past {limits.max_member_bytes} bytes"
            )
        if self.total > limits.max_total_bytes:
            raise UnsafeArchive(
                f"{archive}: member {name!r}: the archive inflates past "
                f"{limits.max_total_bytes} bytes in total"
            )

    def ratio(self, archive: str, name: str, inflated: int, compressed: int, what: str) -> None:
        limits = self.limits
        if inflated > limits.ratio_floor and inflated > limits.max_ratio * max(compressed, 1):
            raise UnsafeArchive(
                f"{archive}: member {name!r}: {what} inflates more than {limits.max_ratio} times "
                f"({inflated} bytes from {compressed})"
            )


# --------------------------------------------------------------------------------------------
# trees


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


# --------------------------------------------------------------------------------------------
# unpacking


class _Unpacker:
    def __init__(self, workdir: str, limits: UnpackLimits) -> None:
        self.workdir = workdir
        self.budget = _Budget(limits)
        self.limits = limits
        self.files: dict[str, str] = {}
        self._counter = 0

    def _new_file(self) -> str:
        self._counter += 1
        return os.path.join(self.workdir, f"{self._counter:06d}")

    def _add(self, archive: str, prefix: str, name: str, path: str, depth: int) -> None:
        full = f"{prefix}{name}"
        if full in self.files:
            raise UnsafeArchive(f"{archive}: member {name!r}: appears twice")
        if is_archive_name(name) and _looks_like_archive(path):
            if depth >= self.limits.max_depth:
                raise UnsafeArchive(
                    f"{archive}: member {name!r}: archives nested deeper than "
                    f"{self.limits.max_depth} levels"
                )
            self.unpack(path, f"{archive}:{name}", f"{full}/", depth + 1)
            os.unlink(path)
            return
        self.files[full] = path

    def _write_chunks(
        self, archive: str, name: str, chunks: Iterator[bytes], *, charged: bool = False
    ) -> tuple[str, int]:
        """Store one member; ``charged``: its bytes were already counted in the total (they came
        through a counted decompressed stream)."""
        path = self._new_file()
        written = 0
        with open(path, "wb") as out:
            for chunk in chunks:
                written += len(chunk)
                self.budget.spend(archive, name, written, 0 if charged else len(chunk))
                out.write(chunk)
        return path, written

    def unpack(self, path: str, archive: str, prefix: str, depth: int) -> None:
        with open(path, "rb") as fh:
            head = fh.read(512)
        size = os.path.getsize(path)
        if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            self._zip(path, archive, prefix, depth)
        elif head.startswith(b"\x1f\x8b"):
            self._compressed(path, archive, prefix, depth, gzip.GzipFile, size)
        elif head.startswith(b"BZh"):
            self._compressed(path, archive, prefix, depth, bz2.BZ2File, size)
        elif head.startswith(b"\xfd7zXZ\x00"):
            self._compressed(path, archive, prefix, depth, lzma.LZMAFile, size)
        elif head[257:262] == b"ustar":
            with open(path, "rb") as fh:
                self._tar(fh, archive, prefix, depth, charged=False)
        elif depth > 0:
            raise UnsafeArchive(f"{archive}: not a zip or tar archive")
        else:
            self.budget.entry(archive, posixpath.basename(archive))
            self.files[f"{prefix}{posixpath.basename(archive)}"] = path

    # zip ------------------------------------------------------------------------------------

    def _zip(self, path: str, archive: str, prefix: str, depth: int) -> None:
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise UnsafeArchive(f"{archive}: not a readable zip archive ({exc})") from None
        with zf, open(path, "rb") as raw:
            infos = zf.infolist()
            if len(infos) > self.limits.max_entries:
                raise UnsafeArchive(
                    f"{archive}: member {infos[self.limits.max_entries].filename!r}: more than "
                    f"{self.limits.max_entries} entries"
                )
            archive_size = os.path.getsize(path)
            inflated_before = self.budget.total
            for info in infos:
                name = _zip_name(info, archive)
                self.budget.entry(archive, name)
                mode = info.external_attr >> 16
                clean = safe_name(name, archive)
                # Unix writers put st_mode in the high bits; many leave the file type bits 0
                kind = stat.S_IFMT(mode) if info.create_system == 3 else 0
                if kind == stat.S_IFLNK:
                    raise UnsafeArchive(f"{archive}: member {name!r}: symbolic link")
                if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                    raise UnsafeArchive(f"{archive}: member {name!r}: not a regular file")
                if clean is None or info.is_dir():
                    continue
                if info.flag_bits & 0x1:
                    raise UnsafeArchive(f"{archive}: member {name!r}: encrypted")
                member_path, size = self._write_chunks(
                    archive, name, self._zip_chunks(raw, info, archive, name)
                )
                if size != info.file_size:
                    raise UnsafeArchive(
                        f"{archive}: member {name!r}: inflates to {size} bytes, "
                        f"its header declares {info.file_size}"
                    )
                self.budget.ratio(archive, name, size, info.compress_size, "the member")
                self.budget.ratio(
                    archive, name, self.budget.total - inflated_before, archive_size, "the archive"
                )
                self._add(archive, prefix, clean, member_path, depth)

    def _zip_chunks(
        self, raw: BinaryIO, info: zipfile.ZipInfo, archive: str, name: str
    ) -> Iterator[bytes]:
        """The member's bytes, inflated by us from the raw data (headers can lie: the declared
        size bounds nothing here; the caller's budget does)."""
        raw.seek(info.header_offset)
        header = raw.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise UnsafeArchive(f"{archive}: member {name!r}: bad local header")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        raw.seek(info.header_offset + 30 + name_len + extra_len)
        left = info.compress_size
        method = info.compress_type
        decompressor: zlib._Decompress | bz2.BZ2Decompressor | None
        if method == zipfile.ZIP_STORED:
            decompressor = None
        elif method == zipfile.ZIP_DEFLATED:
            decompressor = zlib.decompressobj(-15)
        elif method == zipfile.ZIP_BZIP2:
            decompressor = bz2.BZ2Decompressor()
        else:
            raise UnsafeArchive(
                f"{archive}: member {name!r}: compression method {method} is not supported"
            )
        crc = 0
        declared = info.file_size
        produced = 0
        while left > 0:
            data = raw.read(min(CHUNK, left))
            if not data:
                raise UnsafeArchive(f"{archive}: member {name!r}: truncated")
            left -= len(data)
            outputs: Iterator[bytes]
            if decompressor is None:
                outputs = iter((data,))
            elif isinstance(decompressor, bz2.BZ2Decompressor):
                outputs = _bz2_outputs(decompressor, data, archive, name)
            else:
                outputs = _zlib_outputs(decompressor, data, archive, name)
            for out in outputs:
                produced += len(out)
                crc = zlib.crc32(out, crc)
                yield out
                if produced > declared:
                    raise UnsafeArchive(
                        f"{archive}: member {name!r}: inflates past the {declared} bytes "
                        "its header declares"
                    )
        if decompressor is not None and not isinstance(decompressor, bz2.BZ2Decompressor):
            for out in _zlib_outputs(decompressor, b"", archive, name):
                produced += len(out)
                crc = zlib.crc32(out, crc)
                yield out
        if produced == declared and crc != info.CRC:
            raise UnsafeArchive(f"{archive}: member {name!r}: CRC mismatch (corrupt data)")

    # tar ------------------------------------------------------------------------------------

    def _compressed(
        self,
        path: str,
        archive: str,
        prefix: str,
        depth: int,
        opener: type[gzip.GzipFile] | type[bz2.BZ2File] | type[lzma.LZMAFile],
        compressed_size: int,
    ) -> None:
        inflated_before = self.budget.total
        with opener(path, "rb") as stream:
            counted = _Counted(stream, self, archive, compressed_size, inflated_before)
            try:
                head = counted.peek_head(512)
                if head[257:262] == b"ustar":
                    self._tar(cast(IO[bytes], counted), archive, prefix, depth, charged=True)
                    return
                # a single compressed file: coverage.xml.gz -> coverage.xml
                base = posixpath.basename(archive.rsplit(":", 1)[-1])
                stem = re.sub(r"\.(gz|bz2|xz)$", "", base, flags=re.IGNORECASE) or base
                self.budget.entry(archive, stem)
                member_path, _ = self._write_chunks(archive, stem, counted.chunks(), charged=True)
            except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
                raise UnsafeArchive(f"{archive}: corrupt compressed data ({exc})") from None
        self._add(archive, prefix, stem, member_path, depth)

    def _tar(
        self, stream: IO[bytes], archive: str, prefix: str, depth: int, *, charged: bool
    ) -> None:
        try:
            tf = tarfile.open(  # noqa: SIM115 - closed by the `with tf` below
                fileobj=stream, mode="r|", encoding="utf-8", errors="surrogateescape"
            )
        except tarfile.TarError as exc:
            raise UnsafeArchive(f"{archive}: not a readable tar archive ({exc})") from None
        with tf:
            try:
                for member in tf:
                    name = member.name
                    self.budget.entry(archive, name)
                    clean = safe_name(name, archive)
                    if member.issym():
                        raise UnsafeArchive(f"{archive}: member {name!r}: symbolic link")
                    if member.islnk():
                        raise UnsafeArchive(f"{archive}: member {name!r}: hard link")
                    if member.isdir():
                        continue
                    if not member.isreg() or member.issparse():
                        raise UnsafeArchive(f"{archive}: member {name!r}: not a regular file")
                    if clean is None:
                        continue
                    source = tf.extractfile(member)
                    if source is None:  # pragma: no cover - regular files always have data
                        continue
                    member_path, size = self._write_chunks(
                        archive, name, _read_chunks(source), charged=charged
                    )
                    if size != member.size:
                        raise UnsafeArchive(f"{archive}: member {name!r}: truncated")
                    self._add(archive, prefix, clean, member_path, depth)
            except tarfile.TarError as exc:
                raise UnsafeArchive(f"{archive}: corrupt tar archive ({exc})") from None


def _read_chunks(source: IO[bytes]) -> Iterator[bytes]:
    while True:
        chunk = source.read(CHUNK)
        if not chunk:
            return
        yield chunk


def _zlib_outputs(d: zlib._Decompress, data: bytes, archive: str, name: str) -> Iterator[bytes]:
    try:
        out = d.decompress(data, CHUNK)
        while True:
            if out:
                yield out
            if not d.unconsumed_tail:
                if not data:
                    tail = d.flush()
                    if tail:
                        yield tail
                return
            out = d.decompress(d.unconsumed_tail, CHUNK)
    except zlib.error as exc:
        raise UnsafeArchive(f"{archive}: member {name!r}: corrupt data ({exc})") from None


def _bz2_outputs(d: bz2.BZ2Decompressor, data: bytes, archive: str, name: str) -> Iterator[bytes]:
    try:
        out = d.decompress(data, CHUNK)
        while True:
            if out:
                yield out
            if d.eof or d.needs_input:
                return
            out = d.decompress(b"", CHUNK)
    except (OSError, EOFError) as exc:
        raise UnsafeArchive(f"{archive}: member {name!r}: corrupt data ({exc})") from None


class _Counted(io.RawIOBase):
    """A decompressed stream whose every byte is charged to the budget as it comes out."""

    def __init__(
        self,
        stream: BinaryIO | gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile,
        unpacker: _Unpacker,
        archive: str,
        compressed_size: int,
        inflated_before: int,
    ) -> None:
        self._stream = stream
        self._unpacker = unpacker
        self._archive = archive
        self._compressed = compressed_size
        self._before = inflated_before
        self._head = b""
        self._count = 0

    def readable(self) -> bool:
        return True

    def peek_head(self, size: int) -> bytes:
        self._head = self._read_raw(size)
        return self._head

    def _read_raw(self, size: int) -> bytes:
        data = self._stream.read(size)
        self._count += len(data)
        budget = self._unpacker.budget
        # the stream itself (tar headers and padding included) counts against the total
        budget.spend(self._archive, "(stream)", 0, len(data))
        budget.ratio(
            self._archive, "(stream)", budget.total - self._before, self._compressed, "the archive"
        )
        return data

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        want = len(buffer)
        if self._head:
            chunk, self._head = self._head[:want], self._head[want:]
        else:
            chunk = self._read_raw(min(want, CHUNK))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def chunks(self) -> Iterator[bytes]:
        if self._head:
            head, self._head = self._head, b""
            yield head
        while True:
            data = self._read_raw(CHUNK)
            if not data:
                return
            yield data


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
        unpacker = _Unpacker(workdir, limits)
        source = os.fspath(path)
        if _looks_like_archive(source):
            unpacker.unpack(source, label, "", 0)
        else:
            unpacker.budget.entry(label, os.path.basename(source))
            unpacker.files[os.path.basename(source)] = source
        yield FileTree(label, unpacker.files)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _looks_like_archive(path: str) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(512)
    return head.startswith(
        (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")
    ) or (head[257:262] == b"ustar")


def is_archive(path: str | os.PathLike[str]) -> bool:
    """Does the file start like an archive this module opens (zip, tar, gzip, bzip2, xz)?"""
    return _looks_like_archive(os.fspath(path))
