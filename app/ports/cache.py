"""A byte cache with TTLs: in-process (embedded) or Redis (production, shared by replicas)."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Protocol

from app.errors import Invalid, UpstreamUnavailable

MAX_KEY_LENGTH = 512


class Cache(Protocol):
    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value`` for ``ttl`` seconds (> 0)."""
        ...

    async def delete(self, key: str) -> None: ...

    async def delete_prefix(self, prefix: str) -> int:
        """Delete every key starting with ``prefix``; returns how many."""
        ...

    async def ping(self) -> None:
        """Raise UpstreamUnavailable if the cache cannot be reached."""
        ...

    async def close(self) -> None: ...


def _check(key: str, ttl: float | None = None) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Invalid(f"cache key must be 1..{MAX_KEY_LENGTH} characters")
    if ttl is not None and not ttl > 0:
        raise Invalid(f"cache TTL must be positive, got {ttl}")


class MemoryCache:
    """An LRU dict with expiry, bounded in entries and bytes."""

    def __init__(self, max_entries: int = 10_000, max_bytes: int = 64 << 20) -> None:
        self._data: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0
        self.max_entries = max_entries
        self.max_bytes = max_bytes

    async def get(self, key: str) -> bytes | None:
        _check(key)
        item = self._data.get(key)
        if item is None:
            return None
        expires, value = item
        if expires <= time.monotonic():
            self._drop(key)
            return None
        self._data.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        _check(key, ttl)
        if key in self._data:
            self._drop(key)
        self._data[key] = (time.monotonic() + ttl, bytes(value))
        self._bytes += len(value)
        while len(self._data) > self.max_entries or self._bytes > self.max_bytes:
            oldest = next(iter(self._data))
            self._drop(oldest)

    def _drop(self, key: str) -> None:
        _expires, value = self._data.pop(key)
        self._bytes -= len(value)

    async def delete(self, key: str) -> None:
        _check(key)
        if key in self._data:
            self._drop(key)

    async def delete_prefix(self, prefix: str) -> int:
        doomed = [k for k in self._data if k.startswith(prefix)]
        for key in doomed:
            self._drop(key)
        return len(doomed)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._data.clear()
        self._bytes = 0


class RedisCache:
    """Redis keys under a namespace (so tests and deployments can share a server)."""

    def __init__(self, url: str, namespace: str = "coverhub:cache:") -> None:
        import redis.asyncio as aioredis

        self.namespace = namespace
        self._redis = aioredis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
        )

    async def _call(self, what: str, coro: object) -> object:
        import redis.exceptions

        try:
            return await coro  # type: ignore[misc]
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            raise UpstreamUnavailable(f"redis {what}: {exc}") from exc

    async def get(self, key: str) -> bytes | None:
        _check(key)
        value = await self._call("GET", self._redis.get(self.namespace + key))
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        _check(key, ttl)
        await self._call(
            "SET", self._redis.set(self.namespace + key, value, px=max(1, int(ttl * 1000)))
        )

    async def delete(self, key: str) -> None:
        _check(key)
        await self._call("DEL", self._redis.delete(self.namespace + key))

    async def delete_prefix(self, prefix: str) -> int:
        pattern = _glob_escape(self.namespace + prefix) + "*"
        deleted = 0
        batch: list[bytes] = []
        try:
            async for key in self._redis.scan_iter(match=pattern, count=500):
                batch.append(key)
                if len(batch) >= 500:
                    deleted += await self._redis.unlink(*batch)
                    batch.clear()
            if batch:
                deleted += await self._redis.unlink(*batch)
        except OSError as exc:
            raise UpstreamUnavailable(f"redis SCAN: {exc}") from exc
        except Exception as exc:
            import redis.exceptions

            if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
                raise UpstreamUnavailable(f"redis SCAN: {exc}") from exc
            raise
        return deleted

    async def ping(self) -> None:
        await self._call("PING", self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()


def _glob_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in "*?[]\\":
            out.append("\\")
        out.append(ch)
    return "".join(out)
