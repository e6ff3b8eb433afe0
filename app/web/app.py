"""The application factory: ``create_app(settings)`` -> Starlette, with a lifespan owning clients.

Run it with ``coverhub serve`` (uvicorn with uvloop and httptools). Tests call ``create_app``
with their own settings and, where they want, their own port implementations.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from app.errors import AppError
from app.jobs.runner import Handler
from app.metrics import Metrics
from app.ports.cache import Cache
from app.ports.queue import InProcessQueue, JobQueue
from app.ports.storage import ObjectStore
from app.services.container import Services, build_services
from app.services.github_sweeper import start_sweepers
from app.settings import Settings, from_environ
from app.web import api, badges, health, reports, upload, webhooks
from app.web.errors import app_error, unexpected_error
from app.web.fastpath import CoverhubApp
from app.web.middleware import RequestContext

log = logging.getLogger("coverhub")


def routes() -> list[Route]:
    return [
        # badges first: the hottest path matches at the first routes it tries
        Route("/{owner}/{repo}/badge.svg", badges.branch_badge, methods=["GET"]),
        Route("/{owner}/{repo}/commit/{sha}/badge.svg", badges.commit_badge, methods=["GET"]),
        Route("/badge/{owner}/{repo}.svg", badges.branch_badge, methods=["GET"]),
        Route("/healthz", health.healthz),
        Route("/readyz", health.readyz),
        Route("/metrics", health.metrics),
        Route("/webhooks/github", webhooks.github_webhook, methods=["POST"]),
        Route("/api/v1/repos/{owner}/{repo}/uploads", upload.upload, methods=["POST"]),
        Route("/api/v1/repos", api.list_repos),
        Route("/api/v1/repos/{owner}/{repo}/coverage", api.repo_coverage),
        Route("/api/v1/repos/{owner}/{repo}/commits/{sha}", api.commit_coverage),
        Route("/api/v1/repos/{owner}/{repo}/branches/{branch:path}/history", api.branch_history),
        Route("/badge/redirect/{owner}/{repo}/", reports.latest),
        Route("/{owner}/{repo}/latest", reports.latest),
        Route("/{owner}/{repo}/tree/{branch:path}", reports.latest),
        Route("/{owner}/{repo}/pull/{number}", reports.pull),
        Route("/{owner}/{repo}/commit/{sha}/", reports.commit_report),
        Route("/{owner}/{repo}/commit/{sha}/{rest:path}", reports.commit_report),
    ]


def create_app(
    settings: Settings | None = None,
    *,
    handlers: dict[str, Handler] | None = None,
    store: ObjectStore | None = None,
    cache: Cache | None = None,
    queue: JobQueue | None = None,
    github: Any = None,
    run_jobs_in_process: bool | None = None,
    on_ready: Any = None,
) -> Starlette:
    """Build the ASGI app. Clients are created in the lifespan, not here.

    ``run_jobs_in_process`` defaults to True when the queue is in-process (embedded mode): the
    web process then also runs the jobs and the sweepers (lost jobs; stuck check runs when the
    GitHub App is configured). ``on_ready(services)`` is awaited once
    everything is up (the demo seed uses it).
    """
    if settings is None:
        settings = from_environ()
    if handlers is None:
        from app.services.handlers import HANDLERS

        handlers = HANDLERS
    table = routes()
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        services: Services = await anyio.to_thread.run_sync(
            lambda: build_services(
                settings,
                handlers,
                store=store,
                cache=cache,
                queue=queue,
                metrics=metrics,
                github=github,
            )
        )
        app.state.services = services
        background: list[asyncio.Task[None]] = []
        in_process = isinstance(services.queue, InProcessQueue)
        if run_jobs_in_process if run_jobs_in_process is not None else in_process:
            if isinstance(services.queue, InProcessQueue):
                services.queue.start(_execute(services), settings.worker_concurrency)
            background += start_sweepers(services)
        log.info("coverhub ready", extra={"settings": services.settings.describe()})
        if on_ready is not None:
            await on_ready(services)
        try:
            yield {"services": services}
        finally:
            for task in background:
                task.cancel()
            if isinstance(services.queue, InProcessQueue):
                await services.queue.close(grace=settings.shutdown_grace)
            await services.close()

    app = CoverhubApp(
        routes=table,
        lifespan=lifespan,
        exception_handlers={AppError: app_error, Exception: unexpected_error},
        middleware=[
            Middleware(RequestContext, metrics=metrics, routes=table, log_sample=badges.log_sample)
        ],
    )
    app.enable_badge_fast_path(metrics)
    return app


def _execute(services: Services) -> Any:
    async def execute(job_id: int) -> None:
        await services.runner.execute(job_id)

    return execute
