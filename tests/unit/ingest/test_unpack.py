"""The safe unpacker: bombs, limits (at each limit and one past it), names, links, nesting."""

from __future__ import annotations

import gzip
import io
import os
import stat
import struct
import tarfile
import warnings
import zipfile
from pathlib import Path

import pytest

from app.errors import UnsafeArchive
from app.ingest import DirectoryTree, find_reports, open_archive, open_path, parse_reports
from app.ingest.unpack import DEFAULT_UNPACK_LIMITS, UnpackLimits, safe_name

COBERTURA = (
    b'<?xml version="1.0" ?>\n<coverage line-rate="1" lines-valid="1" lines-covered="1"'
    b' version="1"><sources><source>.</source></sources><packages><package name=".">'
    b'<classes><class name="a.py" filename="a.py"><lines><line number="1" hits="1"/></lines>'
    b"</class></classes></package></packages></coverage>\n"
)


def make_zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return path


def make_tar(path: Path, members: dict[str, bytes], mode: str = "w", **kw) -> Path:
    with tarfile.open(path, mode, **kw) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def names_of(path: Path, limits: UnpackLimits = DEFAULT_UNPACK_LIMITS) -> list[str]:
    with open_archive(path, limits) as tree:
        return list(tree.names())


def refused(path: Path, limits: UnpackLimits = DEFAULT_UNPACK_LIMITS) -> str:
    with pytest.raises(UnsafeArchive) as info, open_archive(path, limits):
        pass
    return str(info.value)


# --------------------------------------------------------------------------------------------
# zip bombs and byte limits


def lie_about_size(data: bytes, member: bytes, claimed: int) -> bytes:
    """Rewrite the uncompressed size of ``member`` in its local and central headers."""
    out = bytearray(data)
    local = out.find(b"PK\x03\x04")
    assert out[local + 30 : local + 30 + len(member)] == member
    struct.pack_into("<I", out, local + 22, claimed)
    central = out.find(b"PK\x01\x02")
    assert out[central + 46 : central + 46 + len(member)] == member
    struct.pack_into("<I", out, central + 24, claimed)
    return bytes(out)


def test_zip_bomb_whose_header_claims_less(tmp_path):
    # 20 MB of zeros deflate to about 20 KB; the headers are rewritten to claim 100 bytes.
    honest = make_zip(tmp_path / "h.zip", {"bomb.xml": bytes(20 << 20)}).read_bytes()
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(lie_about_size(honest, b"bomb.xml", 100))
    assert bomb.stat().st_size < 100_000
    # zipfile itself trusts the header: it would stop at 100 bytes and only complain about CRC.
    message = refused(bomb)
    assert "bomb.zip" in message and "bomb.xml" in message
    assert "inflates past the 100 bytes its header declares" in message
    # with a member budget below the truth, the real bytes (not the claim) hit the budget
    message = refused(bomb, UnpackLimits(max_member_bytes=50_000))
    assert "'bomb.xml' inflates past 50000 bytes" in message


def test_member_bytes_at_the_limit_and_one_past(tmp_path):
    z = make_zip(tmp_path / "m.zip", {"a.txt": b"x" * 1000})
    assert names_of(z, UnpackLimits(max_member_bytes=1000)) == ["a.txt"]
    assert "inflates past 999 bytes" in refused(z, UnpackLimits(max_member_bytes=999))


def test_total_bytes_at_the_limit_and_one_past(tmp_path):
    z = make_zip(tmp_path / "t.zip", {"a.txt": b"a" * 600, "b.txt": b"b" * 400})
    assert names_of(z, UnpackLimits(max_total_bytes=1000)) == ["a.txt", "b.txt"]
    message = refused(z, UnpackLimits(max_total_bytes=999))
    assert "member 'b.txt': the archive inflates past 999 bytes in total" in message


