"""Badge SVGs from two cache tiers: an in-process LRU in front of the shared cache (Redis).

A warm badge costs a dict lookup: a Redis GET per request would cost about 70 µs of client CPU and
cut the endpoint to a third of its speed. Entries are keyed by repository, badge kind, branch or
commit, flag, style and label, and carry the *version* of their repository under which they were
made. :func:`invalidate_badges` (called when a result lands, and when a badge token or badge
settings change) writes a new version to the shared cache; every replica re-reads the version of
a repository at most ``version_check`` seconds later (0.5 s by default), so a new result shows on
every replica within a second, and the shared tier's entries are keyed by version too, so nothing
has to be scanned or deleted. Badges are rendered on a miss, never per request.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import anyio.to_thread
import sqlalchemy as sa

import badges
from app.errors import UpstreamUnavailable
from app.ports.cache import Cache
from app.services import records
from app.services.badge_rules import BadgeState, Measured, decide
from app.services.repo_settings import (
    badge_settings_of,
    branch_deleted_at,
    token_matches,
)

log = logging.getLogger("coverhub.badges")

VERSION_PREFIX = "badge:ver:"
ENTRY_PREFIX = "badge:svg:"
VERSION_TTL = 90 * 86400.0  # entries live far shorter, so an expired version cannot collide
SHARED_TTL = 3600.0
LOCAL_MAX_AGE = 300.0
#: private badges are re-read this often, so a rotated token stops working everywhere soon
#: even where no shared cache carries the invalidation (a CLI beside an embedded server)
PRIVATE_MAX_AGE = 60.0
MAX_LABEL = 64
DEFAULT_LABEL = "coverage"
SVG_TYPE = b"image/svg+xml; charset=utf-8"
SVG_CSP = b"default-src 'none'; style-src 'unsafe-inline'"
_STYLES = frozenset(badges.STYLES)


class BadgeRequest(NamedTuple):
    """What a badge request asks for; a tuple, because it is the local tier's key and is built
    on every request."""

    owner: str
    repo: str
    ref: str | None  # branch (None: the default branch) or, for a commit badge, the sha
    flag: str = "default"
    style: str = "flat"
    label: str = DEFAULT_LABEL
    commit: bool = False

    @classmethod
    def build(
        cls,
        owner: str,
        repo: str,
        ref: str | None,
        *,
        flag: str | None = None,
        style: str | None = None,
        label: str | None = None,
        commit: bool = False,
    ) -> BadgeRequest:
        """Normalise query parameters: an unknown style falls back to flat (a badge, never an
        error image); labels are capped so that the cache key space stays bounded."""
        return cls(
            owner,
            repo,
            ref or None,
            flag or "default",
            style if style in _STYLES else "flat",
            DEFAULT_LABEL if label is None else label[:MAX_LABEL],
            commit,
        )

    @property
    def repo_key(self) -> str:
        return f"{self.owner}/{self.repo}"

    def key(self) -> str:
        """The request as text, for the shared tier's keys."""
        kind = "c" if self.commit else "b"
        return f"{self.repo_key}|{kind}|{self.ref or ''}|{self.flag}|{self.style}|{self.label}"


@dataclass(frozen=True, slots=True)
class Badge:
    """A rendered badge with its response headers prebuilt (the hot path only copies them)."""

    svg: bytes
    etag: str
    cache_control: str
    headers: list[tuple[bytes, bytes]] = field(repr=False)
    not_modified_headers: list[tuple[bytes, bytes]] = field(repr=False)

    @classmethod
    def make(cls, svg: bytes, cache_control: str, etag: str | None = None) -> Badge:
        etag = etag or '"' + hashlib.sha256(svg).hexdigest()[:32] + '"'
        common = [
            (b"cache-control", cache_control.encode()),
            (b"etag", etag.encode()),
            (b"x-content-type-options", b"nosniff"),
        ]
        headers = [
            (b"content-type", SVG_TYPE),
            (b"content-length", str(len(svg)).encode()),
            (b"content-security-policy", SVG_CSP),
            *common,
        ]
        return cls(svg, etag, cache_control, headers, common)


