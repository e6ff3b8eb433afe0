"""One contract, two job queues: in-process and arq on Redis.

The contract: an enqueued job id reaches a consumer, once per notification, and a deferred one
not before its time. (Durability does not come from the queue; see tests/integration/test_jobs.)
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from app.errors import UpstreamUnavailable
from app.ports.queue import ARQ_FUNCTION, ArqQueue, InProcessQueue, JobQueue, redis_settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


Consume = Callable[[float], Awaitable[list[tuple[int, float]]]]


@pytest.fixture(params=["in-process", "arq"])
async def queue_and_consumer(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[JobQueue, Consume]]:
    """A queue, and ``consume(seconds)``: what a consumer received within that time."""
    received: list[tuple[int, float]] = []
    if request.param == "in-process":
        q = InProcessQueue()

        async def execute(job_id: int) -> None:
            received.append((job_id, time.monotonic()))

        q.start(execute, concurrency=2)

        async def consume(seconds: float) -> list[tuple[int, float]]:
            await asyncio.sleep(seconds)
            return list(received)

        try:
            yield q, consume
        finally:
            await q.close(grace=1)
        return

    from arq.worker import Worker, func

    url = request.getfixturevalue("redis_url")
    name = f"coverhub-test:queue:{uuid.uuid4().hex[:10]}"
    aq = ArqQueue(url, queue_name=name)

    async def run_job(_ctx: dict[str, Any], job_id: int) -> None:
        received.append((job_id, time.monotonic()))

    worker = Worker(
        functions=[func(run_job, name=ARQ_FUNCTION)],
        redis_settings=redis_settings(url),
        queue_name=name,
        handle_signals=False,
        keep_result=0,
        poll_delay=0.05,
    )
    task = asyncio.create_task(worker.main())

    async def consume_arq(seconds: float) -> list[tuple[int, float]]:
        await asyncio.sleep(seconds)
        return list(received)

    try:
        yield aq, consume_arq
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await worker.close()
        await aq.close()


async def test_enqueued_ids_reach_the_consumer(
    queue_and_consumer: tuple[JobQueue, Consume],
) -> None:
    q, consume = queue_and_consumer
    for job_id in (1, 2, 3):
        await q.enqueue(job_id)
    got = await consume(1.0)
    assert sorted(j for j, _ in got) == [1, 2, 3]


async def test_each_notification_is_delivered(queue_and_consumer: tuple[JobQueue, Consume]) -> None:
    """Two notifications for one job arrive twice: deduplication is the job store's claim."""
    q, consume = queue_and_consumer
    await q.enqueue(7)
    await q.enqueue(7)
    got = await consume(1.0)
    assert [j for j, _ in got] == [7, 7]


async def test_deferred_job_waits(queue_and_consumer: tuple[JobQueue, Consume]) -> None:
    q, consume = queue_and_consumer
    start = time.monotonic()
    await q.enqueue(11, defer=0.6)
    early = await consume(0.3)
    assert early == []
    got = await consume(1.2)
    assert [j for j, _ in got] == [11]
    assert got[0][1] - start >= 0.55


async def test_ping(queue_and_consumer: tuple[JobQueue, Consume]) -> None:
    q, _ = queue_and_consumer
    await q.ping()


async def test_unreachable_redis_queue() -> None:
    from tests.support.servers import free_port

    q = ArqQueue(f"redis://127.0.0.1:{free_port()}/0", queue_name="x")
    with pytest.raises(UpstreamUnavailable):
        await q.ping()
    with pytest.raises(UpstreamUnavailable):
        await q.enqueue(1)
    await q.close()
