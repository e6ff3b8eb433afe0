"""Where bench_feedback runs coverhub: the fake GitHub (in this process, timing its requests)
and coverhub as real processes, on embedded defaults, as in production (PostgreSQL, Redis and
moto's S3 server), or embedded with its temporary files on /dev/shm (a what-if)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.procs import free_port, wait_http

ROOT = Path(__file__).resolve().parents[1]


# ============================================================================ the fake GitHub


class Stamped(list):  # type: ignore[type-arg]
    """The fake's request log, with the wall time each request arrived (``item.at``)."""

    def append(self, item: Any) -> None:
        item.at = time.time()
        super().append(item)


class FakeClock:
    """Seconds spent inside the fake GitHub's API handler (its share of a round)."""

    busy = 0.0

    @classmethod
    def install(cls) -> None:
        from tests.support.fake_github.api import Api

        original = Api.handle

        async def handle(self: Any, request: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(self, request)
            finally:
                cls.busy += time.perf_counter() - started

        Api.handle = handle  # type: ignore[method-assign]


def start_fake() -> Any:
    from tests.support.fake_github import FakeGitHub

    FakeClock.install()
    fake = FakeGitHub().start()
    fake.state.requests = Stamped()
    fake.blob.requests = Stamped()
    return fake


# ============================================================================ coverhub processes


@dataclass
class Coverhub:
    """coverhub as real processes (their logs as JSON lines in files)."""

    label: str
    env: dict[str, str]
    workdir: Path
    port: int = field(default_factory=free_port)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self, *args: str) -> None:
        log = self.workdir / f"{args[0]}-{len(self.procs)}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "app.cli", *args],
                    env=self.env,
                    cwd=ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )

    def serve(self) -> None:
        self.start("serve", "--port", str(self.port), "--no-demo")
        wait_http(self.url + "/readyz", procs=self.procs)

    def records(self) -> list[dict[str, Any]]:
        out = []
        for log in self.logs:
            for line in log.read_text(errors="replace").splitlines():
                if line.startswith("{"):
                    with contextlib.suppress(ValueError):
                        out.append(json.loads(line))
        return out

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def app_env(fake: Any, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERHUB_")}
    env.update(
        {
            "COVERHUB_DATA_DIR": str(data_dir),
            "COVERHUB_GITHUB_APP_ID": str(fake.app.app_id),
            "COVERHUB_GITHUB_PRIVATE_KEY": fake.app.private_key_pem,
            "COVERHUB_GITHUB_WEBHOOK_SECRET": fake.app.webhook_secret,
            "COVERHUB_GITHUB_API_URL": fake.url,
            "COVERHUB_LOG_FORMAT": "json",
            "COVERHUB_LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


@contextlib.contextmanager
def embedded(fake: Any, tmp: Path) -> Iterator[Coverhub]:
    hub = Coverhub(
        "embedded: SQLite, local folder, in-process jobs", app_env(fake, tmp / "data"), tmp
    )
    try:
        hub.serve()
        yield hub
    finally:
        hub.stop()


@contextlib.contextmanager
def production(fake: Any, tmp: Path) -> Iterator[Coverhub]:
    """serve + worker on PostgreSQL (a fresh database), Redis (our own server) and moto's S3
    server (its own process, so that it does not share this process with the fake)."""
    from tests.support.servers import RedisServer, postgres_database

    aws = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    s3_port = free_port()
    moto = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(s3_port)],
        env={**os.environ, **aws},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    redis = RedisServer(free_port(), tmp / "redis")
    hub = None
    try:
        wait_http(f"http://127.0.0.1:{s3_port}/moto-api/", procs=[moto])
        redis.start()
        with postgres_database() as pg_url:
            env = app_env(fake, tmp / "data")
            env.update(aws)
            env.update(
                {
                    "COVERHUB_DATABASE_URL": pg_url,
                    "COVERHUB_REDIS_URL": redis.url,
                    "COVERHUB_STORAGE_URL": "s3://bench-reports/coverhub",
                    "COVERHUB_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
                }
            )
            hub = Coverhub(
                "production: serve + worker, PostgreSQL, Redis, S3 (moto server)", env, tmp
            )
            hub.run("migrate")
            hub.serve()
            hub.start("worker")
            try:
                yield hub
            finally:
                hub.stop()
    finally:
        redis.stop()
        moto.terminate()
        moto.wait(30)


@contextlib.contextmanager
def embedded_tmpfs(fake: Any, tmp: Path) -> Iterator[Coverhub]:
    """What-if (COVERHUB_BENCH_TMPFS=1): embedded, with TMPDIR on /dev/shm, so that unpacked
    artifact members never touch the disk (creating a file costs ~0.5 ms on this VM's ext4)."""
    env = {**app_env(fake, tmp / "data"), "TMPDIR": "/dev/shm"}
    hub = Coverhub("what-if: embedded with TMPDIR=/dev/shm (unpacked members in memory)", env, tmp)
    try:
        hub.serve()
        yield hub
    finally:
        hub.stop()