@dataclass(slots=True)
class _Entry:
    badge: Badge
    denied: Badge  # what a request without a valid token gets for a private repository
    private: bool
    token_hash: str | None
    expires: float  # wall clock
    version: str = ""

    def dumps(self) -> bytes:
        head = {
            "cc": self.badge.cache_control,
            "ce": self.badge.etag,
            "dc": self.denied.cache_control,
            "de": self.denied.etag,
            "p": self.private,
            "t": self.token_hash,
            "e": self.expires,
            "n": len(self.badge.svg),
        }
        return json.dumps(head).encode() + b"\n" + self.badge.svg + self.denied.svg

    @classmethod
    def loads(cls, data: bytes, version: str) -> _Entry:
        head_bytes, _, body = data.partition(b"\n")
        head = json.loads(head_bytes)
        n = head["n"]
        return cls(
            Badge.make(body[:n], head["cc"], head.get("ce")),
            Badge.make(body[n:], head["dc"], head.get("de")),
            head["p"],
            head["t"],
            head["e"],
            version,
        )


def _measured(upload: dict[str, Any] | None) -> Measured | None:
    if upload is None:
        return None
    native = upload["native"]
    return Measured(
        sha=upload["sha"],
        branch=upload["branch"],
        covered=int(native["covered"]),
        total=int(native["total"]),
        display=native["display"],
        unit=native["unit"],
        created_at=datetime.fromisoformat(upload["created_at"]),
    )


def load_state(engine: sa.Engine, req: BadgeRequest) -> tuple[BadgeState, bool]:
    """What the database knows for ``req``, and whether the repository is private."""
    with engine.connect() as conn:
        repo = records.find_repository(conn, req.owner, req.repo)
        if repo is None:
            ref = req.ref or "(default)"
            return BadgeState(req.owner, req.repo, False, ref, req.flag, req.commit), False
        settings = badge_settings_of(conn, repo.id)
        deleted = None
        if req.commit:
            ref = req.ref or ""
            upload = records.latest_upload(conn, repo.id, sha=ref, flag=req.flag)
        else:
            ref = req.ref or repo.default_branch
            upload = records.latest_upload(conn, repo.id, branch=ref, flag=req.flag)
            deleted = branch_deleted_at(conn, repo.id, ref)
    state = BadgeState(
        req.owner,
        req.repo,
        True,
        ref,
        req.flag,
        req.commit,
        measured=_measured(upload),
        branch_deleted_at=deleted,
        settings=settings,
    )
    return state, bool(repo.private)


