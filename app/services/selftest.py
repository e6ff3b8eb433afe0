"""`selftest.probe` jobs: prove the queue end to end (an operator's `coverhub selftest`).

A probe sleeps for the requested time (so a test can kill a worker mid-job), then increments
its counter in the same transaction that completes the job, so the count says how many times the
job's effect happened: exactly once, whatever crashed in between.
"""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from app.db.engine import utcnow
from app.db.schema import probes
from app.jobs.runner import JobContext

PROBE_JOB = "selftest.probe"
MAX_PROBE_SECONDS = 60.0


async def probe_job(ctx: JobContext) -> None:
    name = str(ctx.payload["name"])
    seconds = min(float(ctx.payload.get("seconds", 0)), MAX_PROBE_SECONDS)
    if seconds > 0:
        await asyncio.sleep(seconds)

    def count(conn: sa.Connection) -> None:
        updated = conn.execute(
            probes.update()
            .where(probes.c.name == name)
            .values(count=probes.c.count + 1, updated_at=utcnow())
        )
        if updated.rowcount == 0:
            conn.execute(probes.insert().values(name=name, count=1, updated_at=utcnow()))

    await ctx.commit(count)


def probe_count(conn: sa.Connection, name: str) -> int:
    row = conn.execute(sa.select(probes.c.count).where(probes.c.name == name)).first()
    return int(row[0]) if row is not None else 0
