"""Badge routes: thin; the BadgeService decides, caches and renders (app.services.badges).

GET /{owner}/{repo}/badge.svg?branch=&flag=&style=&label=&token=   the default branch
GET /{owner}/{repo}/commit/{sha}/badge.svg                          one commit, immutable
GET /badge/{owner}/{repo}.svg                                       Covered-compatible alias
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

from app.services.badges import BadgeRequest, badge_service_for

#: route paths served here (the access log skips them: it would halve their throughput)
BADGE_ROUTES = frozenset(
    {
        "/{owner}/{repo}/badge.svg",
        "/{owner}/{repo}/commit/{sha}/badge.svg",
        "/badge/{owner}/{repo}.svg",
    }
)


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison of an If-None-Match list with our (strong) ETag."""
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


class BadgeEndpoint:
    """The badge routes as bare ASGI callables: no Request object, no header parsing beyond
    If-None-Match, and response headers that were built once, when the badge was rendered. This
    is the hottest path of the service (every README view through GitHub's image proxy)."""

    def __init__(self, *, commit: bool) -> None:
        self.commit = commit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = scope["path_params"]
        raw_query = scope["query_string"]
        query = (
            dict(parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True))
            if raw_query
            else _NO_QUERY
        )
        req = BadgeRequest.build(
            params["owner"],
            params["repo"],
            params["sha"] if self.commit else query.get("branch"),
            flag=query.get("flag"),
            style=query.get("style"),
            label=query.get("label"),
            commit=self.commit,
        )
        service = badge_service_for(scope["state"]["services"])
        badge = await service.get(req, query.get("token"))
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                if etag_matches(value.decode("latin-1"), badge.etag):
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 304,
                            "headers": list(badge.not_modified_headers),
                        }
                    )
                    await send({"type": "http.response.body", "body": b""})
                    return
                break
        await send({"type": "http.response.start", "status": 200, "headers": list(badge.headers)})
        await send({"type": "http.response.body", "body": badge.svg})


_NO_QUERY: dict[str, str] = {}
branch_badge = BadgeEndpoint(commit=False)
commit_badge = BadgeEndpoint(commit=True)


def log_sample(route: str) -> float:
    """Access-log rate per route: one badge request in a thousand, everything else."""
    return 0.001 if route in BADGE_ROUTES else 1.0
