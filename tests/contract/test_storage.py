"""One contract, two object stores: a local folder and S3 (moto's server on loopback)."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.errors import Invalid, UpstreamUnavailable
from app.ports.storage import MAX_KEY_LENGTH, LocalStore, ObjectNotFound, ObjectStore, S3Store


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "local":
        yield LocalStore(tmp_path / "objects")
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    s3 = S3Store(f"s3://bucket-{uuid.uuid4().hex[:12]}/some/prefix", endpoint)
    s3.ensure_bucket()
    yield s3


def test_put_and_read_back_bytes_with_content_type(store: ObjectStore) -> None:
    info = store.put("o/r/sha/default/coverage.xml", b"<coverage/>", "application/xml")
    assert info.size == 11
    reader = store.open("o/r/sha/default/coverage.xml")
    assert reader.info.content_type == "application/xml"
    assert reader.info.size == 11
    assert reader.info.etag == info.etag and info.etag
    assert reader.read() == b"<coverage/>"


def test_streaming_put_and_get_of_a_large_object(store: ObjectStore) -> None:
    body = os.urandom(1 << 20) * 9  # 9 MiB: S3 takes it as a multipart upload
    store.put("big/blob.bin", io.BytesIO(body), "application/octet-stream")
    reader = store.open("big/blob.bin")
    chunks = list(reader.chunks())
    assert len(chunks) > 1, "read back in chunks, not as one buffer"
    assert b"".join(chunks) == body
    assert store.head("big/blob.bin").size == len(body)


def test_range_reads(store: ObjectStore) -> None:
    store.put("a/range.bin", bytes(range(256)), "application/octet-stream")
    assert store.open("a/range.bin", (10, 20)).read() == bytes(range(10, 20))
    assert store.open("a/range.bin", (250, 400)).read() == bytes(range(250, 256))
    assert store.open("a/range.bin", (5, 5)).read() == b""


def test_replace_keeps_one_object(store: ObjectStore) -> None:
    store.put("x/k", b"one", "text/plain")
    store.put("x/k", b"two!", "text/html")
    reader = store.open("x/k")
    assert (reader.read(), reader.info.content_type) == (b"two!", "text/html")
    assert list(store.list("x/")) == ["x/k"]


def test_missing_key_is_a_typed_not_found(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound):
        store.open("no/such/key")
    with pytest.raises(ObjectNotFound):
        store.head("no/such/key")


def test_list_and_delete_by_prefix(store: ObjectStore) -> None:
    for key in ("o/r/a/1.txt", "o/r/a/sub/2.txt", "o/r/b/3.txt", "o/rr/4.txt"):
        store.put(key, key.encode(), "text/plain")
    assert list(store.list("o/r/")) == ["o/r/a/1.txt", "o/r/a/sub/2.txt", "o/r/b/3.txt"]
    assert list(store.list("o/r/a/")) == ["o/r/a/1.txt", "o/r/a/sub/2.txt"]
    assert store.delete_prefix("o/r/a/") == 2
    assert list(store.list("o/")) == ["o/r/b/3.txt", "o/rr/4.txt"]
    assert store.delete_prefix("nothing/") == 0


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "./a", "a/.", "a\x00b"])
def test_unclean_keys_refused(store: ObjectStore, key: str) -> None:
    with pytest.raises(Invalid):
        store.put(key, b"x", "text/plain")


def test_key_length_limit(store: ObjectStore) -> None:
    # the local store's file system limits a single name to 255 bytes: split into segments
    at_limit = "/".join("a" * 200 for _ in range(MAX_KEY_LENGTH // 201)) + "/"
    at_limit += "b" * (MAX_KEY_LENGTH - len(at_limit))
    assert len(at_limit) == MAX_KEY_LENGTH
    store.put(at_limit, b"x", "text/plain")
    assert store.open(at_limit).read() == b"x"
    with pytest.raises(Invalid):
        store.put(at_limit + "c", b"x", "text/plain")


def test_ping(store: ObjectStore) -> None:
    store.ping()


def test_unreachable_s3_is_upstream_unavailable(aws_env: None) -> None:
    from tests.support.servers import free_port

    s3 = S3Store("s3://bucket", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(UpstreamUnavailable):
        s3.ping()
    with pytest.raises(UpstreamUnavailable):
        s3.open("a/b")