def test_entry_count_at_the_limit_and_one_past(tmp_path):
    members = {f"f{i}.txt": b"x" for i in range(10)}
    z = make_zip(tmp_path / "n.zip", members)
    assert len(names_of(z, UnpackLimits(max_entries=10))) == 10
    assert "more than 9 entries" in refused(z, UnpackLimits(max_entries=9))
    t = make_tar(tmp_path / "n.tar", members)
    assert len(names_of(t, UnpackLimits(max_entries=10))) == 10
    assert "member 'f9.txt': more than 9 entries" in refused(t, UnpackLimits(max_entries=9))


def test_ratio_at_the_limit_and_one_past(tmp_path):
    z = make_zip(tmp_path / "r.zip", {"z.txt": bytes(200_000)})
    info = zipfile.ZipFile(z).getinfo("z.txt")
    inflated, compressed = info.file_size, info.compress_size
    ratio = inflated // compressed  # 200000 zeros deflate to a few hundred bytes
    assert ratio > 100
    exact = UnpackLimits(ratio_floor=1000, max_ratio=ratio + 1)  # inflated <= (r+1)*compressed
    assert names_of(z, exact) == ["z.txt"]
    past = UnpackLimits(ratio_floor=1000, max_ratio=ratio)  # inflated > r*compressed
    message = refused(z, past)
    assert f"'z.txt': the member inflates more than {ratio} times" in message
    # below the floor the ratio is not checked (tiny files compress absurdly well)
    assert names_of(z, UnpackLimits(ratio_floor=200_000, max_ratio=2)) == ["z.txt"]


def test_tar_gz_bomb_counts_inflated_stream_bytes(tmp_path):
    t = make_tar(tmp_path / "b.tar.gz", {"zeros.bin": bytes(5 << 20)}, mode="w:gz")
    assert t.stat().st_size < 50_000
    message = refused(t, UnpackLimits(max_total_bytes=1 << 20))
    assert "b.tar.gz" in message and f"inflates past {1 << 20} bytes" in message
    message = refused(t, UnpackLimits(max_ratio=50))
    assert "b.tar.gz" in message and "inflates more than 50 times" in message


# --------------------------------------------------------------------------------------------
# names


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../evil.xml", "'..' in the path"),
        ("a/../../evil.xml", "'..' in the path"),
        ("/etc/passwd", "absolute path"),
        ("C:/Windows/x.xml", "drive letter"),
        ("c:evil.xml", "drive letter"),
        ("dir\\..\\evil.xml", "backslash"),
    ],
)
def test_bad_names_in_zip_and_tar(tmp_path, name, problem):
    z = make_zip(tmp_path / "bad.zip", {"ok.xml": b"1", name: b"2"})
    message = refused(z)
    assert problem in message and "bad.zip" in message and repr(name) in message
    t = make_tar(tmp_path / "bad.tar", {"ok.xml": b"1", name: b"2"})
    assert problem in refused(t)


def test_safe_name():
    assert safe_name("./a//b/./c.xml", "x") == "a/b/c.xml"
    assert safe_name("dir/", "x") is None
    with pytest.raises(UnsafeArchive, match="NUL"):
        safe_name("a\x00b", "x")


def test_non_utf8_names_are_refused(tmp_path):
    honest = make_zip(tmp_path / "h.zip", {"X.xml": b"1"}).read_bytes()
    z = tmp_path / "latin.zip"
    z.write_bytes(honest.replace(b"X.xml", b"\xff.xml"))
    assert "latin.zip: member b'\\xff.xml': the name is not UTF-8" in refused(z)
    t = make_tar(
        tmp_path / "latin.tar", {"\xff.xml": b"1"}, encoding="latin-1", format=tarfile.GNU_FORMAT
    )
    assert "the name is not UTF-8" in refused(t)
    # UTF-8 bytes without the zip UTF-8 flag (common on Linux) are accepted
    z2 = tmp_path / "utf8.zip"
    z2.write_bytes(honest.replace(b"X.xml", "é.xm".encode()))
    assert names_of(z2) == ["é.xm"]


