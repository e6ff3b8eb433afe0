"""Fixtures of the read-side tests: an embedded app with the demo repository seeded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from app import demo
from app.settings import Settings
from app.web.app import create_app


@pytest.fixture
def settings(settings_factory) -> Settings:  # type: ignore[no-untyped-def]
    return settings_factory()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    async def seed(services: Any) -> None:
        await demo.seed(services)

    with TestClient(create_app(settings, on_ready=seed)) as c:
        yield c
