"""The push path: a per-repository upload token, and accepting an uploaded report.

`coverhub upload` (and `coverhub collect --upload`) send report files to POST /api/v1/upload;
the server keeps the bytes in storage and queues the same ingestion job every path uses.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import sqlalchemy as sa

from app.db.engine import utcnow
from app.db.schema import upload_tokens
from app.services import records

TOKEN_PREFIX = "chu_"  # noqa: S105 - a prefix that makes leaked tokens recognisable


def hash_upload_token(secret_key: str, token: str) -> str:
    return hmac.new(
        secret_key.encode(), b"upload-token:" + token.encode(), hashlib.sha256
    ).hexdigest()


def rotate_upload_token(conn: sa.Connection, owner: str, name: str, secret_key: str) -> str:
    """A new upload token for the repository (the old one stops working); shown once."""
    repository_id = records.ensure_repository(conn, owner, name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    values = {"token_hash": hash_upload_token(secret_key, token), "rotated_at": utcnow()}
    done = conn.execute(
        upload_tokens.update()
        .where(upload_tokens.c.repository_id == repository_id)
        .values(**values)
    )
    if done.rowcount == 0:
        conn.execute(upload_tokens.insert().values(repository_id=repository_id, **values))
    return token


def check_upload_token(
    conn: sa.Connection, owner: str, name: str, token: str | None, secret_key: str
) -> bool:
    """Does ``token`` open uploads to the repository? (constant-time comparison)"""
    repo = records.find_repository(conn, owner, name)
    if repo is None or not token:
        hmac.compare_digest("0" * 64, "1" * 64)  # same work whether or not the repo exists
        return False
    row = conn.execute(
        sa.select(upload_tokens.c.token_hash).where(upload_tokens.c.repository_id == repo.id)
    ).first()
    stored = row.token_hash if row is not None else "0" * 64
    return hmac.compare_digest(hash_upload_token(secret_key, token), stored) and row is not None
