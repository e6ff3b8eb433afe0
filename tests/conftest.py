"""Shared fixtures: settings factory, real servers (PostgreSQL, Redis, S3), tier markers.

Folders are tiers: unit (pure code), contract (ports against their real servers and embedded
twins), integration (the app, processes and servers together), crosscheck (our numbers against
the real tools). A test anywhere else is an error.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import Settings, from_environ
from tests.support import servers

TIERS = ("unit", "contract", "integration", "crosscheck")

# the fake GitHub (a real HTTP server on loopback): fake_github, fake_github_app, ...
pytest_plugins = ["tests.support.fake_github.fixtures"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(__file__).parent
    for item in items:
        rel = Path(str(item.path)).relative_to(root)
        tier = rel.parts[0]
        if tier not in TIERS:
            raise pytest.UsageError(f"{rel}: tests live in one of {', '.join(TIERS)}")
        if tier != "crosscheck":
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def aws_env() -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of this session's own (the cluster is started if down)."""
    with servers.postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The machine's Redis on a database index of this session's own."""
    return servers.shared_redis_url()


@pytest.fixture
def redis_namespace() -> str:
    return f"coverhub-test:{uuid.uuid4().hex[:10]}:"


@pytest.fixture(scope="session")
def s3_endpoint(aws_env: None) -> Iterator[str]:
    with servers.moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[servers.RedisServer]:
    """A redis-server process of this test's own, which the test may restart."""
    server = servers.RedisServer(servers.free_port(), tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings_factory(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build Settings from COVERHUB_* values, with the data dir in this test's tmp folder."""

    def make(**env: str) -> Settings:
        values = {"COVERHUB_DATA_DIR": str(tmp_path / "data")}
        values.update({f"COVERHUB_{k.upper()}": v for k, v in env.items()})
        return from_environ(values)

    return make
