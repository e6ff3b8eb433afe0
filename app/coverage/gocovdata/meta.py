"""Meta-data files (``covmeta.<H>``) and the package blobs inside them (formats.md §2.3, §2.4).

Decoding checks everything it relies on: magic, version, the header's total length against the
real size, every offset and length against the bytes that exist, every string index against its
table, every count against the bytes left, and the FNV-1a 128 hashes: the package hash over the
package's contents, and the file hash in either form Go writes (:func:`check_file_hash`).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from app.coverage.errors import InvalidReport
from app.coverage.gocovdata.wire import Reader, StringTableBuilder, fnv128a, uleb128

META_MAGIC = b"\x00cvm"
META_VERSION = 1
META_HEADER_SIZE = 56
PKG_HEADER_SIZE = 44

MODE_SET, MODE_COUNT, MODE_ATOMIC = 1, 2, 3
MODE_NAMES = {1: "set", 2: "count", 3: "atomic", 4: "regonly", 5: "testmain"}
MODE_BY_NAME = {"set": 1, "count": 2, "atomic": 3}
GRAN_PERBLOCK, GRAN_PERFUNC = 1, 2
GRAN_NAMES = {1: "perblock", 2: "perfunc"}


def mode_name(mode: int) -> str:
    return MODE_NAMES.get(mode, "<invalid>")


def gran_name(gran: int) -> str:
    return GRAN_NAMES.get(gran, "<invalid>")


@dataclass(frozen=True, slots=True)
class Unit:
    """A coverable unit: a source range and its statement count (``CoverableUnit``)."""

    st_line: int
    st_col: int
    en_line: int
    en_col: int
    nx_stmts: int


@dataclass(frozen=True, slots=True)
class FuncDesc:
    """A function descriptor: its name, source file (import-path form) and units."""

    name: str
    srcfile: str
    units: tuple[Unit, ...]
    literal: bool = False


@dataclass(frozen=True, slots=True)
class Package:
    """One package blob of a meta-data file, decoded; ``blob`` keeps the original bytes."""

    path: str
    name: str
    module_path: str
    meta_hash: bytes
    funcs: tuple[FuncDesc, ...]
    blob: bytes


@dataclass(frozen=True, slots=True)
class MetaFile:
    """A decoded ``covmeta`` file: one program's packages, counter mode and granularity."""

    file_hash: bytes
    mode: int
    granularity: int
    packages: tuple[Package, ...]

    @property
    def mode_name(self) -> str:
        return mode_name(self.mode)

    @property
    def granularity_name(self) -> str:
        return gran_name(self.granularity)

    @property
    def hash_hex(self) -> str:
        return self.file_hash.hex()


# --------------------------------------------------------------------------------------------
# hashes


def _func_hash_bytes(fd: FuncDesc) -> bytes:
    parts = [fd.name.encode("utf-8"), fd.srcfile.encode("utf-8")]
    for u in fd.units:
        parts.append(struct.pack("<5I", u.st_line, u.st_col, u.en_line, u.en_col, u.nx_stmts))
    parts.append(struct.pack("<I", 1 if fd.literal else 0))
    return b"".join(parts)


def func_hash(fd: FuncDesc) -> bytes:
    """Go's ``encodemeta.HashFuncDesc``: identifies a function across programs (pcombine)."""
    return fnv128a(_func_hash_bytes(fd))


def package_hash(path: str, name: str, module_path: str, funcs: Sequence[FuncDesc]) -> bytes:
    """The package MetaHash (formats.md §2.7)."""
    head = path.encode("utf-8") + name.encode("utf-8") + module_path.encode("utf-8")
    return fnv128a(head, b"".join(_func_hash_bytes(fd) for fd in funcs))


def runtime_file_hash(package_hashes: Sequence[bytes], mode: int, granularity: int) -> bytes:
    """The meta-file hash a running program writes: package hashes, then mode and granularity."""
    return fnv128a(
        b"".join(package_hashes), mode_name(mode).encode(), gran_name(granularity).encode()
    )


def covdata_file_hash(blobs: Sequence[bytes]) -> bytes:
    """The meta-file hash ``go tool covdata merge -pkg/-pcombine`` writes: hash of blob hashes."""
    return fnv128a(b"".join(fnv128a(blob) for blob in blobs))


