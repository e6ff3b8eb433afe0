"""Database reads and writes of repositories, commits and uploads (synchronous, Core only).

Writers take a Connection so that callers can put them inside a job's completing transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.coverage.model import Counts, CoverageReport, LineTotals
from app.db.engine import as_utc, utcnow
from app.db.schema import commits, repositories, upload_files, uploads


@dataclass(frozen=True, slots=True)
class UploadSource:
    """Where an upload came from; together with repo, sha and flag it identifies the upload."""

    kind: str  # "workflow_run", "push", "demo"
    workflow_run_id: int | None = None
    run_attempt: int | None = None
    workflow_name: str | None = None


def ensure_repository(
    conn: sa.Connection,
    owner: str,
    name: str,
    *,
    private: bool = False,
    default_branch: str = "main",
    github_id: int | None = None,
) -> int:
    row = conn.execute(
        sa.select(repositories.c.id).where(
            repositories.c.owner == owner, repositories.c.name == name
        )
    ).first()
    if row is not None:
        return int(row.id)
    now = utcnow()
    result = conn.execute(
        repositories.insert().values(
            owner=owner,
            name=name,
            private=private,
            default_branch=default_branch,
            github_id=github_id,
            created_at=now,
            updated_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def ensure_commit(
    conn: sa.Connection,
    repository_id: int,
    sha: str,
    *,
    branch: str | None = None,
    author: str | None = None,
    committed_at: datetime | None = None,
    parents: Sequence[str] = (),
) -> int:
    row = conn.execute(
        sa.select(commits.c.id, commits.c.branch).where(
            commits.c.repository_id == repository_id, commits.c.sha == sha
        )
    ).first()
    if row is not None:
        if branch and not row.branch:
            conn.execute(commits.update().where(commits.c.id == row.id).values(branch=branch))
        return int(row.id)
    result = conn.execute(
        commits.insert().values(
            repository_id=repository_id,
            sha=sha,
            branch=branch,
            author=author,
            committed_at=committed_at,
            parents=list(parents),
            created_at=utcnow(),
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def lock_commit(conn: sa.Connection, commit_id: int) -> None:
    """Hold the commit's row until the transaction ends (PostgreSQL; SQLite has one writer)."""
    conn.execute(sa.select(commits.c.id).where(commits.c.id == commit_id).with_for_update())


def record_upload(
    conn: sa.Connection,
    *,
    repository_id: int,
    commit_id: int,
    sha: str,
    branch: str | None,
    flag: str,
    source: UploadSource,
    report: CoverageReport,
    storage_key: str,
) -> int:
    """Insert or replace the upload of (repo, sha, flag, source) and its per-file totals."""
    native = report.native_totals()
    # each file's totals once: the report's are their sums (a big report's lines are walked once)
    per_file = {path: (f.line_totals(), f.branch_totals()) for path, f in report.files.items()}
    lines, branches = LineTotals(), Counts()
    for lt, bt in per_file.values():
        lines, branches = lines + lt, branches + bt
    ident = sa.and_(
        uploads.c.repository_id == repository_id,
        uploads.c.sha == sha,
        uploads.c.flag == flag,
        uploads.c.source == source.kind,
        _eq(uploads.c.workflow_run_id, source.workflow_run_id),
        _eq(uploads.c.run_attempt, source.run_attempt),
    )
    old = conn.execute(sa.select(uploads.c.id).where(ident)).first()
    if old is not None:
        conn.execute(upload_files.delete().where(upload_files.c.upload_id == old.id))
        conn.execute(uploads.delete().where(uploads.c.id == old.id))
    result = conn.execute(
        uploads.insert().values(
            repository_id=repository_id,
            commit_id=commit_id,
            sha=sha,
            branch=branch,
            flag=flag,
            source=source.kind,
            workflow_run_id=source.workflow_run_id,
            run_attempt=source.run_attempt,
            workflow_name=source.workflow_name,
            format=report.format,
            storage_key=storage_key,
            native_unit=report.unit,
            native_covered=native.covered,
            native_total=native.total,
            native_display=report.native_display(),
            lines_covered=lines.covered,
            lines_partial=lines.partial,
            lines_total=lines.total,
            branches_covered=branches.covered,
            branches_total=branches.total,
            created_at=utcnow(),
        )
    )
    upload_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    rows = []
    for path, f in report.files.items():
        lt, bt = per_file[path]
        rows.append(
            {
                "upload_id": upload_id,
                "path": path,
                "package": f.package,
                "native_covered": f.native.covered,
                "native_total": f.native.total,
                "lines_covered": lt.covered,
                "lines_partial": lt.partial,
                "lines_total": lt.total,
                "branches_covered": bt.covered,
                "branches_total": bt.total,
            }
        )
    for start in range(0, len(rows), 1000):
        conn.execute(upload_files.insert(), rows[start : start + 1000])
    return upload_id