def test_duplicate_names_are_refused(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it writes
        z = make_zip(tmp_path / "dup.zip", {"a.xml": b"1"})
        with zipfile.ZipFile(z, "a") as zf:
            zf.writestr("a.xml", b"2")
    assert "member 'a.xml': appears twice" in refused(z)


# --------------------------------------------------------------------------------------------
# links and special files


def test_symlink_in_zip(tmp_path):
    z = tmp_path / "link.zip"
    with zipfile.ZipFile(z, "w") as zf:
        info = zipfile.ZipInfo("coverage.xml")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    assert "link.zip: member 'coverage.xml': symbolic link" in refused(z)


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        (tarfile.SYMTYPE, "symbolic link"),
        (tarfile.LNKTYPE, "hard link"),
        (tarfile.FIFOTYPE, "not a regular file"),
    ],
)
def test_links_in_tar(tmp_path, kind, problem):
    t = tmp_path / "link.tar"
    with tarfile.open(t, "w") as tf:
        info = tarfile.TarInfo("coverage.xml")
        info.type = kind
        info.linkname = "/etc/passwd"
        tf.addfile(info)
    assert f"link.tar: member 'coverage.xml': {problem}" in refused(t)


# --------------------------------------------------------------------------------------------
# shapes: nesting, compressed tars, a plain file, a directory


def test_nested_archives(tmp_path):
    inner = make_tar(tmp_path / "inner.tar.gz", {"cov/coverage.xml": COBERTURA}, mode="w:gz")
    outer = make_zip(tmp_path / "artifact.zip", {"inner.tar.gz": inner.read_bytes(), "x.txt": b"1"})
    assert names_of(outer, UnpackLimits(max_depth=1)) == ["inner.tar.gz/cov/coverage.xml", "x.txt"]
    message = refused(outer, UnpackLimits(max_depth=0))
    assert "artifact.zip: member 'inner.tar.gz': archives nested deeper than 0 levels" in message
    with open_archive(outer) as tree:
        assert find_reports(tree) == [("inner.tar.gz/cov/coverage.xml", "cobertura")]


@pytest.mark.parametrize("mode", ["w:gz", "w:bz2", "w:xz", "w"])
def test_tar_flavours(tmp_path, mode):
    t = make_tar(tmp_path / "a.tar", {"./d/coverage.xml": COBERTURA, "d/": b""}, mode=mode)
    with open_archive(t) as tree:
        assert list(tree.names()) == ["d/coverage.xml"]
        with tree.open("d/coverage.xml") as fh:
            assert fh.read() == COBERTURA


def test_gzip_single_file(tmp_path):
    g = tmp_path / "coverage.xml.gz"
    g.write_bytes(gzip.compress(COBERTURA))
    with open_archive(g) as tree:
        assert list(tree.names()) == ["coverage.xml"]
        assert [r.format for _, r in parse_reports(tree)] == ["cobertura"]


def test_plain_file_and_cleanup(tmp_path):
    plain = tmp_path / "coverage.xml"
    plain.write_bytes(COBERTURA)
    with open_archive(plain) as tree:
        assert list(tree.names()) == ["coverage.xml"]
    z = make_zip(tmp_path / "c.zip", {"coverage.xml": COBERTURA})
    with open_archive(z) as tree:
        with tree.open("coverage.xml") as fh:
            where = Path(fh.name).parent
        assert where.exists()
    assert not where.exists()


def test_corrupt_archives(tmp_path):
    z = make_zip(tmp_path / "c.zip", {"a.xml": b"hello" * 100})
    data = bytearray(z.read_bytes())
    start = data.find(b"a.xml") + 5
    data[start : start + 10] = b"\xff" * 10  # break the deflate stream
    z.write_bytes(bytes(data))
    message = refused(z)
    assert "c.zip" in message and "a.xml" in message
    t = tmp_path / "t.tar.gz"
    t.write_bytes(gzip.compress(b"x" * 1000)[:20])
    assert "t.tar.gz" in refused(t)


def test_directory_tree(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "coverage.xml").write_bytes(COBERTURA)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "lcov.info").write_text("TN:\nSF:a\nDA:1,1\nend_of_record\n")
    os.symlink("/etc", tmp_path / "etc-link")
    tree = DirectoryTree(tmp_path)
    assert list(tree.names()) == ["sub/coverage.xml"]
    with open_path(tmp_path) as same:
        assert find_reports(same) == [("sub/coverage.xml", "cobertura")]


