"""Meta-data files: round trip, hashes, and every kind of corruption gives a clear error."""

from __future__ import annotations

import struct

import pytest
from gcd_build import PACKAGES, meta_bytes

from app.coverage.errors import InvalidReport
from app.coverage.gocovdata.meta import (
    FuncDesc,
    Unit,
    check_file_hash,
    covdata_file_hash,
    decode_meta_file,
    decode_package,
    encode_meta_file,
    encode_package,
)

pytestmark = pytest.mark.unit

NAME = "dir/covmeta.x"


def test_round_trip() -> None:
    file_hash, data = meta_bytes(mode=2)
    meta = decode_meta_file(data, NAME)
    assert meta.file_hash == file_hash
    assert meta.mode_name == "count"
    assert meta.granularity_name == "perblock"
    assert [p.path for p in meta.packages] == [p[0] for p in PACKAGES]
    assert [p.module_path for p in meta.packages] == [p[2] for p in PACKAGES]
    for pkg, (path, name, module, funcs) in zip(meta.packages, PACKAGES, strict=True):
        assert list(pkg.funcs) == funcs
        assert pkg.blob == encode_package(path, name, module, funcs)
    # header layout of formats.md §2.3
    assert data[:4] == b"\x00cvm"
    assert struct.unpack_from("<IQQ", data, 4) == (1, len(data), len(PACKAGES))
    assert struct.unpack_from("<I", data, 40)[0] == 56 + 16 * len(PACKAGES)
    assert data[48:50] == b"\x02\x01"


def test_package_blob_layout() -> None:
    path, name, module, funcs = PACKAGES[1]
    blob = encode_package(path, name, module, funcs)
    length, name_idx, path_idx, mod_idx = struct.unpack_from("<4I", blob)
    assert (length, path_idx, name_idx, mod_idx) == (len(blob), 1, 2, 3)
    assert struct.unpack_from("<I", blob, 40)[0] == len(funcs)
    first = struct.unpack_from("<I", blob, 44)[0]
    assert blob[first] == len(funcs[0].units)  # descriptor starts with nUnits


def test_covdata_style_file_hash_is_accepted() -> None:
    blobs = [encode_package(p, n, m, f) for p, n, m, f in PACKAGES]
    file_hash, data = encode_meta_file(blobs, 1, 1)
    assert file_hash == covdata_file_hash(blobs)
    check_file_hash(decode_meta_file(data, NAME), NAME)


def test_wrong_file_hash_is_refused() -> None:
    blobs = [encode_package(p, n, m, f) for p, n, m, f in PACKAGES]
    _, data = encode_meta_file(blobs, 1, 1, b"\x01" * 16)
    with pytest.raises(InvalidReport, match=r"hash .* does not match") as info:
        decode_meta_file(data, NAME)
    assert info.value.source == NAME
    assert decode_meta_file(data, NAME, verify_hash=False).file_hash == b"\x01" * 16


def test_package_hash_mismatch_names_package() -> None:
    blob = bytearray(
        encode_package("a/b", "b", "a", [FuncDesc("F", "a/b/f.go", (Unit(1, 1, 2, 2, 1),))])
    )
    blob[-2] ^= 0x01  # a unit field changes; the recorded hash no longer matches
    with pytest.raises(InvalidReport, match="package a/b hash mismatch"):
        decode_package(bytes(blob), "pkg")


def test_truncation_at_every_length_is_a_clear_error() -> None:
    _, data = meta_bytes()
    for cut in range(len(data)):
        with pytest.raises(InvalidReport) as info:
            decode_meta_file(data[:cut], NAME)
        assert info.value.source.startswith(NAME)


def test_every_byte_flip_is_an_error_or_harmless() -> None:
    _, data = meta_bytes()
    meta = decode_meta_file(data, NAME)
    offsets = struct.unpack_from(f"<{len(PACKAGES)}Q", data, 56)
    # Only the header padding and, per package, the unused 4 bytes and NumFiles go unchecked.
    harmless = set(range(50, 56))
    for off in offsets:
        harmless |= set(range(off + 32, off + 40))
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0xFF
        try:
            again = decode_meta_file(bytes(bad), NAME)
        except InvalidReport as exc:
            assert exc.source.startswith(NAME)
            assert i not in harmless
        else:
            assert i in harmless
            assert again.packages == meta.packages or all(
                a.funcs == b.funcs for a, b in zip(again.packages, meta.packages, strict=True)
            )


@pytest.mark.parametrize(
    ("offset", "value", "message"),
    [
        (0, b"\x00cvX", "bad magic"),
        (4, struct.pack("<I", 2), "unknown version 2"),
        (8, struct.pack("<Q", 10**9), "header says"),
        (16, struct.pack("<Q", 2**62), "package count"),
        (40, struct.pack("<I", 2**31), "string table"),
        (48, b"\x07", "unsupported counter mode"),
        (49, b"\x09", "unsupported counter granularity"),
        (56, struct.pack("<Q", 2**40), "outside the file"),
    ],
)
def test_header_corruption(offset: int, value: bytes, message: str) -> None:
    _, data = meta_bytes()
    bad = data[:offset] + value + data[offset + len(value) :]
    with pytest.raises(InvalidReport, match=message):
        decode_meta_file(bad, NAME)


def test_absurd_function_and_unit_counts() -> None:
    path, name, module, funcs = PACKAGES[1]
    blob = bytearray(encode_package(path, name, module, funcs))
    huge = bytearray(blob)
    struct.pack_into("<I", huge, 40, 2**30)
    with pytest.raises(InvalidReport, match="function count"):
        decode_package(bytes(huge), "pkg")
    bad_off = bytearray(blob)
    struct.pack_into("<I", bad_off, 44, 2**31)
    with pytest.raises(InvalidReport, match="offset"):
        decode_package(bytes(bad_off), "pkg")
    first = struct.unpack_from("<I", blob, 44)[0]
    units = bytearray(blob[:first]) + b"\xff\xff\xff\x0f" + blob[first + 1 :]
    struct.pack_into("<I", units, 0, len(units))
    with pytest.raises(InvalidReport, match="unit count"):
        decode_package(bytes(units), "pkg")


def test_not_a_meta_file() -> None:
    with pytest.raises(InvalidReport, match="bad magic"):
        decode_meta_file(b"mode: set\n", NAME)
    with pytest.raises(InvalidReport, match="bad magic"):
        decode_meta_file(b"", NAME)
