"""Object storage for report files: a local folder (embedded) or S3 (production).

The interface is synchronous (boto3 is); the web edge calls it through a thread pool. Objects are
written from a stream and read back as a stream, so a large report never sits whole in memory.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

from app.errors import Invalid, NotFound, UpstreamUnavailable

CHUNK = 1 << 16
MAX_KEY_LENGTH = 1024


class ObjectNotFound(NotFound):
    """No object under that key."""


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int
    content_type: str
    etag: str


class ObjectReader(Protocol):
    """An open object: its info, and its bytes as a stream of chunks. Close it when done."""

    info: ObjectInfo

    def chunks(self) -> Iterator[bytes]: ...

    def read(self) -> bytes: ...

    def close(self) -> None: ...


class ObjectStore(Protocol):
    def put(self, key: str, body: bytes | IO[bytes], content_type: str) -> ObjectInfo:
        """Store ``body`` under ``key`` (replacing any object there)."""
        ...

    def open(self, key: str, byte_range: tuple[int, int] | None = None) -> ObjectReader:
        """Open an object, or the bytes [start, end) of it; ObjectNotFound if missing."""
        ...

    def head(self, key: str) -> ObjectInfo:
        """The object's info; ObjectNotFound if missing."""
        ...

    def list(self, prefix: str) -> Iterator[str]:
        """Keys under ``prefix``, in key order."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix``; returns how many were deleted."""
        ...

    def ping(self) -> None:
        """Raise UpstreamUnavailable if the store cannot be reached."""
        ...