def _eq(column: Any, value: Any) -> sa.ColumnElement[bool]:
    return column.is_(None) if value is None else column == value  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------ reads


def _upload_dict(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "sha": r.sha,
        "branch": r.branch,
        "flag": r.flag,
        "source": r.source,
        "workflow_run_id": r.workflow_run_id,
        "run_attempt": r.run_attempt,
        "format": r.format,
        "storage_key": r.storage_key,
        "native": {
            "unit": r.native_unit,
            "covered": r.native_covered,
            "total": r.native_total,
            "display": r.native_display,
        },
        "lines": {"covered": r.lines_covered, "partial": r.lines_partial, "total": r.lines_total},
        "branches": {"covered": r.branches_covered, "total": r.branches_total},
        "created_at": as_utc(r.created_at).isoformat(),  # type: ignore[union-attr]
    }


def list_repositories(conn: sa.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(repositories)
        .where(repositories.c.private.is_(False))
        .order_by(repositories.c.owner, repositories.c.name)
    )
    return [
        {
            "owner": r.owner,
            "name": r.name,
            "default_branch": r.default_branch,
            "group": r.group_name,
            "active": r.active,
        }
        for r in rows
    ]


def find_repository(conn: sa.Connection, owner: str, name: str) -> Any | None:
    return conn.execute(
        sa.select(repositories).where(repositories.c.owner == owner, repositories.c.name == name)
    ).first()


def latest_upload(
    conn: sa.Connection,
    repository_id: int,
    *,
    sha: str | None = None,
    branch: str | None = None,
    flag: str = "default",
) -> dict[str, Any] | None:
    query = sa.select(uploads).where(
        uploads.c.repository_id == repository_id,
        uploads.c.flag == flag,
        uploads.c.source == "merged",  # the commit and flag's merged report
    )
    if sha is not None:
        query = query.where(uploads.c.sha == sha)
    if branch is not None:
        query = query.where(uploads.c.branch == branch)
    row = conn.execute(query.order_by(uploads.c.created_at.desc(), uploads.c.id.desc())).first()
    return _upload_dict(row) if row is not None else None


def upload_files_of(conn: sa.Connection, upload_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(upload_files)
        .where(upload_files.c.upload_id == upload_id)
        .order_by(upload_files.c.path)
    )
    return [
        {
            "path": r.path,
            "package": r.package,
            "native": {"covered": r.native_covered, "total": r.native_total},
            "lines": {
                "covered": r.lines_covered,
                "partial": r.lines_partial,
                "total": r.lines_total,
            },
            "branches": {"covered": r.branches_covered, "total": r.branches_total},
        }
        for r in rows
    ]


def branch_history(
    conn: sa.Connection,
    repository_id: int,
    branch: str,
    *,
    flag: str = "default",
    limit: int = 100,
) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(uploads)
        .where(
            uploads.c.repository_id == repository_id,
            uploads.c.branch == branch,
            uploads.c.flag == flag,
            uploads.c.source == "merged",
        )
        .order_by(uploads.c.created_at.desc(), uploads.c.id.desc())
        .limit(limit)
    )
    return [_upload_dict(r) for r in rows]
