"""Per-repository read-side settings in the database: badge thresholds, staleness, badge tokens,
and deleted branches (synchronous, Core only; callers run these in a thread).

Badge tokens are stored as HMAC-SHA256(secret key, token) so that a database dump does not give
working tokens; the token itself is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

import badges
from app.db.engine import as_utc, utcnow
from app.db.schema import badge_settings, branch_states, pull_requests, repositories, uploads
from app.errors import Invalid, NotFound

#: A branch with no new result for this many days gets a grey "stale" badge (per-repo override).
DEFAULT_STALE_DAYS = 30

Thresholds = tuple[tuple[float, str], ...]


@dataclass(frozen=True, slots=True)
class BadgeSettings:
    stale_days: int = DEFAULT_STALE_DAYS
    thresholds: Thresholds = tuple((float(m), c) for m, c in badges.DEFAULT_THRESHOLDS)
    token_hash: str | None = None


def hash_token(secret_key: str, token: str) -> str:
    """The stored form of a badge token."""
    return hmac.new(
        secret_key.encode(), b"badge-token:" + token.encode(), hashlib.sha256
    ).hexdigest()


def token_matches(secret_key: str, token: str | None, stored: str | None) -> bool:
    """Constant-time check of a presented token against the stored hash."""
    if not token or not stored:
        return False
    return hmac.compare_digest(hash_token(secret_key, token), stored)


def parse_thresholds(value: Any) -> Thresholds:
    """Validate thresholds given as [[minimum, colour], ...] or "90:brightgreen,80:green"."""
    if isinstance(value, str):
        pairs: list[tuple[float, str]] = []
        for part in value.split(","):
            minimum, sep, color = part.strip().partition(":")
            if not sep:
                raise Invalid(f"threshold {part.strip()!r}: expected MINIMUM:COLOUR")
            try:
                pairs.append((float(minimum), color.strip()))
            except ValueError:
                raise Invalid(f"threshold {part.strip()!r}: {minimum!r} is not a number") from None
    else:
        try:
            pairs = [(float(m), str(c)) for m, c in value]
        except (TypeError, ValueError) as exc:
            raise Invalid(f"thresholds: expected [[minimum, colour], ...]: {exc}") from None
    try:
        badges.color_for(50, pairs)  # validates ranges, duplicates and colour names
    except (TypeError, ValueError) as exc:
        raise Invalid(f"thresholds: {exc}") from None
    return tuple(sorted(pairs, reverse=True))


def _settings_row(conn: sa.Connection, repository_id: int) -> Any | None:
    return conn.execute(
        sa.select(badge_settings).where(badge_settings.c.repository_id == repository_id)
    ).first()


def badge_settings_of(conn: sa.Connection, repository_id: int) -> BadgeSettings:
    row = _settings_row(conn, repository_id)
    if row is None:
        return BadgeSettings()
    default = BadgeSettings()
    thresholds = row.config_thresholds or row.thresholds
    return BadgeSettings(
        stale_days=row.config_stale_days or row.stale_days or default.stale_days,
        thresholds=parse_thresholds(thresholds) if thresholds else default.thresholds,
        token_hash=row.token_hash,
    )


def _upsert_settings(conn: sa.Connection, repository_id: int, **values: Any) -> None:
    values["updated_at"] = utcnow()
    if _settings_row(conn, repository_id) is None:
        conn.execute(badge_settings.insert().values(repository_id=repository_id, **values))
    else:
        conn.execute(
            badge_settings.update()
            .where(badge_settings.c.repository_id == repository_id)
            .values(**values)
        )


def repository_id_of(conn: sa.Connection, owner: str, name: str) -> int:
    row = conn.execute(
        sa.select(repositories.c.id).where(
            repositories.c.owner == owner, repositories.c.name == name
        )
    ).first()
    if row is None:
        raise NotFound(f"no repository {owner}/{name}")
    return int(row.id)


def set_badge_config(
    conn: sa.Connection,
    repository_id: int,
    *,
    stale_days: int | None = None,
    thresholds: Thresholds | None = None,
    reset: bool = False,
) -> None:
    """The operator's badge settings (``coverhub badge-config``); ``reset`` clears them first
    (back to the config file's keys, else the defaults)."""
    values: dict[str, Any] = {"stale_days": None, "thresholds": None} if reset else {}
    if stale_days is not None:
        if stale_days < 1:
            raise Invalid("stale days must be at least 1")
        values["stale_days"] = stale_days
    if thresholds is not None:
        values["thresholds"] = [[m, c] for m, c in thresholds]
    if values:
        _upsert_settings(conn, repository_id, **values)


def apply_config_badge(
    conn: sa.Connection,
    repository_id: int,
    *,
    thresholds: Thresholds = (),
    stale_days: int | None = None,
) -> bool:
    """Store the badge keys the repository's config file sets (read from its default branch).

    They are kept apart from the operator's (``coverhub badge-config``): a key the file sets wins
    over the operator's value; a key it does not set (empty thresholds, ``stale_days`` None),
    or no longer sets, falls back to the operator's value, else the default. Returns whether
    anything changed (the caller then invalidates the repository's badges). Invalid thresholds
    (which the config parser already reported) count as not set.
    """
    pairs: list[list[Any]] | None = None
    if thresholds:
        try:
            pairs = [[m, c] for m, c in parse_thresholds(thresholds)] or None
        except Invalid:
            pairs = None
    days = stale_days if stale_days is not None and stale_days >= 1 else None
    row = _settings_row(conn, repository_id)
    if row is None:
        if pairs is None and days is None:
            return False
    elif row.config_thresholds == pairs and row.config_stale_days == days:
        return False
    _upsert_settings(conn, repository_id, config_thresholds=pairs, config_stale_days=days)
    return True


def rotate_badge_token(conn: sa.Connection, repository_id: int, secret_key: str) -> str:
    """Make a new badge token (the old one stops working); returns it, it is not stored."""
    token = secrets.token_urlsafe(24)
    _upsert_settings(
        conn, repository_id, token_hash=hash_token(secret_key, token), token_rotated_at=utcnow()
    )
    return token


def revoke_badge_token(conn: sa.Connection, repository_id: int) -> None:
    _upsert_settings(conn, repository_id, token_hash=None, token_rotated_at=utcnow())


def mark_branch_deleted(
    conn: sa.Connection, repository_id: int, branch: str, when: datetime | None = None
) -> None:
    """Record that ``branch`` was deleted; a result landing later revives it."""
    when = when or utcnow()
    ident = sa.and_(branch_states.c.repository_id == repository_id, branch_states.c.name == branch)
    if conn.execute(sa.select(branch_states.c.id).where(ident)).first() is None:
        conn.execute(
            branch_states.insert().values(
                repository_id=repository_id, name=branch, deleted_at=when, updated_at=utcnow()
            )
        )
    else:
        conn.execute(
            branch_states.update().where(ident).values(deleted_at=when, updated_at=utcnow())
        )


def branch_deleted_at(conn: sa.Connection, repository_id: int, branch: str) -> datetime | None:
    row = conn.execute(
        sa.select(branch_states.c.deleted_at).where(
            branch_states.c.repository_id == repository_id, branch_states.c.name == branch
        )
    ).first()
    return as_utc(row.deleted_at) if row is not None else None


def pull_head_sha(conn: sa.Connection, repository_id: int, number: int) -> str | None:
    row = conn.execute(
        sa.select(pull_requests.c.head_sha).where(
            pull_requests.c.repository_id == repository_id, pull_requests.c.number == number
        )
    ).first()
    return str(row.head_sha) if row is not None else None


def flags_of_commit(conn: sa.Connection, repository_id: int, sha: str) -> dict[str, str]:
    """flag -> storage prefix of the newest upload of that flag for the commit."""
    rows = conn.execute(
        sa.select(uploads.c.flag, uploads.c.storage_key)
        .where(
            uploads.c.repository_id == repository_id,
            uploads.c.sha == sha,
            uploads.c.superseded.is_(False),
        )
        .order_by(uploads.c.created_at, uploads.c.id)
    )
    return {str(r.flag): str(r.storage_key) for r in rows}
