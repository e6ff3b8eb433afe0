"""The ASGI and WSGI callables of the runtime coverage endpoint (see :mod:`app.pycover`)."""

from __future__ import annotations

import datetime
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from app.collect.skip import SkipPatternError, compile_skips, skipped

#: Where the endpoint answers (goverage's and goc's path).
PATH = "/v1/cover/profile"
#: The environment variable that must be exactly "1" for the endpoint to be built.
ENABLE_ENV = "COVERHUB_RUNTIME_COVERAGE"
#: The largest request body read (a skipFile list).
MAX_BODY = 64 * 1024

_LOCK = threading.Lock()  # one report at a time: coverage.py's reporters share state

Answer = tuple[int, str, bytes]  # status, content type, body


class EndpointDisabled(RuntimeError):
    """The endpoint was asked for while not enabled (it must be off in production builds)."""


def _check_enabled(enable: bool | None) -> None:
    if enable is None:
        enable = os.environ.get(ENABLE_ENV) == "1"
    if not enable:
        raise EndpointDisabled(
            f"the runtime coverage endpoint is off: set {ENABLE_ENV}=1 (test and staging builds "
            "only; it must stay off in production builds)"
        )


def _text(status: int, message: str) -> Answer:
    return status, "text/plain; charset=utf-8", (message + "\n").encode("utf-8")


def _skip_list(body: bytes) -> list[str]:
    """goverage's request body: optional JSON ``{"skipFile": [...]}``; anything else is ignored."""
    if not body.strip():
        return []
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return []
    items = doc.get("skipFile") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, str)]


def live_report(skip: Sequence[str] = ()) -> Answer:
    """The answer to one request: coverage.py's JSON report of the live data, skips applied."""
    import coverage
    from coverage.files import relative_filename

    cov = coverage.Coverage.current()
    if cov is None:
        return _text(503, "coverage.py is not measuring this process")
    try:
        patterns = compile_skips(skip)
    except SkipPatternError as exc:
        return _text(400, str(exc))
    with _LOCK:
        data = cov.get_data()
        keep = [
            name
            for name in sorted(data.measured_files())
            if not skipped(relative_filename(name), patterns)
        ]
        if not keep:
            return 200, "application/json", _empty_report(data.has_arcs())
        with tempfile.TemporaryDirectory(prefix="coverhub-pycover-") as tmp:
            out = os.path.join(tmp, "coverage.json")
            # coverage.py prints "Wrote JSON report to ..." when its messages are on (they are
            # under `coverage run`): not in a service's output at every scrape.
            messages = getattr(cov, "_messages", None)
            if messages is not None:
                cov._messages = False
            try:
                cov.json_report(morfs=keep, outfile=out, ignore_errors=True)
            finally:
                if messages is not None:
                    cov._messages = messages
            with open(out, "rb") as fh:
                return 200, "application/json", fh.read()


def _empty_report(branch: bool) -> bytes:
    """What ``coverage json`` would say about no files (it refuses to report nothing)."""
    import coverage

    totals: dict[str, Any] = {
        "covered_lines": 0,
        "num_statements": 0,
        "percent_covered": 100.0,
        "percent_covered_display": "100",
        "missing_lines": 0,
        "excluded_lines": 0,
    }
    if branch:
        totals.update(num_branches=0, num_partial_branches=0, covered_branches=0)
        totals.update(missing_branches=0)
    meta = {
        "format": 3,
        "version": coverage.__version__,
        "timestamp": datetime.datetime.now().isoformat(),  # local time, as coverage.py writes it
        "branch_coverage": branch,
        "show_contexts": False,
    }
    return json.dumps({"meta": meta, "files": {}, "totals": totals}).encode("utf-8")


def _answer(method: str, body: bytes) -> Answer:
    if method != "POST":
        return _text(405, "method not allowed: use POST")
    return live_report(_skip_list(body))


def _is_endpoint(path: str, root_path: str = "") -> bool:
    path = path.rstrip("/")
    return path.endswith(PATH) or (not path and root_path.rstrip("/").endswith(PATH))


ASGIApp = Callable[[dict[str, Any], Callable[..., Any], Callable[..., Any]], Any]


def asgi_app(fallback: ASGIApp | None = None, *, enable: bool | None = None) -> ASGIApp:
    """An ASGI app answering ``POST .../v1/cover/profile``; other requests go to ``fallback``.

    Wrap a whole app (``asgi_app(fallback=app)``) or mount it at ``/v1/cover/profile``.
    Raises :class:`EndpointDisabled` unless enabled (module docstring of :mod:`app.pycover`).
    """
    _check_enabled(enable)
    import asyncio

    async def app(
        scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        if scope["type"] != "http" or not _is_endpoint(scope["path"], scope.get("root_path", "")):
            if fallback is not None:
                await fallback(scope, receive, send)
                return
            if scope["type"] != "http":
                return
            status, ctype, payload = _text(404, "not found")
        else:
            body = b""
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False) and len(body) <= MAX_BODY
            loop = asyncio.get_running_loop()
            method, data = scope["method"], body[:MAX_BODY]
            status, ctype, payload = await loop.run_in_executor(None, _answer, method, data)
        headers = [(b"content-type", ctype.encode()), (b"content-length", b"%d" % len(payload))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    return app


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


def wsgi_app(fallback: WSGIApp | None = None, *, enable: bool | None = None) -> WSGIApp:
    """The WSGI twin of :func:`asgi_app` (same path, answers and opt-in)."""
    _check_enabled(enable)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        if not _is_endpoint(path):
            if fallback is not None:
                return fallback(environ, start_response)
            status, ctype, payload = _text(404, "not found")
        else:
            try:
                length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
            except ValueError:
                length = 0
            body = environ["wsgi.input"].read(length) if length > 0 else b""
            status, ctype, payload = _answer(environ["REQUEST_METHOD"], body)
        reason = _REASONS.get(status, "Service Unavailable")
        start_response(
            f"{status} {reason}",
            [("Content-Type", ctype), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    return app
