"""The push path: upload tokens, POST /api/v1/repos/{owner}/{repo}/uploads, `coverhub upload`
and `coverhub collect --upload`, end to end on a real `coverhub serve`."""

from __future__ import annotations

import io
import json
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.services.uploads import rotate_upload_token
from app.web.app import create_app
from app.web.upload import MAX_UPLOAD_BYTES
from tests.support.processes import COVERHUB, ROOT
from tests.support.servers import free_port, wait_port

SHA = "c" * 40
PROFILE = b"mode: set\nexample.com/m/a.go:3.2,4.10 2 1\nexample.com/m/a.go:5.2,6.10 3 0\n"


@pytest.fixture
def client(settings_factory) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(settings_factory(sweep_interval="0.2"))) as c:
        yield c


def token_for(client: TestClient, owner: str = "octo", repo: str = "app") -> str:
    services = client.app.state.services  # type: ignore[attr-defined]
    with services.engine.begin() as conn:
        return rotate_upload_token(conn, owner, repo, services.secret_key)


def post(client: TestClient, body: bytes, token: str | None, **params: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    query = {"sha": SHA, **params}
    return client.post(
        "/api/v1/repos/octo/app/uploads", params=query, content=body, headers=headers
    )


def wait_coverage(client: TestClient, sha: str = SHA, flag: str = "default") -> Any:
    for _ in range(300):
        r = client.get(f"/api/v1/repos/octo/app/commits/{sha}", params={"flag": flag})
        if r.status_code == 200:
            return r.json()
        time.sleep(0.03)
    raise AssertionError(r.text)


def test_upload_one_file(client: TestClient) -> None:
    token = token_for(client)
    r = post(client, PROFILE, token, name="cover.out", branch="main")
    assert r.status_code == 202, r.text
    data = wait_coverage(client)
    assert (data["native"]["display"], data["branch"]) == ("40.0%", "main")  # go: 2 of 5


def test_upload_a_zip_of_several_reports(client: TestClient) -> None:
    token = token_for(client)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a/cover.out", PROFILE)
        zf.writestr("b/cover.out", b"mode: set\nexample.com/m/a.go:5.2,6.10 3 1\n")
    r = post(client, buf.getvalue(), token, name="upload.zip", flag="unit")
    assert r.status_code == 202, r.text
    data = wait_coverage(client, flag="unit")
    assert (data["native"]["covered"], data["native"]["total"]) == (5, 5)


@pytest.mark.parametrize("token", [None, "chu_wrong", ""])
def test_without_the_right_token_is_401(client: TestClient, token: str | None) -> None:
    token_for(client)
    r = post(client, PROFILE, token)
    assert r.status_code == 401
    assert r.json()["message"] == "no valid upload token for octo/app"


def test_token_of_another_repository_is_refused_and_rotation_revokes(client: TestClient) -> None:
    other = token_for(client, "octo", "other")
    assert post(client, PROFILE, other).status_code == 401
    old = token_for(client)
    new = token_for(client)
    assert post(client, PROFILE, old).status_code == 401
    assert post(client, PROFILE, new).status_code == 202


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"sha": "abc"}, "'sha'"),
        ({"sha": "C" * 40}, "'sha'"),
        ({"flag": "a/b"}, "'flag'"),
        ({"name": "../x"}, "'name'"),
        ({"branch": "b" * 256}, "'branch'"),
    ],
)
def test_bad_parameters_are_400(client: TestClient, params: dict[str, str], problem: str) -> None:
    r = post(client, PROFILE, token_for(client), **params)
    assert r.status_code == 400 and problem in r.json()["message"]


def test_size_at_the_limit_and_past_it(client: TestClient) -> None:
    token = token_for(client)
    at_limit = b"\n" * MAX_UPLOAD_BYTES
    assert post(client, at_limit, token, name="blank.txt").status_code == 202
    assert post(client, at_limit + b"\n", token, name="blank.txt").status_code == 413
    assert post(client, b"", token).status_code == 400


def test_not_coverage_is_accepted_then_ends_with_a_reason(client: TestClient) -> None:
    from app.db.schema import jobs

    token = token_for(client)
    assert post(client, b"hello", token, name="notes.txt").status_code == 202
    services = client.app.state.services  # type: ignore[attr-defined]
    import sqlalchemy as sa

    for _ in range(300):
        with services.engine.connect() as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.kind == "ingest.files")).first()
        if row is not None and row.status == "dead":
            break
        time.sleep(0.03)
    assert row.status == "dead"
    assert "notes.txt: no coverage file found in it" in row.last_error


class _Goverage(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(PROFILE.rstrip(b"\n"))  # goverage: no trailing newline

    def log_message(self, *args: Any) -> None:
        pass


def test_cli_upload_and_collect_upload_against_a_real_server(tmp_path: Path) -> None:
    import os
    import signal

    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERHUB_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "COVERHUB_DATA_DIR": str(tmp_path / "data"),
            "COVERHUB_LOG_FORMAT": "text",
        }
    )
    rotated = subprocess.run(
        [*COVERHUB, "upload-token", "rotate", "octo/app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rotated.returncode == 0, rotated.stderr
    token = rotated.stdout.strip()
    assert token.startswith("chu_") and "shown once" in rotated.stderr
    port = free_port()
    server = subprocess.Popen(
        [*COVERHUB, "serve", "--port", str(port), "--no-demo"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    svc = ThreadingHTTPServer(("127.0.0.1", 0), _Goverage)
    threading.Thread(target=svc.serve_forever, daemon=True).start()
    try:
        wait_port("127.0.0.1", port, 30)
        report = tmp_path / "cover.out"
        report.write_bytes(PROFILE)
        url = f"http://127.0.0.1:{port}"
        target = ["--url", url, "--repo", "octo/app", "--sha", SHA, "--token", token]
        up = subprocess.run(
            [*COVERHUB, "upload", str(report), *target, "--branch", "main"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert up.returncode == 0, up.stderr
        assert "uploaded cover.out" in up.stdout
        bad = subprocess.run(
            [*COVERHUB, "upload", str(report), *target[:-1], "chu_nope"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert bad.returncode == 1
        assert bad.stderr.strip().endswith("401: no valid upload token for octo/app")
        collected = subprocess.run(
            [
                *COVERHUB,
                "collect",
                f"http://127.0.0.1:{svc.server_port}",
                "--upload",
                *target,
                "--flag",
                "runtime",
                "--single-scrape",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert collected.returncode == 0, collected.stderr
        import httpx

        for flag in ("default", "runtime"):
            for _ in range(200):
                r = httpx.get(
                    f"{url}/api/v1/repos/octo/app/commits/{SHA}", params={"flag": flag}, timeout=10
                )
                if r.status_code == 200:
                    break
                time.sleep(0.05)
            assert r.status_code == 200, (flag, r.text)
            assert r.json()["native"]["display"] == "40.0%"
    finally:
        svc.shutdown()
        svc.server_close()
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def test_rotate_prints_nothing_secret_in_json_logs(tmp_path: Path) -> None:
    """The token goes to stdout only (for a secret store), never into a log line."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERHUB_")}
    env.update({"PYTHONPATH": str(ROOT), "COVERHUB_DATA_DIR": str(tmp_path / "data")})
    out = subprocess.run(
        [*COVERHUB, "upload-token", "rotate", "octo/app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    token = out.stdout.strip()
    assert token and token not in out.stderr
    assert json.dumps(token) not in out.stderr
