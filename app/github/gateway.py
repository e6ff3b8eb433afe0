"""What coverhub asks of GitHub, through githubkit, with GitHub's failure modes handled.

* App auth: the JWT and installation tokens come from githubkit's AppAuthStrategy, cached in the
  service cache (shared by every process; app.github.tokens).
* Retries: 5xx and transport errors are retried with backoff; a rate limit (429, secondary limits,
  Retry-After, x-ratelimit-reset) is waited out when the wait is short, and otherwise turned into
  RetryLater so the job is rescheduled instead of holding a worker.
* A 403 that is not a rate limit names the permission the App lacks.
* Artifact downloads follow the 302 with a plain client that never carries the token, and stream
  into a size-bounded file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
from githubkit import AppAuthStrategy, GitHub
from githubkit.exception import RateLimitExceeded, RequestError, RequestFailed

from app.errors import AppError, TooLarge
from app.github.tokens import PortCacheStrategy
from app.jobs.runner import PermanentError, RetryLater
from app.ports.cache import Cache

log = logging.getLogger("coverhub.github")

T = TypeVar("T")

#: waits longer than this are not slept in a worker: the job is rescheduled
MAX_INLINE_WAIT = 10.0
ATTEMPTS = 4


class GitHubError(AppError):
    status_code = 502
    slug = "github"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class InstallationRefused(PermanentError):
    """GitHub would not give an installation token: the App is suspended or uninstalled."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ArtifactExpired(PermanentError):
    """410 Gone: the artifact's retention ran out."""


#: which App permission a call needs, for the message of a 403
PERMISSIONS = {
    "artifacts": "Actions: read",
    "checks": "Checks: write",
    "statuses": "Commit statuses: write",
    "comments": "Pull requests: write",
    "pulls": "Pull requests: read",
    "contents": "Contents: read",
}


def _retry_after(exc: RequestFailed) -> float | None:
    if isinstance(exc, RateLimitExceeded):
        wait = exc.retry_after
        return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
    headers = exc.response.headers
    if "retry-after" in headers:
        with contextlib.suppress(ValueError):
            return float(headers["retry-after"])
    return None