class BadgeService:
    """One per process: the local tier, and the way to the shared tier and the database."""

    def __init__(
        self,
        cache: Cache,
        engine: sa.Engine,
        secret_key: str,
        *,
        version_check: float = 0.5,
        max_entries: int = 4096,
    ) -> None:
        self.cache = cache
        self.engine = engine
        self.secret_key = secret_key
        self.version_check = version_check
        self.max_entries = max_entries
        self._local: OrderedDict[BadgeRequest, _Entry] = OrderedDict()
        self._versions: dict[str, tuple[str, float]] = {}
        self._inflight: dict[str, asyncio.Future[_Entry]] = {}
        self.renders = 0  # how many badges this process rendered (misses of both tiers)

    async def get(self, req: BadgeRequest, token: str | None = None) -> Badge:
        repo_key = req.repo_key
        known = self._versions.get(repo_key)
        if known is not None and time.monotonic() - known[1] < self.version_check:
            version = known[0]
        else:
            version = await self._version(repo_key)
        entry = self._local.get(req)
        if entry is None or entry.version != version or entry.expires <= time.time():
            entry = await self._fill(req, version)
        else:
            self._local.move_to_end(req)  # least recently used goes first
        if not entry.private:
            return entry.badge
        if token_matches(self.secret_key, token, entry.token_hash):
            return entry.badge
        return entry.denied

    async def _version(self, repo_key: str) -> str:
        now = time.monotonic()
        known = self._versions.get(repo_key)
        if known is not None:
            if now - known[1] < self.version_check:
                return known[0]
            # one request re-reads the version; the others keep the known one meanwhile, so a
            # burst of 64 connections costs one Redis GET, not 64
            self._versions[repo_key] = (known[0], now)
        try:
            raw = await self.cache.get(VERSION_PREFIX + repo_key)
        except UpstreamUnavailable as exc:
            log.warning("badge version unavailable, using the local copy: %s", exc)
            return known[0] if known is not None else "0"
        version = raw.decode() if raw else "0"
        if len(self._versions) >= 4 * self.max_entries:
            self._versions.clear()  # bounded: unknown repositories must not grow it forever
        self._versions[repo_key] = (version, now)
        return version

    async def _fill(self, req: BadgeRequest, version: str) -> _Entry:
        shared_key = ENTRY_PREFIX + hashlib.sha256(f"{version}\0{req.key()}".encode()).hexdigest()
        pending = self._inflight.get(shared_key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[_Entry] = asyncio.get_running_loop().create_future()
        self._inflight[shared_key] = future
        try:
            entry = await self._shared_or_render(req, shared_key, version)
            self._remember(req, entry)
            future.set_result(entry)
            return entry
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters (if any) get it re-raised
            raise
        finally:
            del self._inflight[shared_key]

    async def _shared_or_render(self, req: BadgeRequest, shared_key: str, version: str) -> _Entry:
        try:
            cached = await self.cache.get(shared_key)
        except UpstreamUnavailable as exc:
            log.warning("shared badge cache unavailable: %s", exc)
            cached = None
        if cached is not None:
            entry = _Entry.loads(cached, version)
            if entry.expires > time.time():
                return entry
        entry = await self._render(req, version)
        ttl = entry.expires - time.time()
        if ttl > 0:
            try:
                await self.cache.set(shared_key, entry.dumps(), min(ttl, SHARED_TTL))
            except UpstreamUnavailable as exc:
                log.warning("shared badge cache unavailable: %s", exc)
        return entry

    async def _render(self, req: BadgeRequest, version: str) -> _Entry:
        state, private = await anyio.to_thread.run_sync(load_state, self.engine, req)
        now = datetime.now(UTC)
        view = decide(state, now)
        hidden = decide(
            BadgeState(req.owner, req.repo, False, state.ref, req.flag, req.commit), now
        )
        scope = "private" if private else "public"
        self.renders += 1

        def draw(message: str, color: str, title: str) -> bytes:
            return badges.render(req.label, message, color, req.style, title=title).encode()

        badge = Badge.make(
            draw(view.message, view.color, view.title), f"{scope}, {view.cache_control}"
        )
        denied = Badge.make(
            draw(hidden.message, hidden.color, hidden.title), f"{scope}, {hidden.cache_control}"
        )
        max_age = PRIVATE_MAX_AGE if private else LOCAL_MAX_AGE
        expires = now.timestamp() + max_age
        if view.valid_until is not None:
            expires = min(expires, view.valid_until.timestamp())
        token_hash = state.settings.token_hash if private else None
        return _Entry(badge, denied, private, token_hash, expires, version)

    def _remember(self, key: BadgeRequest, entry: _Entry) -> None:
        local = self._local
        local[key] = entry
        local.move_to_end(key)
        while len(local) > self.max_entries:
            local.popitem(last=False)

    async def invalidate(self, owner: str, repo: str) -> None:
        """Make every replica drop its badges of ``owner/repo`` (both tiers)."""
        repo_key = f"{owner}/{repo}"
        version = f"{time.time_ns():x}.{secrets.token_hex(4)}"
        self._versions[repo_key] = (version, time.monotonic())
        for key in [k for k in self._local if k.owner == owner and k.repo == repo]:
            del self._local[key]
        await self.cache.set(VERSION_PREFIX + repo_key, version.encode(), VERSION_TTL)


def badge_service_for(services: Any) -> BadgeService:
    """The process's BadgeService for a Services container (made on first use)."""
    service: BadgeService | None = getattr(services, "badge_service", None)
    if service is None:
        service = BadgeService(services.cache, services.engine, services.secret_key)
        services.badge_service = service
    return service


async def invalidate_badges(services: Any, owner: str, repo: str) -> None:
    """Called when a result lands (and on token or settings changes): new badges everywhere
    within a second. Never fails the caller: a cache outage only delays the new badge."""
    try:
        await badge_service_for(services).invalidate(owner, repo)
    except UpstreamUnavailable as exc:
        log.warning("badge invalidation of %s/%s failed: %s", owner, repo, exc)
