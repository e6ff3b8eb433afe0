"""Job notifications: "job N is ready". In-process (embedded) or arq on Redis (production).

The queue never holds the job itself, only its id; the jobs table is the truth (app.jobs), so a
lost or duplicated notification costs at most a sweep interval or one refused claim.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from app.errors import UpstreamUnavailable

log = logging.getLogger("coverhub.queue")

if TYPE_CHECKING:
    from arq.connections import RedisSettings

Execute = Callable[[int], Coroutine[Any, Any, None]]

ARQ_FUNCTION = "coverhub_run_job"


class JobQueue(Protocol):
    async def enqueue(self, job_id: int, defer: float = 0.0) -> None:
        """Ask for job ``job_id`` to run (after ``defer`` seconds)."""
        ...

    async def ping(self) -> None:
        """Raise UpstreamUnavailable if the queue cannot be reached."""
        ...

    async def close(self) -> None: ...


class InProcessQueue:
    """An asyncio queue consumed by worker tasks inside the same process."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._timers: set[asyncio.TimerHandle] = set()
        self._workers: list[asyncio.Task[None]] = []
        self._running: set[asyncio.Task[None]] = set()
        self._closing = False

    async def enqueue(self, job_id: int, defer: float = 0.0) -> None:
        if self._closing:
            return  # the sweeper of the next start picks it up from the database
        if defer > 0:
            loop = asyncio.get_running_loop()
            handle = loop.call_later(defer, self._queue.put_nowait, job_id)
            self._timers.add(handle)
        else:
            self._queue.put_nowait(job_id)

    async def ping(self) -> None:
        if self._closing:
            raise UpstreamUnavailable("in-process queue is shutting down")

    def start(self, execute: Execute, concurrency: int) -> None:
        for n in range(concurrency):
            self._workers.append(asyncio.create_task(self._work(execute), name=f"job-worker-{n}"))

    async def _work(self, execute: Execute) -> None:
        while True:
            job_id = await self._queue.get()
            task = asyncio.create_task(execute(job_id))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            # Cancelling the worker (shutdown) stops it here and leaves the job running: close()
            # waits for it. Never swallow that cancellation, or the worker would go back to
            # waiting for a job that never comes and shutdown would hang.
            await asyncio.shield(task)

    def pending(self) -> int:
        return self._queue.qsize()

    async def drain(self, timeout: float) -> bool:
        """Wait until the queue is empty and nothing runs; False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._queue.qsize() or self._running:
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    async def close(self, grace: float = 30.0) -> None:
        """Stop taking jobs, let running ones finish (up to ``grace`` seconds), then stop."""
        self._closing = True
        for handle in self._timers:
            handle.cancel()
        for worker in self._workers:
            worker.cancel()
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace)
        for task in self._running:
            task.cancel()
        if self._workers:
            await asyncio.wait(self._workers, timeout=5)
        self._workers.clear()


class ArqQueue:
    """Enqueue side of arq: each notification is an arq job calling ``coverhub_run_job(id)``."""

    def __init__(self, redis_url: str, queue_name: str = "coverhub:queue") -> None:
        self.redis_url = redis_url
        self.queue_name = queue_name
        self._pool: object | None = None

    async def _get_pool(self) -> object:
        if self._pool is None:
            import redis.exceptions
            from arq import create_pool

            try:
                self._pool = await create_pool(
                    redis_settings(self.redis_url), default_queue_name=self.queue_name
                )
            except (OSError, redis.exceptions.RedisError) as exc:
                raise UpstreamUnavailable(f"redis queue: {exc}") from exc
        return self._pool

    async def enqueue(self, job_id: int, defer: float = 0.0) -> None:
        import redis.exceptions

        pool = await self._get_pool()
        try:
            await pool.enqueue_job(  # type: ignore[attr-defined]
                ARQ_FUNCTION,
                job_id,
                # a fresh arq id per notification: arq refuses ids it has seen
                _job_id=f"coverhub-{job_id}-{uuid.uuid4().hex[:12]}",
                _defer_by=defer if defer > 0 else None,
                _queue_name=self.queue_name,
            )
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            raise UpstreamUnavailable(f"redis queue: {exc}") from exc

    async def ping(self) -> None:
        import redis.exceptions

        pool = await self._get_pool()
        try:
            await pool.ping()  # type: ignore[attr-defined]
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            raise UpstreamUnavailable(f"redis queue: {exc}") from exc

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()  # type: ignore[attr-defined]
            self._pool = None


def redis_settings(url: str) -> RedisSettings:
    from arq.connections import RedisSettings

    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 2
    settings.conn_retries = 1
    return settings
