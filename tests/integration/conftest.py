"""Fixtures of the integration tier: production mode as separate processes."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.db.engine import create_engine
from tests.support.processes import COVERHUB, ROOT, Proc
from tests.support.servers import RedisServer


@pytest.fixture
def prod_env(
    pg_url: str, own_redis: RedisServer, s3_endpoint: str, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """Environment for production mode, on a fresh schema of the session's database."""
    eng = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    eng.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERHUB_")}
    env.update(
        {
            "COVERHUB_DATABASE_URL": pg_url,
            "COVERHUB_REDIS_URL": own_redis.url,
            "COVERHUB_STORAGE_URL": f"s3://reports-{uuid.uuid4().hex[:8]}/coverhub",
            "COVERHUB_S3_ENDPOINT_URL": s3_endpoint,
            "COVERHUB_DATA_DIR": str(tmp_path / "data"),
            "COVERHUB_JOB_TIMEOUT": "3",
            "COVERHUB_SWEEP_INTERVAL": "0.5",
            "COVERHUB_SHUTDOWN_GRACE": "10",
            "COVERHUB_LOG_FORMAT": "text",
            "PYTHONPATH": str(ROOT),
        }
    )
    subprocess.run([*COVERHUB, "migrate"], env=env, check=True, capture_output=True, timeout=60)
    yield env


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for proc in started:
        if proc.p.poll() is None:
            proc.stop(signal.SIGKILL)
