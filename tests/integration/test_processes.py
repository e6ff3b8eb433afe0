"""Production mode as separate processes: `coverhub serve` + `coverhub worker` on PostgreSQL,
Redis and S3; work survives a SIGKILLed worker and a Redis restart, and happens once."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from app.db.engine import create_engine
from app.db.schema import jobs
from app.services.selftest import probe_count
from tests.support.processes import COVERHUB, ROOT, Proc, start
from tests.support.servers import RedisServer, free_port, wait_port


def job_row(env: dict[str, str], name: str) -> sa.Row | None:  # type: ignore[type-arg]
    eng = create_engine(
        env["COVERHUB_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    )
    try:
        with eng.connect() as conn:
            return conn.execute(sa.select(jobs).where(jobs.c.key == f"probe:{name}")).first()
    finally:
        eng.dispose()


def effect_count(env: dict[str, str], name: str) -> int:
    eng = create_engine(
        env["COVERHUB_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    )
    try:
        with eng.connect() as conn:
            return probe_count(conn, name)
    finally:
        eng.dispose()


def wait_until(predicate, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def selftest(
    env: dict[str, str], name: str, seconds: float = 0, timeout: float = 40
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *COVERHUB,
            "selftest",
            "--name",
            name,
            "--seconds",
            str(seconds),
            "--timeout",
            str(timeout),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def test_serve_and_worker_push_a_job_through(
    prod_env: dict[str, str], procs: list[Proc], tmp_path: Path
) -> None:
    port = free_port()
    web = start(procs, tmp_path, prod_env, "serve", "--port", str(port))
    start(procs, tmp_path, prod_env, "worker")
    wait_port("127.0.0.1", port, 30)
    ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {
        "database": "ok",
        "cache": "ok",
        "storage": "ok",
        "queue": "ok",
    }
    probe = selftest(prod_env, "through")
    out, err = probe.communicate(timeout=60)
    assert probe.returncode == 0, out + err + web.output()
    assert "done" in out and "effect count 1" in out
    assert effect_count(prod_env, "through") == 1


def test_killed_worker_mid_job_the_work_completes_once(
    prod_env: dict[str, str], procs: list[Proc], tmp_path: Path
) -> None:
    worker = start(procs, tmp_path, prod_env, "worker")
    probe = selftest(prod_env, "killed", seconds=2, timeout=60)
    wait_until(
        lambda: (r := job_row(prod_env, "killed")) is not None and r.status == "running",
        30,
        "the job to start",
    )
    worker.stop(signal.SIGKILL)
    assert effect_count(prod_env, "killed") == 0
    start(procs, tmp_path, prod_env, "worker")  # a new worker; the sweeper finds the lost lease
    out, err = probe.communicate(timeout=90)
    assert probe.returncode == 0, out + err
    row = job_row(prod_env, "killed")
    assert row is not None and row.status == "done" and row.attempts == 2
    assert effect_count(prod_env, "killed") == 1


def test_redis_restart_with_a_job_queued(
    prod_env: dict[str, str], own_redis: RedisServer, procs: list[Proc], tmp_path: Path
) -> None:
    probe = selftest(prod_env, "restart", timeout=60)  # recorded and queued; no worker yet
    wait_until(lambda: job_row(prod_env, "restart") is not None, 30, "the job to be recorded")
    time.sleep(0.5)
    own_redis.restart()  # the queue (in Redis memory) is gone
    start(procs, tmp_path, prod_env, "worker")
    out, err = probe.communicate(timeout=90)
    assert probe.returncode == 0, out + err
    assert effect_count(prod_env, "restart") == 1


def test_redis_restart_under_a_running_worker(
    prod_env: dict[str, str], own_redis: RedisServer, procs: list[Proc], tmp_path: Path
) -> None:
    worker = start(procs, tmp_path, prod_env, "worker")
    first = selftest(prod_env, "before")
    first.communicate(timeout=60)
    assert first.returncode == 0
    own_redis.restart()
    probe = selftest(prod_env, "after", timeout=60)
    out, err = probe.communicate(timeout=90)
    assert probe.returncode == 0, out + err + worker.output()
    assert effect_count(prod_env, "after") == 1


def test_sigterm_lets_the_running_job_finish(
    prod_env: dict[str, str], procs: list[Proc], tmp_path: Path
) -> None:
    worker = start(procs, tmp_path, prod_env, "worker")
    probe = selftest(prod_env, "graceful", seconds=1.5)
    wait_until(
        lambda: (r := job_row(prod_env, "graceful")) is not None and r.status == "running",
        30,
        "the job to start",
    )
    assert worker.stop(signal.SIGTERM, timeout=30) == 0
    row = job_row(prod_env, "graceful")
    assert row is not None and row.status == "done" and row.attempts == 1
    assert effect_count(prod_env, "graceful") == 1
    probe.communicate(timeout=30)


def test_two_web_and_two_workers_behave_like_one_of_each(
    prod_env: dict[str, str], procs: list[Proc], tmp_path: Path
) -> None:
    ports = [free_port(), free_port()]
    for port in ports:
        start(procs, tmp_path, prod_env, "serve", "--port", str(port))
    one_at_a_time = {**prod_env, "COVERHUB_WORKER_CONCURRENCY": "1"}
    start(procs, tmp_path, one_at_a_time, "worker")
    start(procs, tmp_path, one_at_a_time, "worker")
    names = [f"scale-{n}" for n in range(6)]
    probes = [selftest(prod_env, name, seconds=1.0) for name in names]
    for probe in probes:
        out, err = probe.communicate(timeout=90)
        assert probe.returncode == 0, out + err
    assert [effect_count(prod_env, name) for name in names] == [1] * 6
    for port in ports:
        wait_port("127.0.0.1", port, 30)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code == 200
    # both workers took part (each logs the jobs it finished)
    worker_logs = [p.output() for p in procs if "worker" in p.log.name]
    assert all("outcome=done" in log for log in worker_logs), worker_logs