def check_key(key: str) -> str:
    """Keys are '/'-separated relative paths with no '.', '..' or empty parts."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Invalid(f"storage key must be 1..{MAX_KEY_LENGTH} characters")
    parts = key.split("/")
    if key.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\x00" in key:
        raise Invalid(f"storage key {key!r} is not a clean relative path")
    return key


def check_prefix(prefix: str) -> str:
    if prefix == "":
        return prefix
    return check_key(prefix.rstrip("/")) + ("/" if prefix.endswith("/") else "")


# --------------------------------------------------------------------------- local folder


class _FileReader:
    def __init__(self, info: ObjectInfo, handle: IO[bytes], remaining: int) -> None:
        self.info = info
        self._handle = handle
        self._remaining = remaining

    def chunks(self) -> Iterator[bytes]:
        try:
            while self._remaining > 0:
                chunk = self._handle.read(min(CHUNK, self._remaining))
                if not chunk:
                    break
                self._remaining -= len(chunk)
                yield chunk
        finally:
            self.close()

    def read(self) -> bytes:
        return b"".join(self.chunks())

    def close(self) -> None:
        self._handle.close()


class LocalStore:
    """Objects as files under a root folder; metadata in a sidecar JSON file per object.

    Writes go to a temporary file that is renamed into place, so a reader never sees half an
    object and a crash leaves no partial file under a key.
    """

    META_SUFFIX = ".coverhub-meta"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if self.root not in path.parents:
            raise Invalid(f"storage key {key!r} escapes the store")
        if path.name.endswith(self.META_SUFFIX):
            raise Invalid(f"storage key {key!r} uses a reserved suffix")
        return path

    def put(self, key: str, body: bytes | IO[bytes], content_type: str) -> ObjectInfo:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(body, bytes | bytearray):
                    out.write(body)
                    digest.update(body)
                    size = len(body)
                else:
                    while chunk := body.read(CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
            info = ObjectInfo(key, size, content_type, digest.hexdigest())
            meta = path.with_name(path.name + self.META_SUFFIX)
            meta.write_text(json.dumps({"content_type": content_type, "etag": info.etag}))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return info

    def head(self, key: str) -> ObjectInfo:
        path = self._path(key)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise ObjectNotFound(f"no object {key!r}") from None
        meta_path = path.with_name(path.name + self.META_SUFFIX)
        try:
            meta = json.loads(meta_path.read_text())
        except (FileNotFoundError, ValueError):
            meta = {"content_type": "application/octet-stream", "etag": f"{size:x}"}
        return ObjectInfo(key, size, meta["content_type"], meta["etag"])

    def open(self, key: str, byte_range: tuple[int, int] | None = None) -> ObjectReader:
        info = self.head(key)
        try:
            handle = self._path(key).open("rb")
        except FileNotFoundError:
            raise ObjectNotFound(f"no object {key!r}") from None
        start, end = _clamp(byte_range, info.size)
        handle.seek(start)
        return _FileReader(info, handle, end - start)

    def list(self, prefix: str) -> Iterator[str]:
        check_prefix(prefix)
        keys = []
        base = self.root
        # walk only the folder the prefix points into, not the whole store
        start = base / prefix.rsplit("/", 1)[0] if "/" in prefix else base
        for dirpath, _dirs, files in os.walk(start):
            for name in files:
                if name.endswith(self.META_SUFFIX) or name.startswith(".tmp-"):
                    continue
                key = str(PurePosixPath(Path(dirpath, name).relative_to(base).as_posix()))
                if key.startswith(prefix):
                    keys.append(key)
        return iter(sorted(keys))

    def delete_prefix(self, prefix: str) -> int:
        count = 0
        for key in list(self.list(prefix)):
            path = self._path(key)
            path.unlink(missing_ok=True)
            path.with_name(path.name + self.META_SUFFIX).unlink(missing_ok=True)
            count += 1
        if prefix.endswith("/") and prefix.strip("/"):
            shutil.rmtree(self.root / prefix.strip("/"), ignore_errors=True)
        return count

    def ping(self) -> None:
        if not self.root.is_dir() or not os.access(self.root, os.W_OK):
            raise UpstreamUnavailable(f"storage folder {self.root} is not writable")


def _clamp(byte_range: tuple[int, int] | None, size: int) -> tuple[int, int]:
    if byte_range is None:
        return 0, size
    start, end = byte_range
    if start < 0 or end < start:
        raise Invalid(f"bad byte range {start}-{end}")
    return min(start, size), min(end, size)


# --------------------------------------------------------------------------- S3


class _S3Reader:
    def __init__(self, info: ObjectInfo, body: Any) -> None:
        self.info = info
        self._body = body

    def chunks(self) -> Iterator[bytes]:
        try:
            yield from self._body.iter_chunks(CHUNK)
        finally:
            self.close()

    def read(self) -> bytes:
        return b"".join(self.chunks())

    def close(self) -> None:
        self._body.close()


class S3Store:
    """Objects in an S3 bucket (or any S3-compatible server) under an optional key prefix."""

    def __init__(self, url: str, endpoint_url: str | None = None, client: Any = None) -> None:
        parts = urlsplit(url)
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/") + "/" if parts.path.strip("/") else ""
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url,
                config=Config(
                    retries={"max_attempts": 3, "mode": "standard"},
                    connect_timeout=5,
                    read_timeout=30,
                    s3={"addressing_style": "path"} if endpoint_url else {},
                ),
            )
        self.client = client

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _translate(self, exc: Exception, key: str) -> Exception:
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                return ObjectNotFound(f"no object {key!r}")
            if code in ("NoSuchBucket",):
                return UpstreamUnavailable(f"S3 bucket {self.bucket!r} does not exist")
            return UpstreamUnavailable(f"S3 error on {key!r}: {code or exc}")
        if isinstance(exc, BotoCoreError):
            return UpstreamUnavailable(f"S3 unreachable: {exc}")
        return exc

    def put(self, key: str, body: bytes | IO[bytes], content_type: str) -> ObjectInfo:
        full = self._key(key)
        try:
            if isinstance(body, bytes | bytearray):
                self.client.put_object(
                    Bucket=self.bucket, Key=full, Body=body, ContentType=content_type
                )
            else:
                # upload_fileobj streams in parts; nothing is held whole in memory
                self.client.upload_fileobj(
                    body, self.bucket, full, ExtraArgs={"ContentType": content_type}
                )
            return self.head(key)
        except Exception as exc:
            raise self._translate(exc, key) from exc

    def head(self, key: str) -> ObjectInfo:
        try:
            meta = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            raise self._translate(exc, key) from exc
        return ObjectInfo(
            key,
            int(meta["ContentLength"]),
            meta.get("ContentType") or "application/octet-stream",
            str(meta.get("ETag", "")).strip('"'),
        )

    def open(self, key: str, byte_range: tuple[int, int] | None = None) -> ObjectReader:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(key)}
        if byte_range is not None:
            start, end = byte_range
            if start < 0 or end < start:
                raise Invalid(f"bad byte range {start}-{end}")
            if end == start:
                info = self.head(key)
                return _EmptyReader(info)
            kwargs["Range"] = f"bytes={start}-{end - 1}"
        try:
            resp = self.client.get_object(**kwargs)
        except Exception as exc:
            raise self._translate(exc, key) from exc
        size = int(resp["ContentLength"])
        if byte_range is not None and "ContentRange" in resp:
            size = int(str(resp["ContentRange"]).rsplit("/", 1)[1])
        info = ObjectInfo(
            key,
            size,
            resp.get("ContentType") or "application/octet-stream",
            str(resp.get("ETag", "")).strip('"'),
        )
        return _S3Reader(info, resp["Body"])

    def list(self, prefix: str) -> Iterator[str]:
        check_prefix(prefix)
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    yield item["Key"][len(self.prefix) :]
        except Exception as exc:
            raise self._translate(exc, prefix) from exc

    def delete_prefix(self, prefix: str) -> int:
        keys = list(self.list(prefix))
        for start in range(0, len(keys), 1000):
            batch = keys[start : start + 1000]
            try:
                self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": self.prefix + k} for k in batch], "Quiet": True},
                )
            except Exception as exc:
                raise self._translate(exc, prefix) from exc
        return len(keys)

    def ping(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            raise UpstreamUnavailable(f"storage s3://{self.bucket}: {exc}") from exc

    def ensure_bucket(self) -> None:
        """Create the bucket if it is missing (for local S3 servers; AWS buckets pre-exist)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception:
            self.client.create_bucket(Bucket=self.bucket)


class _EmptyReader:
    def __init__(self, info: ObjectInfo) -> None:
        self.info = info

    def chunks(self) -> Iterator[bytes]:
        return iter(())

    def read(self) -> bytes:
        return b""

    def close(self) -> None:
        pass


def open_store(url: str, endpoint_url: str | None = None) -> ObjectStore:
    """The store for a ``file://`` or ``s3://`` URL."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalStore(Path(parts.path))
    if parts.scheme == "s3":
        return S3Store(url, endpoint_url)
    raise Invalid(f"storage URL {url!r}: unsupported scheme")
