"""Durable jobs on SQLite and PostgreSQL: dedupe, retries, dead letters, lost leases, sweeping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.db.engine import create_engine, migrate
from app.jobs.runner import JobContext, JobRunner, PermanentError
from app.jobs.store import JobStore
from app.metrics import Metrics
from app.ports.queue import InProcessQueue
from app.services.selftest import PROBE_JOB, probe_count, probe_job

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        eng = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    else:
        url = request.getfixturevalue("pg_url")
        eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with eng.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate(eng)
    try:
        yield eng
    finally:
        eng.dispose()


class Flaky:
    """A handler failing its first ``failures`` attempts; records the attempts it saw."""

    def __init__(self, failures: int, permanent: bool = False) -> None:
        self.failures = failures
        self.permanent = permanent
        self.attempts: list[int] = []

    async def __call__(self, ctx: JobContext) -> None:
        self.attempts.append(ctx.claim.attempt)
        if len(self.attempts) <= self.failures:
            if self.permanent:
                raise PermanentError("the report is not valid XML")
            raise RuntimeError(f"transient failure {len(self.attempts)}")


@pytest.fixture
async def runner(engine: sa.Engine) -> AsyncIterator[JobRunner]:
    queue = InProcessQueue()
    r = JobRunner(
        JobStore(engine),
        queue,
        {PROBE_JOB: probe_job},
        metrics=Metrics(),
        job_timeout=5,
        max_attempts=3,
    )
    queue.start(r.execute, concurrency=2)
    try:
        yield r
    finally:
        await queue.close(grace=5)


def count(engine: sa.Engine, name: str) -> int:
    with engine.connect() as conn:
        return probe_count(conn, name)


async def wait_status(r: JobRunner, job_id: int, *wanted: str, seconds: float = 10) -> str:
    for _ in range(int(seconds / 0.02)):
        row = r.store.get(job_id)
        if row is not None and row.status in wanted:
            return row.status
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {job_id} not {wanted}: {r.store.get(job_id)}")


async def test_submitted_job_runs_once(runner: JobRunner, engine: sa.Engine) -> None:
    job_id = await runner.submit(PROBE_JOB, {"name": "a"}, key="k-a")
    assert await wait_status(runner, job_id, "done") == "done"
    assert count(engine, "a") == 1


async def test_same_key_is_one_job(runner: JobRunner, engine: sa.Engine) -> None:
    ids = {await runner.submit(PROBE_JOB, {"name": "dup"}, key="k-dup") for _ in range(5)}
    assert len(ids) == 1
    await wait_status(runner, ids.pop(), "done")
    await asyncio.sleep(0.1)
    assert count(engine, "dup") == 1


async def test_duplicate_notifications_run_the_job_once(
    runner: JobRunner, engine: sa.Engine
) -> None:
    job_id = await runner.submit(PROBE_JOB, {"name": "n", "seconds": 0.2}, key="k-n")
    for _ in range(4):
        await runner.queue.enqueue(job_id)
    await wait_status(runner, job_id, "done")
    await asyncio.sleep(0.3)
    assert count(engine, "n") == 1


async def test_failing_job_retries_then_succeeds(
    runner: JobRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.jobs.runner.backoff", lambda attempt: 0.05)
    flaky = Flaky(failures=2)
    runner.handlers["flaky"] = flaky
    job_id = await runner.submit("flaky", {}, key="k-flaky")
    await wait_status(runner, job_id, "done")
    assert flaky.attempts == [1, 2, 3]
    row = runner.store.get(job_id)
    assert row is not None and row.attempts == 3
    assert row.last_error == "RuntimeError: transient failure 2"


async def test_job_that_keeps_failing_stops_with_its_last_error(
    runner: JobRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.jobs.runner.backoff", lambda attempt: 0.05)
    flaky = Flaky(failures=99)
    runner.handlers["flaky"] = flaky
    job_id = await runner.submit("flaky", {}, key="k-dead")
    await wait_status(runner, job_id, "dead")
    await asyncio.sleep(0.3)
    assert flaky.attempts == [1, 2, 3]  # max_attempts, no more
    row = runner.store.get(job_id)
    assert row is not None
    assert (row.status, row.attempts, row.last_error) == (
        "dead",
        3,
        "RuntimeError: transient failure 3",
    )


async def test_permanent_error_is_not_retried(runner: JobRunner) -> None:
    flaky = Flaky(failures=99, permanent=True)
    runner.handlers["flaky"] = flaky
    job_id = await runner.submit("flaky", {}, key="k-perm")
    await wait_status(runner, job_id, "dead")
    assert flaky.attempts == [1]
    row = runner.store.get(job_id)
    assert row is not None and row.last_error == "PermanentError: the report is not valid XML"


async def test_reopen_runs_a_dead_job_again_but_never_a_done_one(
    runner: JobRunner, engine: sa.Engine
) -> None:
    flaky = Flaky(failures=1, permanent=True)
    runner.handlers["flaky"] = flaky
    job_id = await runner.submit("flaky", {}, key="k-reopen")
    await wait_status(runner, job_id, "dead")
    assert await runner.submit("flaky", {}, key="k-reopen") == job_id  # no reopen: nothing
    await asyncio.sleep(0.2)
    assert flaky.attempts == [1]
    assert await runner.submit("flaky", {}, key="k-reopen", reopen=True) == job_id
    await wait_status(runner, job_id, "done")
    assert flaky.attempts == [1, 1]  # attempts start afresh
    await runner.submit("flaky", {}, key="k-reopen", reopen=True)
    await asyncio.sleep(0.2)
    assert flaky.attempts == [1, 1]


async def test_lost_lease_rolls_back_the_effect(engine: sa.Engine) -> None:
    """A worker that outlived its lease cannot commit: the new owner's run is what counts."""
    store = JobStore(engine)
    job_id, _ = store.submit(PROBE_JOB, {"name": "lease"}, "k-lease", 3)
    first = store.claim(job_id, lease_seconds=0.05)
    assert first is not None
    await asyncio.sleep(0.1)  # the first worker stalls past its lease
    second = store.claim(job_id, lease_seconds=30)
    assert second is not None and second.attempt == 2
    assert store.claim(job_id, lease_seconds=30) is None  # held by a live lease now

    def effect(conn: sa.Connection) -> None:
        conn.execute(
            sa.text(
                "INSERT INTO probes (name, count, updated_at)"
                " VALUES ('lease', 1, CURRENT_TIMESTAMP)"
            )
        )

    from app.jobs.store import LeaseLost

    with pytest.raises(LeaseLost):
        store.complete(first, effect)
    assert count(engine, "lease") == 0
    store.complete(second, effect)
    assert count(engine, "lease") == 1