class GitHubGateway:
    def __init__(
        self,
        app_id: int,
        private_key: str,
        base_url: str,
        cache: Cache,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        download_transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.auth = AppAuthStrategy(str(app_id), private_key)
        self.base_url = base_url.rstrip("/") + "/"
        self.cache_strategy = PortCacheStrategy(cache)
        self.transport = transport
        self.download_transport = download_transport
        self.timeout = timeout
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def _client(self, auth: Any) -> GitHub[Any]:
        return GitHub(
            auth,
            base_url=self.base_url,
            timeout=self.timeout,
            async_transport=self.transport,
            cache_strategy=self.cache_strategy,
            http_cache=False,
            auto_retry=False,  # our own policy below: never sleep long inside a call
            follow_redirects=False,
        )

    @contextlib.asynccontextmanager
    async def installation(self, installation_id: int) -> AsyncIterator[GitHub[Any]]:
        """A client acting as the installation (one connection pool for the block)."""
        async with self._client(self.auth.as_installation(installation_id)) as gh:
            yield gh

    @contextlib.asynccontextmanager
    async def app(self) -> AsyncIterator[GitHub[Any]]:
        async with self._client(self.auth) as gh:
            yield gh

    async def call_or_none(self, what: str, fn: Callable[[], Awaitable[T]]) -> T | None:
        """:meth:`call`, with None for a 404 (a file or a pull request that is not there)."""
        try:
            return await self.call(what, fn)
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise

    async def call(self, what: str, fn: Callable[[], Awaitable[T]]) -> T:
        """Run one API call under the retry policy; ``what`` keys PERMISSIONS and messages."""
        delay = 1.0
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await fn()
            except RequestFailed as exc:
                status = exc.response.status_code
                wait = _retry_after(exc)
                limited = (
                    isinstance(exc, RateLimitExceeded)
                    or status == 429
                    or (status == 403 and wait is not None)
                )
                if limited:
                    wait = wait if wait is not None else 60.0
                    if wait > MAX_INLINE_WAIT or attempt == ATTEMPTS:
                        raise RetryLater(wait, f"GitHub rate limit on {what}") from exc
                    log.info("rate limited on %s; waiting %.1f s", what, wait)
                    await self.sleep(wait)
                    continue
                if status == 403:
                    need = PERMISSIONS.get(what, "a permission")
                    raise PermanentError(
                        f"GitHub refused {what} (403): the App needs the {need} permission"
                    ) from exc
                if status == 410 and what == "artifacts":
                    raise ArtifactExpired("the artifact has expired (410 Gone)") from exc
                if status >= 500 and attempt < ATTEMPTS:
                    log.info("GitHub %s on %s; retrying in %.1f s", status, what, delay)
                    await self.sleep(delay)
                    delay *= 2
                    continue
                raise GitHubError(f"GitHub answered {status} on {what}", status) from exc
            except RequestError as exc:
                # githubkit's auth flow reports a refused installation token as a RequestError
                # around the token request's RequestFailed: a refusal, not a network problem.
                refused = exc.__cause__
                if isinstance(refused, RequestFailed) and refused.response.status_code in (
                    401,
                    403,
                    404,
                ):
                    status = refused.response.status_code
                    raise InstallationRefused(
                        f"GitHub refused an installation token for {what} ({status}): the App "
                        "is suspended or no longer installed on this account",
                        status,
                    ) from exc
                if attempt < ATTEMPTS:
                    await self.sleep(delay)
                    delay *= 2
                    continue
                raise GitHubError(f"GitHub unreachable on {what}: {exc}") from exc
        raise AssertionError("unreachable")

    async def paginate(
        self,
        what: str,
        fetch: Callable[[int], Awaitable[Any]],
        items_key: str | None = None,
        *,
        limit: int = 10_000,
    ) -> list[dict[str, Any]]:
        """Every item of a paginated list (``fetch(page)`` returns a githubkit Response)."""
        items: list[dict[str, Any]] = []
        page = 1
        while len(items) < limit:
            resp = await self.call(what, lambda p=page: fetch(p))  # type: ignore[misc]
            data = resp.json()
            batch = data[items_key] if items_key else data
            items.extend(batch)
            if 'rel="next"' not in resp.headers.get("link", "") or not batch:
                break
            page += 1
        return items[:limit]

    async def download(
        self,
        gh: GitHub[Any],
        owner: str,
        repo: str,
        artifact_id: int,
        dest: Path,
        max_bytes: int,
    ) -> int:
        """Download an artifact into ``dest``; returns its size. Never more than ``max_bytes``.

        The API answers 302 to a storage host; that request is made by a separate client with no
        Authorization header at all, so the installation token never leaves for another host.
        """
        resp = await self.call(
            "artifacts",
            lambda: gh.rest.actions.async_download_artifact(owner, repo, artifact_id, "zip"),
        )
        if resp.status_code in (301, 302, 303, 307, 308):
            url = resp.headers["location"]
        else:  # some servers answer the bytes directly
            return _write_capped(dest, [resp.content], max_bytes, artifact_id)
        async with httpx.AsyncClient(
            transport=self.download_transport, timeout=self.timeout, follow_redirects=True
        ) as plain:
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    async with plain.stream("GET", url) as stream:
                        if stream.status_code == 410:
                            raise ArtifactExpired("the artifact has expired (410 Gone)")
                        if stream.status_code >= 500 and attempt < ATTEMPTS:
                            await self.sleep(attempt)
                            continue
                        if stream.status_code != 200:
                            raise GitHubError(f"artifact storage answered {stream.status_code}")
                        size = 0
                        with dest.open("wb") as out:
                            async for chunk in stream.aiter_bytes(1 << 16):
                                size += len(chunk)
                                if size > max_bytes:
                                    raise TooLarge(
                                        f"artifact {artifact_id} is over the {max_bytes}-byte"
                                        " download limit"
                                    )
                                out.write(chunk)
                        return size
                except httpx.TransportError as exc:
                    if attempt == ATTEMPTS:
                        raise GitHubError(f"artifact storage unreachable: {exc}") from exc
                    await self.sleep(attempt)
        raise GitHubError("artifact download failed")


def _write_capped(dest: Path, chunks: list[bytes], max_bytes: int, artifact_id: int) -> int:
    size = sum(len(c) for c in chunks)
    if size > max_bytes:
        raise TooLarge(f"artifact {artifact_id} is over the {max_bytes}-byte download limit")
    with dest.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return size