def check_file_hash(meta: MetaFile, what: str) -> None:
    """Accept either of the two file-hash forms Go writes; anything else is corruption."""
    hashes = [p.meta_hash for p in meta.packages]
    if meta.file_hash == runtime_file_hash(hashes, meta.mode, meta.granularity):
        return
    if meta.file_hash == covdata_file_hash([p.blob for p in meta.packages]):
        return
    raise InvalidReport(
        what, f"meta-data file hash {meta.file_hash.hex()} does not match its contents"
    )


# --------------------------------------------------------------------------------------------
# decoding


def decode_package(blob: bytes, what: str) -> Package:
    """Decode and verify one package blob (``what`` names it in errors)."""
    r = Reader(blob, what)
    length = r.u32("package header")
    if length != len(blob):
        raise r.fail(f"package blob length field {length} differs from its size {len(blob)}")
    name_idx = r.u32("package header")
    path_idx = r.u32("package header")
    mod_idx = r.u32("package header")
    meta_hash = r.bytes(16, "package header")
    r.skip(4, "package header")
    r.u32("package header")  # NumFiles: in fact the string table's entry count; not used
    nfuncs = r.u32("package header")
    if nfuncs * 4 > r.remaining:
        raise r.fail(f"function count {nfuncs} is larger than the blob could hold")
    offsets = [r.u32("function offset table") for _ in range(nfuncs)]
    strings = r.string_table("package string table")
    table_end = r.pos

    def string(idx: int, part: str) -> str:
        if idx >= len(strings):
            raise r.fail(f"{part} string index {idx} out of range ({len(strings)} strings)")
        return strings[idx]

    path = string(path_idx, "package path")
    name = string(name_idx, "package name")
    module = string(mod_idx, "module path")
    if not path:
        raise r.fail("empty package path")
    funcs: list[FuncDesc] = []
    for i, off in enumerate(offsets):
        if off < table_end or off >= length:
            raise r.fail(f"function {i} offset {off} outside the blob ({table_end}..{length})")
        fr = Reader(blob, f"{what}: function {i}", pos=off)
        nunits = fr.count("unit count", 5)
        fname = string(fr.uleb("function name index"), f"function {i} name")
        srcfile = string(fr.uleb("source file index"), f"function {i} file")
        units: list[Unit] = []
        for _ in range(nunits):
            units.append(
                Unit(
                    fr.uleb("unit start line"),
                    fr.uleb("unit start column"),
                    fr.uleb("unit end line"),
                    fr.uleb("unit end column"),
                    fr.uleb("unit statement count"),
                )
            )
        lit = fr.uleb("literal flag")
        if lit > 1:
            raise fr.fail(f"literal flag {lit} is neither 0 nor 1")
        funcs.append(FuncDesc(fname, srcfile, tuple(units), lit == 1))
    computed = package_hash(path, name, module, funcs)
    if computed != meta_hash:
        raise r.fail(
            f"package {path} hash mismatch (recorded {meta_hash.hex()}, computed {computed.hex()})"
        )
    return Package(path, name, module, meta_hash, tuple(funcs), blob)


