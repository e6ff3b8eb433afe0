"""Request id, per-route metrics and the access log, as one pure-ASGI middleware.

Pure ASGI (not BaseHTTPMiddleware) because it sits on every request, including the badge path,
where a few microseconds matter. The access log can skip or sample hot paths.
"""

from __future__ import annotations

import logging
import random
import re
import secrets
import time
from collections.abc import Callable

from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logging import request_id
from app.metrics import Metrics

log = logging.getLogger("coverhub.access")

_VALID_RID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


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

    def _route_of(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return route.path
        return "(unmatched)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _VALID_RID.match(incoming) else secrets.token_hex(8)
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = self._route_of(scope)
            method = scope["method"]
            self.metrics.requests.labels(route, method, str(status)).inc()
            self.metrics.request_seconds.labels(route, method).observe(elapsed)
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
