"""Start (or find) the real servers the tests use: PostgreSQL, Redis, an S3-compatible server.

Each test session gets its own PostgreSQL database, its own Redis database index and key
namespace, and its own S3 server, so parallel runs never clobber each other.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PG_ADMIN_URL = os.environ.get(
    "CH_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_port(host: str, port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not port_open(host, port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing listens on {host}:{port} after {seconds} s")
        time.sleep(0.1)


# ----------------------------------------------------------------------------- PostgreSQL


def ensure_postgres() -> None:
    """Start the machine's PostgreSQL cluster if it is down (as the README promises)."""
    if port_open("127.0.0.1", 5432):
        return
    versions = sorted(Path(p).name for p in glob.glob("/etc/postgresql/*"))
    if not versions or not shutil.which("pg_ctlcluster"):
        raise RuntimeError(
            "PostgreSQL is not running on 127.0.0.1:5432 and no cluster to start was found"
            " (set CH_TEST_PG_ADMIN_URL to use another server)"
        )
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
        check=True,
    )
    wait_port("127.0.0.1", 5432, 30)


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty database for this session; dropped afterwards. Yields its URL."""
    import sqlalchemy as sa

    ensure_postgres()
    name = f"coverhub_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin_url = PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ----------------------------------------------------------------------------- Redis


@dataclass
class RedisServer:
    """A redis-server process of our own (so a test may stop and restart it)."""

    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port("127.0.0.1", self.port, 10)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def restart(self) -> None:
        """Stop and start again: like a production restart, the data is gone."""
        self.stop()
        self.start()


def shared_redis_url() -> str:
    """The machine's Redis (started if needed) on a database index chosen for this session."""
    if not port_open("127.0.0.1", 6379):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("Redis is not running and redis-server is not installed")
        subprocess.run(
            [
                binary,
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
        )
        wait_port("127.0.0.1", 6379, 10)
    # databases 1..15, picked by pid; keys are namespaced per session too
    return f"redis://127.0.0.1:6379/{1 + os.getpid() % 15}"


# ----------------------------------------------------------------------------- S3 (moto)


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3-compatible server on a free loopback port; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    wait_port("127.0.0.1", port, 10)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
