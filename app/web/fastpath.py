"""The badge fast path: badge requests skip Starlette's middleware stack and router.

A README badge is fetched on every view through GitHub's image proxy, so its path is the
hottest of the service. A GET whose path is a badge path is answered by the badge endpoint
directly, counted in the same metrics (children looked up once), with no access-log line and no
request-id header. Anything else, and any badge request that fails before answering, goes
through the full application, which produces the usual responses and errors.
"""

from __future__ import annotations

import re
import time
from typing import Any

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from app.metrics import Metrics
from app.web import badges

# the same shapes as the routes (Starlette's {param} matches [^/]+), tried in the routes' order
_BADGE_PATHS = (
    (
        re.compile(r"^/(?P<owner>[^/]+)/(?P<repo>[^/]+)/badge\.svg$"),
        badges.branch_badge,
        "/{owner}/{repo}/badge.svg",
    ),
    (
        re.compile(r"^/(?P<owner>[^/]+)/(?P<repo>[^/]+)/commit/(?P<sha>[^/]+)/badge\.svg$"),
        badges.commit_badge,
        "/{owner}/{repo}/commit/{sha}/badge.svg",
    ),
    (
        re.compile(r"^/badge/(?P<owner>[^/]+)/(?P<repo>[^/]+)\.svg$"),
        badges.branch_badge,
        "/badge/{owner}/{repo}.svg",
    ),
)


class CoverhubApp(Starlette):
    """Starlette with the badge fast path in front of its middleware stack."""

    metrics: Metrics
    _fast_children: dict[tuple[str, int], tuple[Any, Any]]

    def enable_badge_fast_path(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._fast_children = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and "state" in scope
            and hasattr(self, "_fast_children")
        ):
            path = scope["path"]
            for pattern, endpoint, route in _BADGE_PATHS:
                match = pattern.match(path)
                if match is not None:
                    if await self._badge(scope, receive, send, endpoint, route, match):
                        return
                    break
        await super().__call__(scope, receive, send)

    async def _badge(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        endpoint: Any,
        route: str,
        match: re.Match[str],
    ) -> bool:
        started = time.perf_counter()
        status = 0

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        scope = {**scope, "path_params": match.groupdict(), "app": self}
        try:
            await endpoint(scope, receive, sending)
        except Exception:
            if status:  # already answering: nothing better to do than stop
                raise
            return False  # the full application answers (and logs the error)
        key = (route, status)
        children = self._fast_children.get(key)
        if children is None:
            children = (
                self.metrics.requests.labels(route, "GET", str(status)),
                self.metrics.request_seconds.labels(route, "GET"),
            )
            self._fast_children[key] = children
        children[0].inc()
        children[1].observe(time.perf_counter() - started)
        return True
