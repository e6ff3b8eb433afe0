"""The ASGI app with its lifespan: health, readiness naming what is down, metrics, request ids,
structured logs, and the demo seed read back through the API."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app import demo
from app.ports.cache import RedisCache
from app.ports.storage import S3Store
from app.settings import Settings
from app.web.app import create_app
from tests.support.servers import free_port

DEMO_DATA = Path(demo.__file__).parent / "data"


def go_says(step: str) -> str:
    """What `go test -cover` printed when the demo profile was made (scripts/make_demo_data.sh)."""
    return (DEMO_DATA / f"{step}.go-says").read_text().strip()


@pytest.fixture
def settings(settings_factory) -> Settings:  # type: ignore[no-untyped-def]
    return settings_factory(sweep_interval="0.2")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    async def seed(services) -> None:  # type: ignore[no-untyped-def]
        await demo.seed(services)

    with TestClient(create_app(settings, on_ready=seed)) as c:
        yield c


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_readyz_ok_on_embedded_defaults(client: TestClient) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["checks"] == {"database": "ok", "cache": "ok", "storage": "ok", "queue": "ok"}


def test_readyz_names_the_cache_that_is_down(settings: Settings) -> None:
    dead = RedisCache(f"redis://127.0.0.1:{free_port()}/0")
    with TestClient(create_app(settings, cache=dead)) as c:
        r = c.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["failing"] == ["cache"]
    assert "redis" in body["checks"]["cache"]


def test_readyz_names_the_storage_that_is_down(settings: Settings, aws_env: None) -> None:
    dead = S3Store("s3://bucket", f"http://127.0.0.1:{free_port()}")
    with TestClient(create_app(settings, store=dead)) as c:
        r = c.get("/readyz")
    assert r.status_code == 503
    assert r.json()["failing"] == ["storage"]


def test_readyz_names_the_database_that_is_down(settings_factory) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    s = settings_factory()
    app = create_app(s)
    with TestClient(app) as c:
        app.state.services.engine.dispose()
        app.state.services.engine = sa.create_engine(
            f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none"
        )
        r = c.get("/readyz")
    assert r.status_code == 503
    assert r.json()["failing"] == ["database"]


def test_demo_numbers_are_what_go_printed(client: TestClient) -> None:
    r = client.get(f"/api/v1/repos/{demo.OWNER}/{demo.REPO}/coverage")
    assert r.status_code == 200, r.text
    latest = r.json()
    assert latest["sha"] == demo.demo_sha("step3")
    assert latest["native"]["unit"] == "statements"
    assert latest["native"]["display"] == go_says("step3")
    assert latest["format"] == "gocover"
    assert [f["path"] for f in latest["files"]] == [
        "encoding/csv/reader.go",
        "encoding/csv/writer.go",
    ]
    history = client.get(f"/api/v1/repos/{demo.OWNER}/{demo.REPO}/branches/main/history").json()
    assert [h["native"]["display"] for h in history["history"]] == [
        go_says("step3"),
        go_says("step2"),
        go_says("step1"),
    ]
    one = client.get(f"/api/v1/repos/{demo.OWNER}/{demo.REPO}/commits/{demo.demo_sha('step1')}")
    assert one.json()["native"]["display"] == go_says("step1")


def test_raw_report_kept_in_storage(client: TestClient) -> None:
    store = client.app.state.services.store  # type: ignore[attr-defined]
    sha = demo.demo_sha("step2")
    key = f"{demo.OWNER}/{demo.REPO}/{sha}/default/raw/step2.out"
    assert store.open(key).read() == (DEMO_DATA / "step2.out").read_bytes()


def test_seed_is_idempotent(client: TestClient) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]
    client.portal.call(demo.seed, services)  # type: ignore[union-attr]
    history = client.get(f"/api/v1/repos/{demo.OWNER}/{demo.REPO}/branches/main/history").json()
    assert len(history["history"]) == 3


def test_unknown_repository_is_a_json_404(client: TestClient) -> None:
    r = client.get("/api/v1/repos/nobody/nothing/coverage")
    assert r.status_code == 404
    assert r.json() == {"error": "not-found", "message": "no repository nobody/nothing"}


def test_metrics_count_requests_by_route(client: TestClient) -> None:
    client.get("/healthz")
    client.get(f"/api/v1/repos/{demo.OWNER}/{demo.REPO}/commits/abc")
    text = client.get("/metrics").text
    assert 'coverhub_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert (
        'coverhub_http_requests_total{method="GET",route="/api/v1/repos/{owner}/{repo}/'
        'commits/{sha}",status="404"} 1.0'
    ) in text
    assert (
        'coverhub_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz"}'
        in text
    )
    assert 'coverhub_jobs_total{kind="ingest.files",outcome="done"} 3.0' in text
    assert "coverhub_job_duration_seconds_count" in text


def test_request_id_is_echoed_or_made(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    r = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    made = client.get("/healthz").headers["x-request-id"]
    assert len(made) == 16
    bad = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["x-request-id"]
    assert bad != "<script>"


def test_logs_are_json_with_the_request_id(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.logging import JsonFormatter

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    access = logging.getLogger("coverhub.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        client.get("/healthz", headers={"X-Request-ID": "rid-42"})
    finally:
        access.removeHandler(handler)
    [record] = [r for r in records if getattr(r, "path", "") == "/healthz"]
    # the request id lives in a contextvar: format inside the request's context
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "request" and line["status"] == 200 and line["route"] == "/healthz"
    assert line["request_id"] == "rid-42"


def test_normalised_report_stored_beside_the_raw_file(client: TestClient) -> None:
    from app.coverage.serialize import from_json

    store = client.app.state.services.store  # type: ignore[attr-defined]
    sha = demo.demo_sha("step1")
    report = from_json(
        store.open(f"{demo.OWNER}/{demo.REPO}/{sha}/default/coverhub/report.json").read()
    )
    assert report.native_display() == go_says("step1")
    assert report.mode == "count"
