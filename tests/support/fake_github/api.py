"""The fake's REST edge: routing, auth, faults, pagination, rate-limit headers, recording.

Handlers (routes_app.py, routes_repos.py) get a `Ctx` and return `Reply`. The dispatcher checks
the App JWT or the installation token, records the request, applies injected faults, adds the
rate-limit headers and checks 2xx bodies against the official schema of the operation (a
mismatch is kept in `state.schema_errors`; the pytest fixture fails the test on it).
"""

from __future__ import annotations

import json
import re
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.fake_github import spec
from tests.support.fake_github.models import Recorded, Repo, Token, now
from tests.support.fake_github.render import Renderer
from tests.support.fake_github.state import State

DOCS = "https://docs.github.com/rest"
API_VERSIONS = {"2022-11-28", "2026-03-10"}


class HTTPError(Exception):
    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


def invalid(resource: str, field_: str, message: str, code: str = "custom") -> HTTPError:
    """GitHub's 422 "Validation Failed" with one error entry."""
    error = {"resource": resource, "code": code, "field": field_, "message": message}
    return HTTPError(422, "Validation Failed", [error])


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None  # raw bytes instead of JSON


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    times: int
    headers: dict[str, str]
    body: Any


@dataclass
class Ctx:
    request: Request
    params: dict[str, str]
    body: Any
    state: State
    render: Renderer
    token: Token | None
    fake: Any  # the FakeGitHub (blob signing, webhook redelivery)

    def query(self, name: str, default: str | None = None) -> str | None:
        return self.request.query_params.get(name, default)

    def repo(self) -> Repo:
        repo = self.state.repo(self.params["owner"], self.params["repo"])
        if repo is None:
            raise HTTPError(404, "Not Found")
        if self.token is not None:
            allowed = repo.installation is self.token.installation and (
                self.token.repository_ids is None or repo.id in self.token.repository_ids
            )
            if not allowed:
                raise HTTPError(404, "Not Found")
        return repo

    def paginate(
        self, items: list[Any], *, cap: int | None = None
    ) -> tuple[list[Any], dict[str, str]]:
        """One page of `items` and its Link header (per_page default 30, at most 100)."""
        if cap is not None:
            items = items[:cap]
        try:
            per_page = min(max(int(self.query("per_page") or 30), 1), 100)
            page = max(int(self.query("page") or 1), 1)
        except ValueError as exc:
            raise HTTPError(422, "Invalid request: per_page and page must be integers") from exc
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []
        url = self.request.url
        for rel, number in (("prev", page - 1), ("next", page + 1), ("last", last), ("first", 1)):
            if (rel in ("prev", "first") and page > 1) or (rel in ("next", "last") and page < last):
                links.append(f'<{url.include_query_params(page=number)}>; rel="{rel}"')
        return chunk, ({"Link": ", ".join(links)} if links else {})


Handler = Callable[[Ctx], Awaitable[Reply]]


@dataclass
class Endpoint:
    method: str
    pattern: re.Pattern[str]
    operation_id: str
    auth: str  # "jwt" or "token"
    handler: Handler


def template(path: str) -> re.Pattern[str]:
    def group(m: re.Match[str]) -> str:
        name = m.group(1)
        return f"(?P<{name}>.+)" if name == "path" else f"(?P<{name}>[^/]+)"

    return re.compile("^" + re.sub(r"\{([a-z_]+)\}", group, path) + "$")


