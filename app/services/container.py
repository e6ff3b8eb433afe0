"""The services container: every client the process owns, built from settings in one place.

``create_app`` and ``coverhub worker`` build one of these in their lifespan and close it on the
way out. Tests pass their own implementations instead of patching anything.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import anyio.to_thread
import sqlalchemy as sa

from app.db.engine import create_engine, migrate
from app.errors import UpstreamUnavailable
from app.github.gateway import GitHubGateway
from app.jobs.runner import Handler, JobRunner
from app.jobs.store import JobStore
from app.metrics import Metrics
from app.ports.cache import Cache, MemoryCache, RedisCache
from app.ports.queue import ArqQueue, InProcessQueue, JobQueue
from app.ports.storage import ObjectStore, S3Store, open_store
from app.settings import Settings

log = logging.getLogger("coverhub")


@dataclass
class Services:
    settings: Settings
    engine: sa.Engine
    store: ObjectStore
    cache: Cache
    queue: JobQueue
    jobs: JobStore
    runner: JobRunner
    metrics: Metrics
    secret_key: str = field(repr=False, default="")
    github: GitHubGateway | None = None

    async def close(self) -> None:
        await self.queue.close()
        await self.cache.close()
        await anyio.to_thread.run_sync(self.engine.dispose)

    async def readiness(self) -> dict[str, str]:
        """Each backend: "ok" or why it is not reachable."""
        results: dict[str, str] = {}

        def db_ping() -> None:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))

        checks = {
            "database": lambda: anyio.to_thread.run_sync(db_ping),
            "cache": self.cache.ping,
            "storage": lambda: anyio.to_thread.run_sync(self.store.ping),
            "queue": self.queue.ping,
        }
        for name, check in checks.items():
            try:
                with anyio.fail_after(3):
                    await check()
                results[name] = "ok"
            except TimeoutError:
                results[name] = "no answer within 3 s"
            except UpstreamUnavailable as exc:
                results[name] = str(exc)
            except Exception as exc:
                results[name] = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        return results


def secret_key_for(settings: Settings) -> str:
    """The configured secret key, or one generated once into the data dir and reused."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


def build_services(
    settings: Settings,
    handlers: dict[str, Handler],
    *,
    store: ObjectStore | None = None,
    cache: Cache | None = None,
    queue: JobQueue | None = None,
    metrics: Metrics | None = None,
    github: GitHubGateway | None = None,
    migrate_sqlite: bool = True,
) -> Services:
    """Build every client from settings (synchronous: call it before the event loop work)."""
    engine = create_engine(settings.database_url)
    if migrate_sqlite and settings.database_url.startswith("sqlite"):
        migrate(engine)  # embedded: the database migrates itself
    if store is None:
        store = open_store(settings.storage_url, settings.s3_endpoint_url)
        if isinstance(store, S3Store) and settings.s3_endpoint_url:
            store.ensure_bucket()  # local S3-compatible servers start empty
    if cache is None:
        cache = RedisCache(settings.redis_url) if settings.redis_url else MemoryCache()
    if queue is None:
        queue = ArqQueue(settings.redis_url) if settings.redis_url else InProcessQueue()
    metrics = metrics or Metrics()
    jobs = JobStore(engine)
    services = Services(
        settings=settings,
        engine=engine,
        store=store,
        cache=cache,
        queue=queue,
        jobs=jobs,
        runner=JobRunner(
            jobs,
            queue,
            handlers,
            metrics=metrics,
            job_timeout=settings.job_timeout,
            max_attempts=settings.job_max_attempts,
        ),
        metrics=metrics,
        secret_key=secret_key_for(settings),
    )
    if github is None and settings.github_enabled:
        assert settings.github_app_id is not None and settings.github_private_key is not None
        github = GitHubGateway(
            settings.github_app_id, settings.github_private_key, settings.github_api_url, cache
        )
    services.github = github
    services.runner.services = services
    return services