async def test_sweeper_enqueues_jobs_the_queue_lost(engine: sa.Engine) -> None:
    store = JobStore(engine)
    queue = InProcessQueue()
    r = JobRunner(
        store, queue, {PROBE_JOB: probe_job}, metrics=Metrics(), job_timeout=0.2, max_attempts=3
    )
    # recorded but never enqueued (the process died between the insert and the enqueue)
    job_id, _ = store.submit(PROBE_JOB, {"name": "lost"}, "k-lost", 3)
    queue.start(r.execute, concurrency=1)
    try:
        await asyncio.sleep(0.3)
        assert count(engine, "lost") == 0
        assert await r.sweep() == 1
        await wait_status(r, job_id, "done")
        assert count(engine, "lost") == 1
        assert await r.sweep() == 0
    finally:
        await queue.close(grace=1)


async def test_worker_lost_on_last_attempt_ends_dead(engine: sa.Engine) -> None:
    store = JobStore(engine)
    job_id, _ = store.submit(PROBE_JOB, {"name": "x"}, "k-last", max_attempts=1)
    assert store.claim(job_id, lease_seconds=0.01) is not None
    await asyncio.sleep(0.05)
    assert store.claim(job_id, lease_seconds=5) is None
    row = store.get(job_id)
    assert row is not None and row.status == "dead"
    assert row.last_error is not None and "worker lost" in row.last_error


async def test_shutdown_lets_running_jobs_finish(engine: sa.Engine) -> None:
    queue = InProcessQueue()
    r = JobRunner(
        JobStore(engine),
        queue,
        {PROBE_JOB: probe_job},
        metrics=Metrics(),
        job_timeout=5,
        max_attempts=3,
    )
    queue.start(r.execute, concurrency=1)
    job_id = await r.submit(PROBE_JOB, {"name": "grace", "seconds": 0.5}, key="k-grace")
    await wait_status(r, job_id, "running")
    await queue.close(grace=5)
    row = r.store.get(job_id)
    assert row is not None and row.status == "done"
    assert count(engine, "grace") == 1


async def test_metrics_count_outcomes(runner: JobRunner) -> None:
    job_id = await runner.submit(PROBE_JOB, {"name": "m"}, key="k-m")
    await wait_status(runner, job_id, "done")
    await asyncio.sleep(0.05)
    value = runner.metrics.registry.get_sample_value(
        "coverhub_jobs_total", {"kind": PROBE_JOB, "outcome": "done"}
    )
    assert value == 1.0
    assert (
        runner.metrics.registry.get_sample_value(
            "coverhub_job_duration_seconds_count", {"kind": PROBE_JOB, "outcome": "done"}
        )
        == 1.0
    )