def test_streamed_zip_with_data_descriptors(tmp_path):
    # A zip written to a pipe has sizes only after the data (flag bit 3), as streaming writers
    # (and GitHub's artifact service) produce them: the central directory is the truth.
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b) -> int:
            self.data += b
            return len(b)

    pipe = Pipe()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("cov/coverage.xml", COBERTURA)
    z = tmp_path / "streamed.zip"
    z.write_bytes(bytes(pipe.data))
    assert zipfile.ZipFile(z).getinfo("cov/coverage.xml").flag_bits & 0x08
    with open_archive(z) as tree, tree.open("cov/coverage.xml") as fh:
        assert fh.read() == COBERTURA


def test_a_file_named_like_an_archive_that_is_not_one_stays_a_file(tmp_path):
    z = make_zip(tmp_path / "o.zip", {"notes.zip": b"just text", "coverage.xml": COBERTURA})
    assert names_of(z, UnpackLimits(max_depth=0)) == ["coverage.xml", "notes.zip"]


def overlapping_zip(path: Path, copies: int, size: int) -> Path:
    """A "better zip bomb" (Fifield 2019): many central entries share one local file's data."""
    data = make_zip(path, {"m00": bytes(size)}).read_bytes()
    eocd = data.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack("<II", data[eocd + 12 : eocd + 20])
    entry = data[cd_offset : cd_offset + cd_size]
    entries = b"".join(entry.replace(b"m00", f"m{i:02d}".encode()) for i in range(copies))
    end = bytearray(data[eocd : eocd + 22])
    struct.pack_into("<HHII", end, 8, copies, copies, len(entries), cd_offset)
    path.write_bytes(data[:cd_offset] + entries + bytes(end))
    return path


def test_overlapping_entries_bomb(tmp_path):
    z = overlapping_zip(tmp_path / "overlap.zip", copies=40, size=1 << 20)
    assert len(zipfile.ZipFile(z).infolist()) == 40
    assert z.stat().st_size < 10_000
    # 40 MB out of a few KB: the whole-archive ratio stops it long before 40 MB are written
    message = refused(z)
    assert "overlap.zip" in message and "the archive inflates more than 250 times" in message
    # and the total budget stops it when the ratio is allowed
    message = refused(z, UnpackLimits(max_ratio=10**9, max_total_bytes=5 << 20))
    assert "inflates past 5242880 bytes in total" in message


def test_members_share_one_spool_and_read_back_exactly(tmp_path):
    # sizes around the reader's buffer, empty members, lines without a final newline
    members = {
        f"htmlcov/page{i:03d}.html": (f"<p>{i}</p>\n" * (i * 37 % 900)).encode() + b"tail"
        for i in range(300)
    }
    members["empty.txt"] = b""
    members["big.bin"] = bytes(range(256)) * 4099
    z = make_zip(tmp_path / "many.zip", members)
    with open_archive(z) as tree:
        assert sorted(tree.names()) == sorted(members)
        workdir = None
        for name, data in members.items():
            with tree.open(name) as fh:
                assert fh.read() == data
                assert fh.read() == b""  # the window ends where the member does
                workdir = Path(fh.name).parent
        # one spool file, not a file per member
        assert workdir is not None and len(list(workdir.iterdir())) == 1
        # two members open at once, read in turns, line by line
        with tree.open("htmlcov/page005.html") as a, tree.open("htmlcov/page006.html") as b:
            lines_a, lines_b = [], []
            while True:
                la, lb = a.readline(), b.readline()
                if not la and not lb:
                    break
                lines_a.append(la)
                lines_b.append(lb)
        assert b"".join(lines_a) == members["htmlcov/page005.html"]
        assert b"".join(lines_b) == members["htmlcov/page006.html"]
        assert [line for line in lines_a if line][-1] == b"tail"  # stops at the member's end
    assert not workdir.exists()
