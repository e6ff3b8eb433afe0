"""Tar archives and compressed streams (gzip, bzip2, xz), unpacked safely.

A compressed stream is a tar archive (``.tar.gz``...) or a single compressed file
(``coverage.xml.gz`` -> ``coverage.xml``); every decompressed byte, tar headers and padding
included, is charged to the budget as it comes out (:class:`Counted`), and the compression ratio
of the whole stream is checked as it grows. Only regular tar members are kept: symbolic and hard
links, devices, FIFOs and sparse files are refused.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import posixpath
import re
import tarfile
import zlib
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, BinaryIO, cast

from app.errors import UnsafeArchive
from app.ingest.safety import CHUNK, safe_name

if TYPE_CHECKING:
    from app.ingest.unpack import Unpacker


def unpack_compressed(
    unpacker: Unpacker,
    path: str,
    archive: str,
    prefix: str,
    depth: int,
    opener: type[gzip.GzipFile] | type[bz2.BZ2File] | type[lzma.LZMAFile],
    compressed_size: int,
) -> None:
    inflated_before = unpacker.budget.total
    with opener(path, "rb") as stream:
        counted = Counted(stream, unpacker, archive, compressed_size, inflated_before)
        try:
            head = counted.peek_head(512)
            if head[257:262] == b"ustar":
                unpack_tar(unpacker, cast(IO[bytes], counted), archive, prefix, depth, charged=True)
                return
            # a single compressed file: coverage.xml.gz -> coverage.xml
            base = posixpath.basename(archive.rsplit(":", 1)[-1])
            stem = re.sub(r"\.(gz|bz2|xz)$", "", base, flags=re.IGNORECASE) or base
            unpacker.budget.entry(archive, stem)
            member_path, _ = unpacker.write_chunks(archive, stem, counted.chunks(), charged=True)
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            raise UnsafeArchive(f"{archive}: corrupt compressed data ({exc})") from None
    unpacker.add(archive, prefix, stem, member_path, depth)


def unpack_tar(
    unpacker: Unpacker, stream: IO[bytes], archive: str, prefix: str, depth: int, *, charged: bool
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
                unpacker.budget.entry(archive, name)
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
                member_path, size = unpacker.write_chunks(
                    archive, name, _read_chunks(source), charged=charged
                )
                if size != member.size:
                    raise UnsafeArchive(f"{archive}: member {name!r}: truncated")
                unpacker.add(archive, prefix, clean, member_path, depth)
        except tarfile.TarError as exc:
            raise UnsafeArchive(f"{archive}: corrupt tar archive ({exc})") from None


def _read_chunks(source: IO[bytes]) -> Iterator[bytes]:
    while True:
        chunk = source.read(CHUNK)
        if not chunk:
            return
        yield chunk


class Counted(io.RawIOBase):
    """A decompressed stream whose every byte is charged to the budget as it comes out."""

    def __init__(
        self,
        stream: BinaryIO | gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile,
        unpacker: Unpacker,
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
