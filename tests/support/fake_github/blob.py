"""The "blob storage" host that artifact downloads redirect to (a second server, another port).

Like GitHub's storage it takes a short-lived signed URL and refuses a request that carries an
Authorization header, so a client that forwards the installation token across the redirect fails.
Every request it gets is recorded with its headers (`requests`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

if TYPE_CHECKING:
    from tests.support.fake_github.models import Artifact
    from tests.support.fake_github.state import State

AUTH_REFUSED = (
    b'<?xml version="1.0" encoding="utf-8"?><Error><Code>InvalidAuthenticationInfo</Code>'
    b"<Message>Authentication information is not given in the correct format. A signed URL"
    b" must not be combined with an Authorization header.</Message></Error>"
)
SIGNATURE_REFUSED = (
    b'<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>'
    b"<Message>Signature not valid in the specified time frame.</Message></Error>"
)


@dataclass
class BlobRequest:
    path: str
    query: str
    headers: dict[str, str]
    status: int = 0


class BlobStore:
    def __init__(self, state_getter: Callable[[], State]) -> None:
        self._state = state_getter  # callable returning the current State
        self.key = secrets.token_bytes(32)
        self.url = ""  # set when the server is up: http://127.0.0.1:PORT
        self.ttl = 60.0  # "This URL expires after 1 minute"
        self.requests: list[BlobRequest] = []
        self.lock = threading.Lock()

    def _sign(self, artifact_id: int, expires: int) -> str:
        msg = f"{artifact_id}:{expires}".encode()
        return hmac.new(self.key, msg, hashlib.sha256).hexdigest()

    def signed_url(self, art: Artifact) -> str:
        expires = int(time.time() + self.ttl)
        name = quote(art.name + ".zip" if art.zipped else art.name)
        sig = self._sign(art.id, expires)
        return f"{self.url}/artifacts/{art.id}/{name}?se={expires}&sp=r&sig={sig}"

    def reset(self) -> None:
        with self.lock:
            self.requests = []
        self.ttl = 60.0

    async def serve(self, request: Request) -> Response:
        record = BlobRequest(request.url.path, request.url.query, dict(request.headers))
        with self.lock:
            self.requests.append(record)
        response = self._answer(request)
        record.status = response.status_code
        return response

    def _answer(self, request: Request) -> Response:
        if "authorization" in request.headers:
            return Response(AUTH_REFUSED, 403, media_type="application/xml")
        state = self._state()
        try:
            artifact_id = int(request.path_params["artifact_id"])
            expires = int(request.query_params.get("se", "0"))
        except ValueError:
            return Response(SIGNATURE_REFUSED, 403, media_type="application/xml")
        good = hmac.compare_digest(
            request.query_params.get("sig", ""), self._sign(artifact_id, expires)
        )
        if not good or expires < time.time():
            return Response(SIGNATURE_REFUSED, 403, media_type="application/xml")
        art = state.artifacts.get(artifact_id)
        if art is None:
            return Response(
                b"<Error><Code>BlobNotFound</Code></Error>", 404, media_type="application/xml"
            )
        media = "application/zip" if art.zipped else "application/octet-stream"
        return Response(art.data, 200, media_type=media, headers={"x-ms-blob-type": "BlockBlob"})

    def asgi(self) -> Starlette:
        return Starlette(routes=[Route("/artifacts/{artifact_id}/{name:path}", self.serve)])
