"""Installation tokens are minted once and shared by every process through the cache (Redis in
production), instead of one per process or per delivery."""

from __future__ import annotations

from typing import Any

import pytest

from app.github.gateway import GitHubGateway
from app.ports.cache import RedisCache
from tests.support.fake_github import FakeGitHub

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_two_processes_share_one_installation_token(
    fake_github: FakeGitHub, fake_github_app: Any, redis_url: str, redis_namespace: str
) -> None:
    repo = fake_github.install("octo-org/app")
    assert repo.installation is not None
    iid = repo.installation.id
    caches = [RedisCache(redis_url, namespace=redis_namespace) for _ in range(2)]
    gateways = [
        GitHubGateway(fake_github_app.app_id, fake_github_app.private_key_pem, fake_github.url, c)
        for c in caches
    ]
    try:
        for gateway in gateways * 2:
            async with gateway.installation(iid) as gh:
                resp = await gateway.call(
                    "checks",
                    lambda gh=gh: gh.rest.checks.async_list_for_ref("octo-org", "app", "a" * 40),
                )
                assert resp.json()["total_count"] == 0
        minted = fake_github.state.requests_to("POST", f"/app/installations/{iid}/access_tokens")
        assert len(minted) == 1
    finally:
        for cache in caches:
            await cache.delete_prefix("")
            await cache.close()
