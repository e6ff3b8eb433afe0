"""The ``jobs`` table: submit, claim, complete, fail, and what the sweeper finds overdue."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa

from app.db.engine import as_utc, utcnow
from app.db.schema import jobs

T = TypeVar("T")

MAX_ERROR_LENGTH = 4000


class LeaseLost(Exception):
    """The job was taken over by another worker (our lease expired); our work is rolled back."""


@dataclass(frozen=True, slots=True)
class Claim:
    job_id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    token: str


@dataclass(frozen=True, slots=True)
class JobRow:
    id: int
    kind: str
    key: str
    status: str
    attempts: int
    max_attempts: int
    last_error: str | None
    payload: dict[str, Any]
    finished_at: datetime | None


def _row(r: Any) -> JobRow:
    return JobRow(
        r.id,
        r.kind,
        r.key,
        r.status,
        r.attempts,
        r.max_attempts,
        r.last_error,
        r.payload,
        as_utc(r.finished_at),
    )


class JobStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def submit(
        self,
        kind: str,
        payload: dict[str, Any],
        key: str,
        max_attempts: int,
        *,
        reopen: bool = False,
    ) -> tuple[int, bool]:
        """Record a job in its own transaction; see :meth:`submit_in`."""
        with self.engine.begin() as conn:
            return self.submit_in(conn, kind, payload, key, max_attempts, reopen=reopen)

    def submit_in(
        self,
        conn: sa.Connection,
        kind: str,
        payload: dict[str, Any],
        key: str,
        max_attempts: int,
        *,
        reopen: bool = False,
    ) -> tuple[int, bool]:
        """Record a job inside the caller's transaction; returns (id, is_new).

        A known key returns the existing job. With ``reopen``, a known job that ended ``dead`` is
        queued again with fresh attempts (a webhook redelivered after a failure is processed
        again); a ``done`` one never is. The job counts as enqueued from now: the caller
        enqueues it right after the commit, and if that fails the sweeper does it later.
        """
        now = utcnow()
        existing = conn.execute(sa.select(jobs.c.id, jobs.c.status).where(jobs.c.key == key))
        row = existing.first()
        if row is None:
            try:
                with conn.begin_nested():
                    result = conn.execute(
                        jobs.insert().values(
                            kind=kind,
                            key=key,
                            payload=payload,
                            status="queued",
                            attempts=0,
                            max_attempts=max_attempts,
                            run_after=now,
                            enqueued_at=now,
                            created_at=now,
                        )
                    )
                new_id = result.inserted_primary_key
                assert new_id is not None
                return int(new_id[0]), True
            except sa.exc.IntegrityError:
                row = conn.execute(
                    sa.select(jobs.c.id, jobs.c.status).where(jobs.c.key == key)
                ).one()
        if reopen and row.status == "dead":
            conn.execute(
                jobs.update()
                .where(jobs.c.id == row.id, jobs.c.status == "dead")
                .values(
                    status="queued",
                    attempts=0,
                    run_after=now,
                    payload=payload,
                    finished_at=None,
                    enqueued_at=now,
                    max_attempts=max_attempts,
                )
            )
            return int(row.id), True
        return int(row.id), False

    def mark_enqueued(self, job_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(jobs.update().where(jobs.c.id == job_id).values(enqueued_at=utcnow()))

    def claim(self, job_id: int, lease_seconds: float) -> Claim | None:
        """Take the job if it is due and not held by a live lease; None if not ours to run."""
        now = utcnow()
        token = secrets.token_hex(16)
        runnable = sa.or_(
            sa.and_(jobs.c.status == "queued", jobs.c.run_after <= now),
            sa.and_(jobs.c.status == "running", jobs.c.lease_until < now),
        )
        with self.engine.begin() as conn:
            # A job whose worker vanished after its last allowed attempt is dead, not retried.
            conn.execute(
                jobs.update()
                .where(
                    jobs.c.id == job_id,
                    jobs.c.status == "running",
                    jobs.c.lease_until < now,
                    jobs.c.attempts >= jobs.c.max_attempts,
                )
                .values(
                    status="dead",
                    finished_at=now,
                    lease_token=None,
                    last_error=sa.func.coalesce(jobs.c.last_error, "")
                    + "worker lost during the last attempt (lease expired)",
                )
            )
            result = conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id, runnable)
                .values(
                    status="running",
                    attempts=jobs.c.attempts + 1,
                    lease_token=token,
                    lease_until=now + timedelta(seconds=lease_seconds),
                )
            )
            if result.rowcount != 1:
                return None
            r = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).one()
        return Claim(r.id, r.kind, r.payload, r.attempts, r.max_attempts, token)

    def _owned(self, claim: Claim) -> sa.ColumnElement[bool]:
        return sa.and_(jobs.c.id == claim.job_id, jobs.c.lease_token == claim.token)

    def complete(
        self,
        claim: Claim,
        work: Callable[[sa.Connection], T] | None = None,
        *,
        finish: bool = True,
        lease_seconds: float | None = None,
    ) -> T | None:
        """Run ``work(conn)`` and mark the job done, in one transaction.

        With ``finish=False`` the job stays running (a step of a longer job): the transaction
        only checks that the lease is still ours and extends it by ``lease_seconds``.
        Raises LeaseLost (and rolls ``work`` back) if another worker took the job meanwhile.
        """
        with self.engine.begin() as conn:
            result = work(conn) if work is not None else None
            if finish:
                values: dict[str, Any] = {
                    "status": "done",
                    "finished_at": utcnow(),
                    "lease_token": None,
                    "lease_until": None,
                }
            else:
                values = {"lease_until": utcnow() + timedelta(seconds=lease_seconds or 60)}
            done = conn.execute(
                jobs.update().where(self._owned(claim), jobs.c.status == "running").values(**values)
            )
            if done.rowcount != 1:
                raise LeaseLost(f"job {claim.job_id} was taken over; its effects were rolled back")
        return result

    def fail(self, claim: Claim, error: str, retry_in: float) -> str:
        """Record a failed attempt: queue a retry after ``retry_in`` seconds, or end it dead."""
        now = utcnow()
        final = claim.attempt >= claim.max_attempts
        values: dict[str, Any] = {
            "last_error": error[:MAX_ERROR_LENGTH],
            "lease_token": None,
            "lease_until": None,
        }
        if final:
            values.update(status="dead", finished_at=now)
        else:
            values.update(
                status="queued", run_after=now + timedelta(seconds=retry_in), enqueued_at=now
            )
        with self.engine.begin() as conn:
            conn.execute(jobs.update().where(self._owned(claim)).values(**values))
        return "dead" if final else "retry"

    def overdue(self, stale_seconds: float, limit: int = 500) -> list[int]:
        """Unfinished jobs the queue may have lost: due but not enqueued recently, or lease over."""
        now = utcnow()
        stale = now - timedelta(seconds=stale_seconds)
        query = (
            sa.select(jobs.c.id)
            .where(
                sa.or_(
                    sa.and_(
                        jobs.c.status == "queued",
                        jobs.c.run_after <= now,
                        sa.or_(jobs.c.enqueued_at.is_(None), jobs.c.enqueued_at < stale),
                    ),
                    sa.and_(jobs.c.status == "running", jobs.c.lease_until < now),
                )
            )
            .order_by(jobs.c.run_after)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [int(r.id) for r in conn.execute(query)]

    def get(self, job_id: int) -> JobRow | None:
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
        return _row(r) if r is not None else None

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(jobs.c.status, sa.func.count()).group_by(jobs.c.status))
            return {str(status): int(n) for status, n in rows}
