"""Installations, their repositories and pull requests, as GitHub's webhooks describe them.

Writers take a Connection so they run inside the job's completing transaction. Removed
installations and repositories are marked, never deleted: their history stays readable.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.db.engine import utcnow
from app.db.schema import installations, pull_requests, repositories


def upsert_installation(conn: sa.Connection, inst: dict[str, Any]) -> int:
    account = inst.get("account") or {}
    now = utcnow()
    values = {
        "account_login": str(account.get("login") or ""),
        "account_type": str(account.get("type") or "Organization"),
        "updated_at": now,
        "removed_at": None,
        "suspended_at": now if inst.get("suspended_at") else None,
    }
    iid = int(inst["id"])
    done = conn.execute(installations.update().where(installations.c.id == iid).values(**values))
    if done.rowcount == 0:
        conn.execute(installations.insert().values(id=iid, created_at=now, **values))
    return iid


def ensure_installation(conn: sa.Connection, iid: int) -> None:
    """A row for an installation known only by id (a pull_request event can come first)."""
    exists = conn.execute(sa.select(installations.c.id).where(installations.c.id == iid)).first()
    if exists is None:
        now = utcnow()
        conn.execute(
            installations.insert().values(id=iid, account_login="", created_at=now, updated_at=now)
        )


def mark_installation(
    conn: sa.Connection, iid: int, *, removed: bool = False, suspended: bool | None = None
) -> None:
    now = utcnow()
    values: dict[str, Any] = {"updated_at": now}
    if removed:
        values["removed_at"] = now
    if suspended is not None:
        values["suspended_at"] = now if suspended else None
    conn.execute(installations.update().where(installations.c.id == iid).values(**values))
    if removed:
        conn.execute(
            repositories.update()
            .where(repositories.c.installation_id == iid)
            .values(active=False, updated_at=now)
        )


def upsert_repository(
    conn: sa.Connection, repo: dict[str, Any], installation_id: int | None, *, active: bool = True
) -> int:
    """Record a repository from a webhook's repository object (full or "lite")."""
    full_name = str(repo.get("full_name") or "")
    owner, _, name = full_name.partition("/")
    if not name:
        owner = str((repo.get("owner") or {}).get("login") or "")
        name = str(repo.get("name") or "")
    now = utcnow()
    values: dict[str, Any] = {
        "owner": owner,
        "name": name,
        "private": bool(repo.get("private", False)),
        "active": active,
        "updated_at": now,
    }
    if installation_id is not None:
        ensure_installation(conn, installation_id)
        values["installation_id"] = installation_id
    if repo.get("default_branch"):
        values["default_branch"] = str(repo["default_branch"])
    github_id = repo.get("id")
    row = None
    if github_id is not None:
        row = conn.execute(
            sa.select(repositories.c.id).where(repositories.c.github_id == int(github_id))
        ).first()
    if row is None:
        row = conn.execute(
            sa.select(repositories.c.id).where(
                repositories.c.owner == owner, repositories.c.name == name
            )
        ).first()
    if row is not None:
        if github_id is not None:
            values["github_id"] = int(github_id)
        conn.execute(repositories.update().where(repositories.c.id == row.id).values(**values))
        return int(row.id)
    result = conn.execute(
        repositories.insert().values(
            github_id=int(github_id) if github_id is not None else None, created_at=now, **values
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def deactivate_repository(conn: sa.Connection, github_id: int) -> None:
    conn.execute(
        repositories.update()
        .where(repositories.c.github_id == github_id)
        .values(active=False, updated_at=utcnow())
    )


def repository_active(conn: sa.Connection, repository_id: int) -> bool:
    row = conn.execute(
        sa.select(repositories.c.active, repositories.c.installation_id).where(
            repositories.c.id == repository_id
        )
    ).first()
    return bool(row is not None and row.active)


def upsert_pull_request(conn: sa.Connection, repository_id: int, pr: dict[str, Any]) -> None:
    head = pr.get("head") or {}
    base = pr.get("base") or {}
    head_repo = head.get("repo") or {}
    values = {
        "head_sha": str(head.get("sha") or ""),
        "head_repo": head_repo.get("full_name"),
        "head_ref": head.get("ref"),
        "base_ref": str(base.get("ref") or ""),
        "base_sha": base.get("sha"),
        "state": "merged" if pr.get("merged") else str(pr.get("state") or "open"),
        "updated_at": utcnow(),
    }
    number = int(pr["number"])
    done = conn.execute(
        pull_requests.update()
        .where(pull_requests.c.repository_id == repository_id, pull_requests.c.number == number)
        .values(**values)
    )
    if done.rowcount == 0:
        conn.execute(
            pull_requests.insert().values(repository_id=repository_id, number=number, **values)
        )


def base_ref_of(conn: sa.Connection, repository_id: int, number: int) -> str | None:
    row = conn.execute(
        sa.select(pull_requests.c.base_ref).where(
            pull_requests.c.repository_id == repository_id, pull_requests.c.number == number
        )
    ).first()
    return str(row.base_ref) if row is not None and row.base_ref else None


def pull_requests_for_sha(conn: sa.Connection, repository_id: int, sha: str) -> list[int]:
    rows = conn.execute(
        sa.select(pull_requests.c.number)
        .where(pull_requests.c.repository_id == repository_id, pull_requests.c.head_sha == sha)
        .order_by(pull_requests.c.number)
    )
    return [int(r.number) for r in rows]
