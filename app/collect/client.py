"""HTTP side of ``coverhub collect``: one bounded request to one coverage endpoint.

* ``URL`` may be a service root (``http://host:7777``: ``/v1/cover/profile`` is appended) or the
  full endpoint. ``.../v1/cover/profile`` (goverage, goc v1 agents and center, coverhub's Python
  endpoint) is asked with ``POST`` and the body ``{"skipFile": [...]}``; goc v2's center
  ``.../v2/cover/profile`` with ``GET`` (it answers ``{"profile": ...}``).
* Every network wait (connect, each read) is bounded by ``timeout`` and so is each attempt as a
  whole (checked between received chunks): an attempt lasts at most about twice ``timeout``.
* Connection failures, timeouts, HTTP 5xx, 408 and 429 are retried ``retries`` times with a
  doubling pause; other HTTP errors are not. The last failure is reported as one line.
* An answer is read up to ``max_bytes``; a larger one is refused.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

V1_PATH = "/v1/cover/profile"
V2_PATH = "/v2/cover/profile"
RETRY_STATUSES = frozenset({408, 429})


class Unreachable(Exception):
    """A service gave no usable answer; the message says why, in a few words."""


@dataclass(frozen=True)
class Target:
    url: str
    method: str

    @property
    def label(self) -> str:
        return self.url


@dataclass(frozen=True)
class FetchOptions:
    timeout: float = 10.0
    retries: int = 2
    backoff: float = 0.5
    max_bytes: int = 256 * 1024 * 1024


def target_of(url: str) -> Target:
    """The endpoint a command-line URL stands for (see the module docstring)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an http(s) URL")
    path = parts.path.rstrip("/")
    if not path:
        path = V1_PATH
    method = "GET" if path.endswith(V2_PATH) else "POST"
    normal = urlunsplit((parts.scheme, parts.netloc.lower(), path, parts.query, ""))
    return Target(normal, method)


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return status >= 500 or status in RETRY_STATUSES
    return True


def _describe(exc: Exception, options: FetchOptions) -> str:
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return f"no answer within {options.timeout:g}s (timed out)"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({_reason(exc)})"
    if isinstance(exc, httpx.HTTPStatusError):
        response = exc.response
        text = response.text.strip().splitlines()
        detail = f": {text[0][:200]}" if text else ""
        return f"HTTP {response.status_code} {response.reason_phrase}{detail}"
    if isinstance(exc, Unreachable):
        return str(exc)
    return f"{type(exc).__name__}: {_reason(exc)}"


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _attempt(
    client: httpx.Client, target: Target, skips: Sequence[str], options: FetchOptions
) -> bytes:
    deadline = time.monotonic() + options.timeout
    kwargs: dict[str, object] = {}
    if target.method == "POST":
        kwargs["json"] = {"skipFile": list(skips)}
    with client.stream(target.method, target.url, **kwargs) as response:  # type: ignore[arg-type]
        if response.status_code >= 400:
            response.read()
            response.raise_for_status()
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > options.max_bytes:
                raise Unreachable(f"answer larger than {options.max_bytes} bytes")
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise TimeoutError
        return b"".join(chunks)


def fetch(
    client: httpx.Client, target: Target, skips: Sequence[str], options: FetchOptions
) -> bytes:
    """The body of one answer, after retries; :class:`Unreachable` when there is none."""
    return fetch_counted(client, target, skips, options)[0]


def fetch_counted(
    client: httpx.Client, target: Target, skips: Sequence[str], options: FetchOptions
) -> tuple[bytes, int]:
    """:func:`fetch`, and how many attempts it took (a failed attempt may still have been
    served: goverage then wrote one more counters file)."""
    last: Exception | None = None
    tried = 0
    for attempt in range(options.retries + 1):
        tried += 1
        if attempt:
            time.sleep(options.backoff * 2 ** (attempt - 1))
        try:
            return _attempt(client, target, skips, options), tried
        except (httpx.HTTPError, TimeoutError, Unreachable) as exc:
            last = exc
            if isinstance(exc, Unreachable) or not _retryable(exc):
                break
    assert last is not None
    tries = "" if tried == 1 else f" (tried {tried} times)"
    raise Unreachable(_describe(last, options) + tries)


def make_client(options: FetchOptions) -> httpx.Client:
    """A client whose every wait is bounded by ``options.timeout``; no proxies from the env."""
    return httpx.Client(
        timeout=httpx.Timeout(options.timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": "coverhub-collect"},
    )
