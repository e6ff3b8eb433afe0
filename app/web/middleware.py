"""Request id, per-route metrics and the access log, as one pure-ASGI middleware.

Pure ASGI (not BaseHTTPMiddleware) because it sits on every request, including the badge path,
where a few microseconds matter: the route comes from the router's own match (``scope["route"]``,
no second pass over the route table), the metric children are looked up once per (route, method,
status), and the access log can skip or sample hot paths.
"""

from __future__ import annotations

import logging
import random
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logging import request_id
from app.metrics import Metrics

log = logging.getLogger("coverhub.access")

_VALID_RID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNMATCHED = "(unmatched)"


class RequestContext:
    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        routes: list[Route],
        *,
        log_sample: Callable[[str], float] = lambda _route: 1.0,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes
        self.log_sample = log_sample
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def _observe(self, route: str, method: str, status: int, elapsed: float) -> None:
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.metrics.requests.labels(route, method, str(status)),
                self.metrics.request_seconds.labels(route, method),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(elapsed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                text = value.decode("latin-1")
                rid = text if _VALID_RID.match(text) else None
                break
        if rid is None:
            rid = secrets.token_hex(8)
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        rid_header = (b"x-request-id", rid.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), rid_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            matched = scope.get("route")
            route = matched.path if isinstance(matched, Route) else UNMATCHED
            method = scope["method"]
            self._observe(route, method, status, elapsed)
            rate = self.log_sample(route)
            if rate >= 1.0 or (rate > 0 and random.random() < rate):
                log.info(
                    "request",
                    extra={
                        "method": method,
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                        "request_id": rid,
                    },
                )
            request_id.reset(token)
