"""`coverhub worker`: runs jobs from the Redis queue (arq), sweeps overdue ones, and completes
check runs left pending too long (app.services.github_sweeper).

arq is driven from our own event loop (not ``Worker.run``) so that we decide what happens on a
signal (stop taking jobs, let running ones finish within the grace period) and on a lost Redis
connection (wait and reconnect: the jobs table keeps the work, the sweeper re-enqueues it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

import anyio.to_thread

from app.jobs.runner import Handler
from app.ports.queue import ARQ_FUNCTION, ArqQueue, redis_settings
from app.services.container import Services, build_services
from app.services.github_sweeper import start_sweepers
from app.settings import Settings

log = logging.getLogger("coverhub.worker")


async def run_worker(
    settings: Settings,
    handlers: dict[str, Handler],
    *,
    stop: asyncio.Event | None = None,
    metrics_port: int | None = None,
) -> None:
    from arq.worker import Worker, func

    if not settings.redis_url:
        raise ValueError(
            "coverhub worker needs COVERHUB_REDIS_URL; on embedded defaults `coverhub serve` runs"
            " the jobs itself"
        )
    services: Services = await anyio.to_thread.run_sync(lambda: build_services(settings, handlers))
    queue = services.queue
    assert isinstance(queue, ArqQueue)
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="127.0.0.1", registry=services.metrics.registry)

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)

    async def run_job(_ctx: dict[str, Any], job_id: int) -> None:
        await services.runner.execute(int(job_id))

    sweepers = start_sweepers(services)
    log.info("worker started", extra={"settings": settings.describe()})
    worker: Any = None
    try:
        while not stop.is_set():
            worker = Worker(
                functions=[
                    func(
                        run_job,  # type: ignore[arg-type]
                        name=ARQ_FUNCTION,
                        timeout=settings.job_timeout + 30,
                    )
                ],
                redis_settings=redis_settings(settings.redis_url),
                queue_name=queue.queue_name,
                handle_signals=False,
                max_jobs=settings.worker_concurrency,
                keep_result=0,
                poll_delay=0.05,  # a new job waits at most this long (20 cheap polls a second)
            )
            main = asyncio.create_task(worker.main())
            stopping = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({main, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if main in done:
                stopping.cancel()
                exc = main.exception()
                log.warning("queue connection lost (%s); reconnecting in 1 s", exc)
                await _finish_tasks(worker, settings.shutdown_grace)
                with contextlib.suppress(Exception):
                    await worker.close()
                await asyncio.sleep(1)
                continue
            # stop requested: take no new jobs, let running ones finish
            worker.allow_pick_jobs = False
            await _finish_tasks(worker, settings.shutdown_grace)
            main.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await main
    finally:
        for sweeper in sweepers:
            sweeper.cancel()
        if worker is not None:
            with contextlib.suppress(Exception):
                await worker.close()
        await services.close()
        log.info("worker stopped")


async def _finish_tasks(worker: Any, grace: float) -> None:
    tasks = [t for t in worker.tasks.values() if not t.done()]
    if not tasks:
        return
    log.info("waiting for %d running job(s), up to %g s", len(tasks), grace)
    _done, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()
