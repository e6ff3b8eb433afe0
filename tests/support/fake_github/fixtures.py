"""pytest fixtures for the fake GitHub. Load them with (in tests/conftest.py):

    pytest_plugins = ["tests.support.fake_github.fixtures"]

- `fake_github_app` (session): the App registration: app_id, slug, client_id, RSA key pair
  (generated once per session), webhook secret.
- `fake_github_server` (session): the API and blob servers, started once.
- `fake_github` (function): that server with empty state; after the test it fails the test if
  any response the fake gave departed from GitHub's official schemas, or if the fake crashed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_github.server import FakeApp, FakeGitHub


@pytest.fixture(scope="session")
def fake_github_app() -> FakeApp:
    return FakeApp.generate()


@pytest.fixture(scope="session")
def fake_github_server(fake_github_app: FakeApp) -> Iterator[FakeGitHub]:
    with FakeGitHub(fake_github_app) as server:
        yield server


@pytest.fixture
def fake_github(fake_github_server: FakeGitHub) -> Iterator[FakeGitHub]:
    fake_github_server.reset()
    yield fake_github_server
    fake_github_server.wait_background()
    crashes = list(fake_github_server.state.server_errors)
    errors = list(fake_github_server.state.schema_errors)
    fake_github_server.reset()
    assert not crashes, "fake GitHub crashed:\n" + "\n".join(crashes[:3])
    assert not errors, "fake GitHub answered off-schema:\n" + "\n".join(errors[:20])
