"""A fake GitHub on loopback for integration tests: REST (shaped by GitHub's official OpenAPI
description), App JWT and installation-token auth, artifact blob storage on a second port, and
signed webhook deliveries. See server.FakeGitHub and fixtures.py."""

from tests.support.fake_github.render_pulls import diff_entry
from tests.support.fake_github.server import FakeApp, FakeGitHub
from tests.support.fake_github.webhooks import signature

__all__ = ["FakeApp", "FakeGitHub", "diff_entry", "signature"]