class Api:
    def __init__(self, state: State, fake: Any, prefix: str = "") -> None:
        self.state = state
        self.prefix = prefix.rstrip("/")
        self.fake = fake
        self.endpoints: list[Endpoint] = []
        self.faults: list[Fault] = []
        self.reset_at = int(time.time()) + 3600
        self.used: dict[str, int] = {}

    def route(
        self, method: str, path: str, operation_id: str, auth: str
    ) -> Callable[[Handler], Handler]:
        assert operation_id in spec.operations(), operation_id

        def register(handler: Handler) -> Handler:
            self.endpoints.append(Endpoint(method, template(path), operation_id, auth, handler))
            return handler

        return register

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> None:
        """Answer the next `times` requests whose path matches regex `path` with `status`."""
        default = {"message": f"fault injected: {status}", "documentation_url": DOCS}
        self.faults.append(
            Fault(method.upper(), re.compile(path), status, times, headers or {}, body or default)
        )

    # ------------------------------------------------------------------ auth

    def _check_jwt(self, header: str) -> str:
        if not header.lower().startswith("bearer "):
            raise HTTPError(401, "A JSON web token could not be decoded")
        app = self.fake.app
        try:
            claims = jwt.decode(
                header.split(" ", 1)[1],
                app.public_key_pem,
                algorithms=["RS256"],
                options={"require": ["iat", "exp", "iss"], "verify_iat": True},
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            raise HTTPError(401, f"A JSON web token could not be decoded ({exc})") from exc
        if str(claims["iss"]) not in (str(app.app_id), app.client_id):
            raise HTTPError(401, "'Issuer' claim ('iss') must be an Integer or the client ID")
        if int(claims["exp"]) - int(claims["iat"]) > 660:
            raise HTTPError(401, "'Expiration time' claim ('exp') is too far in the future")
        return f"app:{app.app_id}"

    def _check_token(self, header: str) -> Token:
        scheme, _, value = header.partition(" ")
        if scheme.lower() not in ("token", "bearer") or not value:
            raise HTTPError(401, "Requires authentication")
        with self.state.lock:
            token = self.state.tokens.get(value.strip())
        if token is None or token.expires_at <= now():
            raise HTTPError(401, "Bad credentials")
        return token

    # ------------------------------------------------------------------ dispatch

    def rate_headers(self, who: str, version: str) -> dict[str, str]:
        used = self.used[who] = self.used.get(who, 0) + 1
        return {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": str(max(5000 - used, 0)),
            "x-ratelimit-used": str(used),
            "x-ratelimit-reset": str(self.reset_at),
            "x-ratelimit-resource": "core",
            "x-github-api-version-selected": version,
        }

    async def handle(self, request: Request) -> Response:
        path = request.url.path
        method = request.method
        if self.prefix:  # GHES serves the API under /api/v3
            if not path.startswith(self.prefix + "/"):
                return self._json(404, {"message": "Not Found", "documentation_url": DOCS}, {})
            path = path.removeprefix(self.prefix)
        for ep in self.endpoints:
            if ep.method == method and (m := ep.pattern.match(path)):
                break
        else:
            return self._json(404, {"message": "Not Found", "documentation_url": DOCS}, {})
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self._json(
                400, {"message": "Problems parsing JSON", "documentation_url": DOCS}, {}
            )
        record = Recorded(method, path, dict(request.query_params), dict(request.headers), body)
        with self.state.lock:
            self.state.requests.append(record)
        headers: dict[str, str] = {}
        try:
            version = request.headers.get("x-github-api-version")
            if version is not None and version not in API_VERSIONS:
                raise HTTPError(400, f"API version {version!r} is not supported.")
            auth = request.headers.get("authorization")
            if not auth:
                raise HTTPError(401, "Requires authentication")
            token = None
            if ep.auth == "jwt":
                who = self._check_jwt(auth)
            else:
                token = self._check_token(auth)
                who = token.token
            headers = self.rate_headers(who, version or "2022-11-28")
            fault = self._take_fault(method, path)
            if fault is not None:
                record.status = fault.status
                return self._json(fault.status, fault.body, {**headers, **fault.headers})
            if body is not None and (errors := spec.request_errors(ep.operation_id, body)):
                raise invalid("Request", "body", "; ".join(errors))
            ctx = Ctx(request, m.groupdict(), body, self.state, self.fake.render, token, self.fake)
            reply = await ep.handler(ctx)
        except HTTPError as exc:
            record.status = exc.status
            payload: dict[str, Any] = {
                "message": exc.message,
                "documentation_url": DOCS,
                "status": str(exc.status),
            }
            if exc.errors is not None:
                payload["errors"] = exc.errors
            if str(exc.status) in spec.operations()[ep.operation_id].raw["responses"]:
                self._check(ep.operation_id, exc.status, payload)
            return self._json(exc.status, payload, headers)
        except Exception:  # a bug in the fake: keep the traceback for the fixture to report
            record.status = 500
            with self.state.lock:
                self.state.server_errors.append(f"{method} {path}\n{traceback.format_exc()}")
            return self._json(
                500, {"message": "fake GitHub crashed", "documentation_url": DOCS}, headers
            )
        record.status = reply.status
        headers.update(reply.headers)
        if reply.content is not None:
            return Response(reply.content, reply.status, headers)
        if 200 <= reply.status < 300 and reply.body is not None:
            self._check(ep.operation_id, reply.status, reply.body)
        return self._json(reply.status, reply.body, headers)

    def _check(self, operation_id: str, status: int, body: Any) -> None:
        """Keep where a response departs from the official schema (the fixture reports it)."""
        errors = spec.response_errors(operation_id, status, body)
        if errors:
            with self.state.lock:
                self.state.schema_errors.extend(f"{operation_id} {status}: {e}" for e in errors)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.state.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and fault.path.search(path):
                    fault.times -= 1
                    return fault
        return None

    @staticmethod
    def _json(status: int, body: Any, headers: dict[str, str]) -> Response:
        if body is None:
            return Response(b"", status, headers)
        data = json.dumps(body).encode()
        return Response(data, status, headers, media_type="application/json; charset=utf-8")

    def asgi(self) -> Starlette:
        methods = ["GET", "POST", "PATCH", "PUT", "DELETE"]
        return Starlette(routes=[Route("/{rest:path}", self.handle, methods=methods)])
