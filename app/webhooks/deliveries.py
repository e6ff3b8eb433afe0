"""The webhook_deliveries table: one row per X-GitHub-Delivery, with what became of it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.db.engine import utcnow
from app.db.schema import webhook_deliveries

MAX_ERROR = 4000


def record(
    conn: sa.Connection, delivery_id: str, event: str, action: str | None
) -> tuple[int, str]:
    """Insert the delivery if new; returns (row id, its status before this call or 'new')."""
    row = conn.execute(
        sa.select(webhook_deliveries.c.id, webhook_deliveries.c.status).where(
            webhook_deliveries.c.delivery_id == delivery_id
        )
    ).first()
    if row is not None:
        return int(row.id), str(row.status)
    try:
        with conn.begin_nested():
            result = conn.execute(
                webhook_deliveries.insert().values(
                    delivery_id=delivery_id,
                    event=event,
                    action=action,
                    received_at=utcnow(),
                    status="received",
                    attempts=0,
                )
            )
    except sa.exc.IntegrityError:  # the same delivery, concurrently
        again = conn.execute(
            sa.select(webhook_deliveries.c.id, webhook_deliveries.c.status).where(
                webhook_deliveries.c.delivery_id == delivery_id
            )
        ).one()
        return int(again.id), str(again.status)
    return int(result.inserted_primary_key[0]), "new"  # type: ignore[index]


def set_status(
    conn: sa.Connection,
    delivery_id: str,
    status: str,
    *,
    error: str | None = None,
    attempt: bool = False,
    job_id: int | None = None,
) -> None:
    values: dict[str, Any] = {"status": status}
    if error is not None:
        values["last_error"] = error[:MAX_ERROR]
    if attempt:
        values["attempts"] = webhook_deliveries.c.attempts + 1
    if job_id is not None:
        values["job_id"] = job_id
    conn.execute(
        webhook_deliveries.update()
        .where(webhook_deliveries.c.delivery_id == delivery_id)
        .values(**values)
    )


def mark_queued(conn: sa.Connection, delivery_id: str) -> None:
    """received/failed -> queued (done and ignored deliveries keep their status)."""
    conn.execute(
        webhook_deliveries.update()
        .where(
            webhook_deliveries.c.delivery_id == delivery_id,
            webhook_deliveries.c.status.in_(("received", "failed")),
        )
        .values(status="queued")
    )


def set_job(conn: sa.Connection, delivery_id: str, job_id: int) -> None:
    conn.execute(
        webhook_deliveries.update()
        .where(webhook_deliveries.c.delivery_id == delivery_id)
        .values(job_id=job_id)
    )


def get(conn: sa.Connection, delivery_id: str) -> Any:
    return conn.execute(
        sa.select(webhook_deliveries).where(webhook_deliveries.c.delivery_id == delivery_id)
    ).first()
