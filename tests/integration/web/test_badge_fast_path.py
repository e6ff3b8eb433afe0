"""Badge GETs take the fast path (no middleware stack, no router) and behave the same."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from app import demo
from app.web.app import create_app


@pytest.fixture
def client(settings_factory) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    async def seed(services) -> None:  # type: ignore[no-untyped-def]
        await demo.seed(services)

    with TestClient(create_app(settings_factory(), on_ready=seed)) as c:
        yield c


def test_badges_skip_the_middleware_but_are_counted(client: TestClient) -> None:
    paths = {
        "/demo/encoding-csv/badge.svg": "/{owner}/{repo}/badge.svg",
        f"/demo/encoding-csv/commit/{demo.demo_sha('step3')}/badge.svg":
            "/{owner}/{repo}/commit/{sha}/badge.svg",
        "/badge/demo/encoding-csv.svg": "/badge/{owner}/{repo}.svg",
    }
    bodies = set()
    for path in paths:
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
        assert "x-request-id" not in r.headers  # answered before the request middleware
        assert "93.1%" in r.text  # what go test printed for the demo's newest commit
        bodies.add(r.text)
        again = client.get(path, headers={"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304
    metrics = client.get("/metrics").text
    for route in paths.values():
        assert (f'coverhub_http_requests_total{{method="GET",route="{route}",status="200"}} 1.0'
                in metrics)
        assert (f'coverhub_http_requests_total{{method="GET",route="{route}",status="304"}} 1.0'
                in metrics)


def test_other_methods_and_paths_take_the_full_application(client: TestClient) -> None:
    head = client.head("/demo/encoding-csv/badge.svg")
    assert head.status_code == 200 and "x-request-id" in head.headers
    assert client.get("/healthz").headers["x-request-id"]
    # a path that only looks like a badge is routed normally (and 404s normally)
    assert client.get("/a/b/c/badge.svg").status_code == 404
