"""Zip archives, unpacked safely: member checks, and inflating members ourselves, in bounds.

Members are inflated from the raw data (stored, deflate and bzip2 only), never trusting the
sizes a header declares: the budget counts the bytes actually produced, a member that inflates
past its declared size is refused as soon as it does, the CRC is checked. Symbolic links (from
the Unix mode in ``external_attr``), other non-regular files and encrypted members are refused.
"""

from __future__ import annotations

import bz2
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from app.errors import UnsafeArchive
from app.ingest.safety import CHUNK, safe_name

if TYPE_CHECKING:
    from app.ingest.unpack import Unpacker


def zip_name(info: zipfile.ZipInfo, archive: str) -> str:
    if info.flag_bits & 0x800:
        return info.filename
    # No UTF-8 flag: zipfile decoded the bytes as cp437. Many zip writers put UTF-8 there anyway.
    raw = info.filename.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsafeArchive(f"{archive}: member {raw!r}: the name is not UTF-8") from None


def unpack_zip(unpacker: Unpacker, path: str, archive: str, prefix: str, depth: int) -> None:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsafeArchive(f"{archive}: not a readable zip archive ({exc})") from None
    with zf, open(path, "rb") as raw:
        infos = zf.infolist()
        if len(infos) > unpacker.limits.max_entries:
            raise UnsafeArchive(
                f"{archive}: member {infos[unpacker.limits.max_entries].filename!r}: more than "
                f"{unpacker.limits.max_entries} entries"
            )
        archive_size = os.path.getsize(path)
        inflated_before = unpacker.budget.total
        for info in infos:
            name = zip_name(info, archive)
            unpacker.budget.entry(archive, name)
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
            member_path, size = unpacker.write_chunks(
                archive, name, zip_chunks(raw, info, archive, name)
            )
            if size != info.file_size:
                raise UnsafeArchive(
                    f"{archive}: member {name!r}: inflates to {size} bytes, "
                    f"its header declares {info.file_size}"
                )
            unpacker.budget.ratio(archive, name, size, info.compress_size, "the member")
            unpacker.budget.ratio(
                archive, name, unpacker.budget.total - inflated_before, archive_size, "the archive"
            )
            unpacker.add(archive, prefix, clean, member_path, depth)


def zip_chunks(raw: BinaryIO, info: zipfile.ZipInfo, archive: str, name: str) -> Iterator[bytes]:
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