def decode_meta_file(data: bytes, what: str, *, verify_hash: bool = True) -> MetaFile:
    """Decode a whole ``covmeta`` file and verify its integrity; ``what`` names it in errors."""
    r = Reader(data, what)
    if len(data) < 4 or data[:4] != META_MAGIC:
        raise r.fail("not a Go coverage meta-data file (bad magic)")
    if len(data) < META_HEADER_SIZE:
        raise r.fail(f"truncated meta-data header: {len(data)} of {META_HEADER_SIZE} bytes")
    r.skip(4, "magic")
    version = r.u32("header")
    if version > META_VERSION:
        raise r.fail(f"meta-data file with an unknown version {version} (expected {META_VERSION})")
    total = r.u64("header")
    if total != len(data):
        raise r.fail(f"header says {total} bytes but the file has {len(data)} (truncated?)")
    entries = r.u64("header")
    file_hash = r.bytes(16, "header")
    str_off = r.u32("header")
    str_len = r.u32("header")
    mode = r.u8("header")
    gran = r.u8("header")
    r.skip(6, "header")
    if mode not in (MODE_SET, MODE_COUNT, MODE_ATOMIC):
        raise r.fail(f"unsupported counter mode {mode}")
    if gran not in GRAN_NAMES:
        raise r.fail(f"unsupported counter granularity {gran}")
    if entries * 16 > r.remaining:
        raise r.fail(f"package count {entries} is larger than the file could hold")
    offsets = [r.u64("package offset table") for _ in range(entries)]
    lengths = [r.u64("package length table") for _ in range(entries)]
    preamble_end = r.pos
    if str_off != preamble_end or str_off + str_len > total:
        raise r.fail(
            f"string table at {str_off}+{str_len}, expected at {preamble_end} inside the file"
        )
    st = Reader(data, f"{what}: file string table", pos=str_off, end=str_off + str_len)
    st.string_table("file string table")
    if st.pos != st.end:
        raise r.fail(f"file string table: {st.end - st.pos} stray bytes at its end")
    packages: list[Package] = []
    for i, (off, length) in enumerate(zip(offsets, lengths, strict=True)):
        if off < preamble_end or off + length > total:
            raise r.fail(f"package {i} at {off}+{length} outside the file ({total} bytes)")
        packages.append(decode_package(data[off : off + length], f"{what}: package {i}"))
    meta = MetaFile(file_hash, mode, gran, tuple(packages))
    if verify_hash:
        check_file_hash(meta, what)
    return meta


# --------------------------------------------------------------------------------------------
# encoding


def encode_package(path: str, name: str, module_path: str, funcs: Sequence[FuncDesc]) -> bytes:
    """A package blob as ``encodemeta.CoverageMetaDataBuilder`` writes it."""
    if not path:
        raise ValueError("invalid empty package path")
    stab = StringTableBuilder()
    path_idx = stab.lookup(path)
    name_idx = stab.lookup(name)
    mod_idx = stab.lookup(module_path)
    encoded: list[bytes] = []
    for fd in funcs:
        parts = [uleb128(len(fd.units)), uleb128(stab.lookup(fd.name))]
        parts.append(uleb128(stab.lookup(fd.srcfile)))
        for u in fd.units:
            for v in (u.st_line, u.st_col, u.en_line, u.en_col, u.nx_stmts):
                parts.append(uleb128(v))
        parts.append(uleb128(1 if fd.literal else 0))
        encoded.append(b"".join(parts))
    table = stab.encode()
    foff = PKG_HEADER_SIZE + 4 * len(funcs) + len(table)
    offsets = bytearray()
    for enc in encoded:
        offsets += struct.pack("<I", foff)
        foff += len(enc)
    digest = package_hash(path, name, module_path, funcs)
    header = struct.pack(
        "<IIII16s4xII",
        foff,
        name_idx,
        path_idx,
        mod_idx,
        digest,
        len(stab.strings),
        len(funcs),
    )
    return header + bytes(offsets) + table + b"".join(encoded)


def encode_meta_file(
    blobs: Sequence[bytes], mode: int, granularity: int, file_hash: bytes | None = None
) -> tuple[bytes, bytes]:
    """A ``covmeta`` file holding ``blobs``; returns (file hash, bytes).

    Without ``file_hash`` the hash is computed as go tool covdata does when it re-encodes meta
    data (:func:`covdata_file_hash`).
    """
    if file_hash is None:
        file_hash = covdata_file_hash(blobs)
    table = StringTableBuilder().encode()
    str_off = META_HEADER_SIZE + 16 * len(blobs)
    preamble = str_off + len(table)
    total = preamble + sum(len(b) for b in blobs)
    header = struct.pack(
        "<4sIQQ16sIIBB6x",
        META_MAGIC,
        META_VERSION,
        total,
        len(blobs),
        file_hash,
        str_off,
        len(table),
        mode,
        granularity,
    )
    offs = bytearray()
    off = preamble
    for b in blobs:
        offs += struct.pack("<Q", off)
        off += len(b)
    lens = b"".join(struct.pack("<Q", len(b)) for b in blobs)
    return file_hash, header + bytes(offs) + lens + table + b"".join(blobs)
