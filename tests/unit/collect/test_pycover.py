"""The Python runtime coverage endpoint: opt-in, routes, and coverage.py's display rounding."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import coverage
import pytest
from coverage.results import display_covered

from app.collect.pyjson import _display
from app.pycover import ENABLE_ENV, EndpointDisabled, asgi_app, wsgi_app


def test_off_unless_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENABLE_ENV, raising=False)
    for factory in (asgi_app, wsgi_app):
        with pytest.raises(EndpointDisabled, match="must stay off in production builds"):
            factory()
    monkeypatch.setenv(ENABLE_ENV, "true")  # only "1" enables it
    with pytest.raises(EndpointDisabled):
        wsgi_app()
    monkeypatch.setenv(ENABLE_ENV, "1")
    assert callable(wsgi_app()) and callable(asgi_app())
    monkeypatch.delenv(ENABLE_ENV)
    assert callable(wsgi_app(enable=True))


def call_wsgi(app: Any, method: str, path: str, body: bytes = b"") -> tuple[str, bytes]:
    seen: list[str] = []
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    out = b"".join(app(environ, lambda status, headers: seen.append(status)))
    return seen[0], out


def call_asgi(app: Any, method: str, path: str) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "root_path": ""}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], sent[1]["body"]


def test_routes_without_measurement() -> None:
    assert coverage.Coverage.current() is None, "run these tests without coverage.py measuring"
    wsgi = wsgi_app(enable=True)
    assert call_wsgi(wsgi, "GET", "/v1/cover/profile")[0] == "405 Method Not Allowed"
    assert call_wsgi(wsgi, "POST", "/elsewhere")[0] == "404 Not Found"
    status, body = call_wsgi(wsgi, "POST", "/v1/cover/profile", b'{"skipFile": []}')
    assert status == "503 Service Unavailable"
    assert body == b"coverage.py is not measuring this process\n"
    asgi = asgi_app(enable=True)
    assert call_asgi(asgi, "GET", "/v1/cover/profile")[0] == 405
    assert call_asgi(asgi, "POST", "/v1/cover/profile")[0] == 503
    assert call_asgi(asgi, "POST", "/mounted/v1/cover/profile/")[0] == 503


def test_fallback_gets_other_requests() -> None:
    def other(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"app"]

    assert call_wsgi(wsgi_app(other, enable=True), "GET", "/") == ("200 OK", b"app")


@pytest.mark.parametrize("precision", [0, 1, 2, 3])
def test_display_rounding_is_coverage_pys(precision: int) -> None:
    for den in (1, 3, 7, 99, 1000, 2001):
        for num in range(den + 1):
            pc = 100.0 * num / den
            assert _display(pc, precision) == display_covered(pc, precision)
