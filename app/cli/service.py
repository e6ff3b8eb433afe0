"""Service commands: serve, worker, migrate, selftest."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
from typing import Any

from app.settings import Settings, from_environ


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser("serve", help="run the web service (and, embedded, the jobs)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-demo", action="store_true", help="do not seed the demo repository")
    serve.set_defaults(func=cmd_serve)

    worker = subparsers.add_parser("worker", help="run jobs from the Redis queue")
    worker.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve this worker's Prometheus metrics on 127.0.0.1:PORT",
    )
    worker.set_defaults(func=cmd_worker)

    migrate = subparsers.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(func=cmd_migrate)

    selftest = subparsers.add_parser(
        "selftest", help="push a probe job through the queue and wait until a worker ran it"
    )
    selftest.add_argument("--seconds", type=float, default=0.0, help="how long the job sleeps")
    selftest.add_argument("--timeout", type=float, default=60.0)
    selftest.add_argument("--name", default=None, help="probe name (default: random)")
    selftest.set_defaults(func=cmd_selftest)


def _settings() -> Settings:
    from app.logging import configure

    settings = from_environ()
    configure(settings.log_level, settings.log_format)
    return settings


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.web.app import create_app

    settings = _settings()
    on_ready = None
    if settings.embedded and not args.no_demo:
        on_ready = _demo_announcer(settings, args.host, args.port)
    app = create_app(settings, on_ready=on_ready)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,  # RequestContext logs requests (sampled on hot paths)
        log_config=None,  # keep our structured logging
        timeout_graceful_shutdown=int(settings.shutdown_grace),
        lifespan="on",
    )
    return 0


def _demo_announcer(settings: Settings, host: str, port: int) -> Any:
    async def on_ready(services: Any) -> None:
        from app import demo

        async def run() -> None:
            await demo.seed(services)
            base = f"http://{host}:{port}"
            print(
                "\ncoverhub is running on embedded defaults "
                f"(SQLite, folder and in-process jobs under {settings.data_dir}).\n"
                f"Demo repository {demo.OWNER}/{demo.REPO} seeded from real `go test` profiles of"
                " Go's encoding/csv (3 commits on main). Open:\n"
                f"  report   {base}/{demo.OWNER}/{demo.REPO}/latest\n"
                f"  badge    {base}/{demo.OWNER}/{demo.REPO}/badge.svg\n"
                f"  API      {base}/api/v1/repos/{demo.OWNER}/{demo.REPO}/coverage\n"
                f"  history  {base}/api/v1/repos/{demo.OWNER}/{demo.REPO}/branches/main/history\n"
                f"  health   {base}/readyz   {base}/healthz   {base}/metrics\n",
                file=sys.stderr,
                flush=True,
            )

        asyncio.get_running_loop().create_task(run())

    return on_ready


def cmd_worker(args: argparse.Namespace) -> int:
    import uvloop

    from app.services.handlers import HANDLERS
    from app.worker import run_worker

    settings = _settings()
    if not settings.redis_url:
        print(
            "coverhub worker: COVERHUB_REDIS_URL is not set; on embedded defaults"
            " `coverhub serve` runs the jobs itself",
            file=sys.stderr,
        )
        return 2
    uvloop.run(run_worker(settings, HANDLERS, metrics_port=args.metrics_port))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from app.db.engine import create_engine, migrate, wait_for

    settings = _settings()
    engine = create_engine(settings.database_url)
    wait_for(engine, 30)
    before, after = migrate(engine)
    engine.dispose()
    if before == after:
        print(f"database already at revision {after}")
    else:
        print(f"database migrated from {before or 'empty'} to {after}")
    return 0


def cmd_selftest(args: argparse.Namespace) -> int:
    settings = _settings()
    if not settings.redis_url:
        print(
            "coverhub selftest: needs COVERHUB_REDIS_URL (a shared queue with a worker)",
            file=sys.stderr,
        )
        return 2
    return asyncio.run(_selftest(settings, args))


async def _selftest(settings: Settings, args: argparse.Namespace) -> int:
    from app.demo import wait_for_job
    from app.services.container import build_services
    from app.services.handlers import HANDLERS
    from app.services.selftest import PROBE_JOB, probe_count

    services = await asyncio.to_thread(build_services, settings, HANDLERS)
    try:
        name = args.name or f"selftest-{secrets.token_hex(4)}"
        started = time.monotonic()
        job_id = await services.runner.submit(
            PROBE_JOB, {"name": name, "seconds": args.seconds}, key=f"probe:{name}"
        )
        status = await wait_for_job(services, job_id, args.timeout)

        def count() -> int:
            with services.engine.connect() as conn:
                return probe_count(conn, name)

        n = await asyncio.to_thread(count)
        elapsed = time.monotonic() - started
        print(f"job {job_id} ({name}): {status} in {elapsed:.2f} s; effect count {n}")
        return 0 if status == "done" and n == 1 else 1
    finally:
        await services.close()
