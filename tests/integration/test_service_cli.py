"""`coverhub serve` on embedded defaults, `coverhub migrate`, and start-up refusals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.servers import free_port, wait_port

ROOT = Path(__file__).resolve().parents[2]
COVERHUB = [sys.executable, "-m", "app.cli"]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERHUB_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "COVERHUB_DATA_DIR": str(tmp_path / "data"),
            "COVERHUB_LOG_FORMAT": "text",
        }
    )
    env.update(extra)
    return env


def test_serve_on_embedded_defaults_seeds_the_demo_and_prints_urls(tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [*COVERHUB, "serve", "--port", str(port)],
        env=clean_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        wait_port("127.0.0.1", port, 30)
        deadline = time.monotonic() + 30
        while "Open:" not in (tmp_path / "serve.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        output = (tmp_path / "serve.log").read_text()
        assert "Demo repository demo/encoding-csv" in output
        urls = [
            word
            for line in output.splitlines()
            if line.startswith("  ")
            for word in line.split()
            if word.startswith("http://")
        ]
        base = f"http://127.0.0.1:{port}"
        assert f"{base}/api/v1/repos/demo/encoding-csv/coverage" in urls
        assert f"{base}/demo/encoding-csv/badge.svg" in urls
        assert f"{base}/demo/encoding-csv/latest" in urls
        for url in urls:
            assert httpx.get(url, timeout=10, follow_redirects=True).status_code == 200, url
        # go test printed 93.1% for the newest demo commit (see app/demo/data)
        coverage = httpx.get(f"{base}/api/v1/repos/demo/encoding-csv/coverage", timeout=10)
        assert coverage.json()["native"]["display"] == "93.1%"
        assert "93.1%" in httpx.get(f"{base}/demo/encoding-csv/badge.svg", timeout=10).text
        page = httpx.get(f"{base}/demo/encoding-csv/latest", timeout=10, follow_redirects=True)
        assert "93.1%" in page.text and "encoding/csv" in page.text
        assert (tmp_path / "data" / "coverhub.sqlite3").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        log.close()
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status says SIGTERM
    assert code == -signal.SIGTERM
    assert "Application shutdown complete" in (tmp_path / "serve.log").read_text()


def test_invalid_settings_stop_start_up_with_one_line_each(tmp_path: Path) -> None:
    env = clean_env(tmp_path, COVERHUB_REDIS_URL="http://nope", COVERHUB_JOB_TIMEOUT="-1")
    result = subprocess.run(
        [*COVERHUB, "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "coverhub: invalid setting: COVERHUB_REDIS_URL='http://nope': must be a"
        " redis://HOST[:PORT][/DB] URL",
        "coverhub: invalid setting: COVERHUB_JOB_TIMEOUT='-1': must be a positive number of"
        " seconds",
    ]


def test_worker_needs_redis(tmp_path: Path) -> None:
    result = subprocess.run(
        [*COVERHUB, "worker"], env=clean_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "COVERHUB_REDIS_URL is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_postgresql_twice(pg_url: str, tmp_path: Path) -> None:
    import sqlalchemy as sa

    from app.db.engine import create_engine, head_revision

    eng = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    eng.dispose()
    env = clean_env(tmp_path, COVERHUB_DATABASE_URL=pg_url)
    first = subprocess.run(
        [*COVERHUB, "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert first.returncode == 0, first.stderr
    head = head_revision()
    assert first.stdout.strip() == f"database migrated from empty to {head}"
    again = subprocess.run(
        [*COVERHUB, "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert again.stdout.strip() == f"database already at revision {head}"


def test_sigterm_lets_an_in_flight_request_finish(tmp_path: Path) -> None:
    import socket

    port = free_port()
    env = clean_env(
        tmp_path,
        COVERHUB_GITHUB_APP_ID="1",
        COVERHUB_GITHUB_PRIVATE_KEY="-----BEGIN RSA PRIVATE KEY-----\\nMIIB\\n"
        "-----END RSA PRIVATE KEY-----\\n",
        COVERHUB_GITHUB_WEBHOOK_SECRET="s",
    )
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [*COVERHUB, "serve", "--port", str(port), "--no-demo"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        wait_port("127.0.0.1", port, 30)
        body = b'{"zen": "Keep it logically awesome."}'
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            # a webhook whose body is still arriving: the request is in flight
            sock.sendall(
                b"POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: ping\r\n"
                b"X-GitHub-Delivery: d-1\r\nX-Hub-Signature-256: sha256=00\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body[:10]
            )
            time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert proc.poll() is None  # still finishing the request
            sock.sendall(body[10:])
            answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 401 ")  # the request was answered, fully
        assert proc.wait(30) == -signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()
