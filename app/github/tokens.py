"""githubkit's token cache, backed by our Cache port.

githubkit caches the App JWT and installation tokens in a cache strategy; its default is a
process-global dict, so every worker would mint its own tokens. Backing it with the service's
cache (Redis in production) shares them across processes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NoReturn

import anyio.from_thread
from githubkit.cache.base import AsyncBaseCache, BaseCache, BaseCacheStrategy

from app.ports.cache import Cache

PREFIX = "github-auth:"


class _AsyncPortCache(AsyncBaseCache):
    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    async def aget(self, key: str) -> str | None:
        value = await self.cache.get(PREFIX + _short(key))
        return value.decode() if value is not None else None

    async def aset(self, key: str, value: str, ex: timedelta) -> None:
        await self.cache.set(PREFIX + _short(key), value.encode(), max(1.0, ex.total_seconds()))


class _SyncPortCache(BaseCache):
    """For githubkit's synchronous code paths (not used by the service, which is async)."""

    def __init__(self, cache: Cache) -> None:
        self.inner = _AsyncPortCache(cache)

    def get(self, key: str) -> str | None:
        return anyio.from_thread.run(self.inner.aget, key)

    def set(self, key: str, value: str, ex: timedelta) -> None:
        anyio.from_thread.run(self.inner.aset, key, value, ex)


def _short(key: str) -> str:
    import hashlib

    return key if len(key) <= 200 else hashlib.sha256(key.encode()).hexdigest()


class PortCacheStrategy(BaseCacheStrategy):
    """Tokens in our cache. HTTP response caching stays off (``http_cache=False``)."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def get_cache_storage(self) -> BaseCache:
        return _SyncPortCache(self.cache)

    async def get_async_cache_storage(self) -> AsyncBaseCache:
        return _AsyncPortCache(self.cache)

    def _no_http_cache(self) -> NoReturn:
        raise RuntimeError("coverhub runs githubkit with http_cache=False")

    def get_hishel_policy(self) -> Any:
        self._no_http_cache()

    def get_hishel_storage(self) -> Any:
        self._no_http_cache()

    async def get_async_hishel_storage(self) -> Any:
        self._no_http_cache()
