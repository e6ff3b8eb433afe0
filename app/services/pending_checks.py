"""The ``pending_checks`` table: check runs coverhub opened as pending, until they are settled.

``github_runs.post_pending_check`` records each one it opens; the stuck-check sweeper
(``github_sweeper``) claims the ones pending for too long, asks GitHub, and settles them. A claim
is one conditional UPDATE (unsettled, not held by a live claim), so two sweepers never work on
the same row at once; ``claimed_until`` also serves as the "not before" of a row put back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.db.engine import as_utc
from app.db.schema import installations, jobs, pending_checks, repositories

MAX_NOTE_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class OpenedCheck:
    """A check run coverhub just opened (or found open) as pending."""

    repository_id: int
    installation_id: int
    head_sha: str
    check_name: str
    check_run_id: int
    workflow_run_id: int
    run_attempt: int
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class ClaimedCheck:
    """A pending check a sweeper holds: what it needs to ask GitHub and to settle the row."""

    id: int
    token: str
    owner: str
    repo: str
    installation_id: int
    head_sha: str
    check_name: str
    check_run_id: int
    workflow_run_id: int
    run_attempt: int
    opened_at: datetime
    tries: int
    #: the App was uninstalled, or the repository removed from the installation (our records)
    uninstalled: bool = False


def record_opened(conn: sa.Connection, opened: OpenedCheck) -> bool:
    """Record ``opened`` unless its check run is recorded already; True if this added it."""
    exists = conn.execute(
        sa.select(pending_checks.c.id).where(pending_checks.c.check_run_id == opened.check_run_id)
    ).first()
    if exists is not None:
        return False
    try:
        with conn.begin_nested():
            conn.execute(
                pending_checks.insert().values(
                    repository_id=opened.repository_id,
                    installation_id=opened.installation_id,
                    head_sha=opened.head_sha,
                    check_name=opened.check_name,
                    check_run_id=opened.check_run_id,
                    workflow_run_id=opened.workflow_run_id,
                    run_attempt=opened.run_attempt,
                    opened_at=opened.opened_at,
                    tries=0,
                )
            )
    except sa.exc.IntegrityError:  # recorded meanwhile by another worker
        return False
    return True


def claim_stuck(
    engine: sa.Engine, *, now: datetime, opened_before: datetime, limit: int, lease: timedelta
) -> list[ClaimedCheck]:
    """Claim up to ``limit`` unsettled rows opened strictly before ``opened_before``, oldest
    first, that no live claim holds; returns them (another sweeper's rows are not included)."""
    token = secrets.token_hex(16)
    free = sa.and_(
        pending_checks.c.settled_at.is_(None),
        sa.or_(pending_checks.c.claimed_until.is_(None), pending_checks.c.claimed_until < now),
    )
    with engine.connect() as conn:
        ids = [
            int(r.id)
            for r in conn.execute(
                sa.select(pending_checks.c.id)
                .where(free, pending_checks.c.opened_at < opened_before)
                .order_by(pending_checks.c.opened_at, pending_checks.c.id)
                .limit(limit)
            )
        ]
    if not ids:
        return []
    with engine.begin() as conn:
        # the condition is evaluated again on each row as it is updated: a row another sweeper
        # claimed since our SELECT no longer matches (PostgreSQL re-checks a row it waited for;
        # SQLite has one writer at a time)
        conn.execute(
            pending_checks.update()
            .where(pending_checks.c.id.in_(ids), free)
            .values(claim_token=token, claimed_until=now + lease)
        )
        uninstalled = sa.or_(
            installations.c.removed_at.is_not(None), repositories.c.active.is_(sa.false())
        )
        rows = conn.execute(
            sa.select(
                pending_checks,
                repositories.c.owner,
                repositories.c.name,
                uninstalled.label("uninstalled"),
            )
            .join(repositories, repositories.c.id == pending_checks.c.repository_id)
            .outerjoin(installations, installations.c.id == pending_checks.c.installation_id)
            .where(pending_checks.c.claim_token == token)
            .order_by(pending_checks.c.opened_at, pending_checks.c.id)
        ).all()
    return [
        ClaimedCheck(
            id=int(r.id),
            token=token,
            owner=str(r.owner),
            repo=str(r.name),
            installation_id=int(r.installation_id),
            head_sha=str(r.head_sha),
            check_name=str(r.check_name),
            check_run_id=int(r.check_run_id),
            workflow_run_id=int(r.workflow_run_id),
            run_attempt=int(r.run_attempt),
            opened_at=as_utc(r.opened_at) or now,
            tries=int(r.tries),
            uninstalled=bool(r.uninstalled),
        )
        for r in rows
    ]


def _held(claim: ClaimedCheck) -> sa.ColumnElement[bool]:
    return sa.and_(
        pending_checks.c.id == claim.id,
        pending_checks.c.claim_token == claim.token,
        pending_checks.c.settled_at.is_(None),
    )


def settle(
    engine: sa.Engine, claim: ClaimedCheck, outcome: str, now: datetime, note: str = ""
) -> bool:
    """Mark the claimed row settled with ``outcome``; False if the claim was no longer ours."""
    with engine.begin() as conn:
        result = conn.execute(
            pending_checks.update()
            .where(_held(claim))
            .values(
                settled_at=now,
                outcome=outcome,
                note=note[:MAX_NOTE_LENGTH] or None,
                claim_token=None,
                claimed_until=None,
            )
        )
    return result.rowcount == 1


def put_back(
    engine: sa.Engine,
    claim: ClaimedCheck,
    not_before: datetime,
    note: str = "",
    *,
    count_try: bool = True,
) -> bool:
    """Release the claimed row, not to be claimed again before ``not_before``."""
    values: dict[str, object] = {"claim_token": None, "claimed_until": not_before}
    if count_try:
        values["tries"] = pending_checks.c.tries + 1
    if note:
        values["note"] = note[:MAX_NOTE_LENGTH]
    with engine.begin() as conn:
        result = conn.execute(pending_checks.update().where(_held(claim)).values(**values))
    return result.rowcount == 1


def job_unfinished(engine: sa.Engine, kind: str, key: str) -> bool:
    """True while a job of ``kind`` keyed ``key`` (or ``key:...``, a re-request) is queued or
    running: its worker will complete the check itself."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(jobs.c.id)
            .where(
                jobs.c.kind == kind,
                jobs.c.status.in_(("queued", "running")),
                sa.or_(jobs.c.key == key, jobs.c.key.startswith(key + ":", autoescape=True)),
            )
            .limit(1)
        ).first()
    return row is not None
