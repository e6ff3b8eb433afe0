"""One contract, two caches: in-process and Redis (the machine's server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.errors import Invalid, UpstreamUnavailable
from app.ports.cache import MAX_KEY_LENGTH, Cache, MemoryCache, RedisCache

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    if request.param == "memory":
        c: Cache = MemoryCache()
    else:
        c = RedisCache(
            request.getfixturevalue("redis_url"),
            namespace=request.getfixturevalue("redis_namespace"),
        )
    try:
        yield c
    finally:
        await c.delete_prefix("")
        await c.close()


async def test_set_get_delete(cache: Cache) -> None:
    assert await cache.get("k") is None
    await cache.set("k", b"\x00value\xff", ttl=30)
    assert await cache.get("k") == b"\x00value\xff"
    await cache.set("k", b"new", ttl=30)
    assert await cache.get("k") == b"new"
    await cache.delete("k")
    assert await cache.get("k") is None


async def test_ttl_expires(cache: Cache) -> None:
    await cache.set("short", b"x", ttl=0.2)
    await cache.set("long", b"y", ttl=30)
    assert await cache.get("short") == b"x"
    await asyncio.sleep(0.35)
    assert await cache.get("short") is None
    assert await cache.get("long") == b"y"


async def test_delete_by_prefix_only_touches_the_prefix(cache: Cache) -> None:
    for key in (
        "badge:o/r:main:flat",
        "badge:o/r:main:plastic",
        "badge:o/rr:main:flat",
        "badge:o/r*:x",
        "other",
    ):
        await cache.set(key, b"1", ttl=30)
    assert await cache.delete_prefix("badge:o/r:") == 2
    assert await cache.get("badge:o/rr:main:flat") == b"1"
    # glob characters in a prefix are literal, never a pattern
    assert await cache.delete_prefix("badge:o/r*") == 1
    assert await cache.get("badge:o/rr:main:flat") == b"1"
    assert await cache.get("other") == b"1"


async def test_key_and_ttl_limits(cache: Cache) -> None:
    at_limit = "k" * MAX_KEY_LENGTH
    await cache.set(at_limit, b"ok", ttl=5)
    assert await cache.get(at_limit) == b"ok"
    with pytest.raises(Invalid):
        await cache.set(at_limit + "k", b"no", ttl=5)
    with pytest.raises(Invalid):
        await cache.set("", b"no", ttl=5)
    with pytest.raises(Invalid):
        await cache.set("k", b"no", ttl=0)


async def test_ping(cache: Cache) -> None:
    await cache.ping()


async def test_namespaces_do_not_see_each_other(redis_url: str) -> None:
    a = RedisCache(redis_url, namespace="coverhub-test:ns-a:")
    b = RedisCache(redis_url, namespace="coverhub-test:ns-b:")
    try:
        await a.set("same", b"a", ttl=5)
        assert await b.get("same") is None
        assert await b.delete_prefix("") == 0
        assert await a.get("same") == b"a"
    finally:
        await a.delete_prefix("")
        await a.close()
        await b.close()


async def test_memory_cache_is_bounded() -> None:
    c = MemoryCache(max_entries=3, max_bytes=10)
    for i in range(5):
        await c.set(f"k{i}", b"12", ttl=5)
    assert [await c.get(f"k{i}") for i in range(5)] == [None, None, b"12", b"12", b"12"]
    await c.set("big", b"123456789", ttl=5)  # 9 bytes: evicts until under 10 bytes
    assert await c.get("big") == b"123456789"
    assert await c.get("k4") is None


async def test_unreachable_redis_is_upstream_unavailable() -> None:
    from tests.support.servers import free_port

    c = RedisCache(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(UpstreamUnavailable):
        await c.ping()
    with pytest.raises(UpstreamUnavailable):
        await c.get("k")
    await c.close()
