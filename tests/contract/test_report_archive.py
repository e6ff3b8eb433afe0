"""The report archive format (one archive object + an index, members read by byte range) on
both object stores, with a real coverage.py htmlcov directory."""

from __future__ import annotations

import gzip
import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.errors import UnsafeArchive
from app.ports.storage import LocalStore, ObjectNotFound, ObjectStore, S3Store
from app.services.report_archive import (
    ARCHIVE_NAME,
    INDEX_NAME,
    ArchiveLimits,
    member_chunks,
    read_index,
    write_archive,
    write_directory,
)
from tests.support.htmlcov import make_htmlcov

BASE = "acme/app/0123abcd/default/html/"


@pytest.fixture(scope="module")
def htmlcov(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_htmlcov(tmp_path_factory.mktemp("cov"))


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "local":
        yield LocalStore(tmp_path / "store")
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        s3 = S3Store(f"s3://archive-{uuid.uuid4().hex[:12]}", endpoint)
        s3.ensure_bucket()
        yield s3


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_htmlcov_round_trip_every_member_by_range(store: ObjectStore, htmlcov: Path) -> None:
    expected = files_of(htmlcov)
    index = write_directory(store, BASE, str(htmlcov))
    # two objects, whatever the number of files
    assert sorted(store.list(BASE)) == [BASE + ARCHIVE_NAME, BASE + INDEX_NAME]
    assert set(index.members) == set(expected) and len(expected) > 5
    again = read_index(store, BASE)
    assert again == index
    for name, content in expected.items():
        member = again.members[name]
        assert b"".join(member_chunks(store, BASE, member, inflate=True)) == content
        stored = b"".join(member_chunks(store, BASE, member, inflate=False))
        if member.encoding == "gzip":
            assert gzip.decompress(stored) == content
            assert len(stored) == member.length
        else:
            assert stored == content
    page = again.members["index.html"]
    assert page.content_type == "text/html; charset=utf-8" and page.encoding == "gzip"
    assert page.length < page.size  # HTML is stored compressed
    assert any(m.content_type.startswith("text/css") for m in again.members.values())


@pytest.mark.parametrize(
    "name",
    [
        "../escape.html",
        "a/../../b",
        "/etc/passwd",
        "a\\..\\b",
        "C:/win.ini",
        "a//b",
        "./a",
        "nul\x00.html",
        "",
    ],
)
def test_unsafe_member_names_are_refused_and_nothing_is_stored(
    store: ObjectStore, name: str
) -> None:
    with pytest.raises(UnsafeArchive):
        write_archive(store, BASE, [("ok.html", io.BytesIO(b"ok")), (name, io.BytesIO(b"x"))])
    with pytest.raises(ObjectNotFound):
        read_index(store, BASE)


def test_limits_and_duplicates(store: ObjectStore) -> None:
    with pytest.raises(UnsafeArchive, match="twice"):
        write_archive(store, BASE, [("a.html", io.BytesIO(b"1")), ("a.html", io.BytesIO(b"2"))])
    with pytest.raises(UnsafeArchive, match="size limit"):
        write_archive(
            store, BASE, [("big.bin", io.BytesIO(b"x" * 100))], ArchiveLimits(max_member_bytes=99)
        )
    with pytest.raises(UnsafeArchive, match="more than 1 files"):
        write_archive(
            store,
            BASE,
            [("a", io.BytesIO(b"")), ("b", io.BytesIO(b""))],
            ArchiveLimits(max_members=1),
        )


def test_symlinks_in_a_report_directory_are_refused(tmp_path: Path) -> None:
    report = tmp_path / "report"
    report.mkdir()
    (report / "index.html").write_text("<p>hi</p>")
    (tmp_path / "secret.txt").write_text("TOP-SECRET")
    (report / "leak.html").symlink_to(tmp_path / "secret.txt")
    store = LocalStore(tmp_path / "store")
    with pytest.raises(UnsafeArchive, match="not a regular file"):
        write_directory(store, BASE, str(report))
