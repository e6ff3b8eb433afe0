"""Report pages over HTTP: redirects to the right commit, the generated report when no HTML was
uploaded, an uploaded coverage.py htmlcov served from its archive (sandboxed, or from the reports
origin), private repositories refused with a reason, and no path escaping its report: encoded,
double-encoded, backslashed, absolute and NUL paths against a real uvicorn, and symlinks planted
in the storage folder."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.testclient import TestClient

from app import demo
from app.db.engine import utcnow
from app.db.schema import pull_requests
from app.ports.storage import LocalStore
from app.services.repo_settings import repository_id_of
from app.services.report_archive import write_directory
from app.settings import from_environ
from app.web.app import create_app
from tests.support.htmlcov import make_htmlcov
from tests.support.readside import (
    ingest,
    lcov,
    make_private,
    run,
    services_of,
    sha_of,
)
from tests.support.servers import free_port

DEMO = f"/{demo.OWNER}/{demo.REPO}"
STEP3 = demo.demo_sha("step3")
GO_SAYS = (Path(demo.__file__).parent / "data" / "step3.go-says").read_text().strip()
SECRET = "TOP-SECRET-8f3a"


@pytest.fixture(scope="module")
def htmlcov(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_htmlcov(tmp_path_factory.mktemp("cov"))


def upload_html(
    services: Any, sha: str, htmlcov: Path, owner: str = demo.OWNER, repo: str = demo.REPO
) -> None:
    write_directory(services.store, f"{owner}/{repo}/{sha}/default/html/", str(htmlcov))


# ------------------------------------------------------------------ redirects


def test_latest_and_branch_redirect_to_the_newest_commit(client: TestClient) -> None:
    covered_alias = f"/badge/redirect/{demo.OWNER}/{demo.REPO}/"
    for path in (f"{DEMO}/latest", f"{DEMO}/tree/main", covered_alias):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 302, path
        assert r.headers["location"] == f"{DEMO}/commit/{STEP3}/"
    r = client.get(f"{DEMO}/tree/gone", follow_redirects=False)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "no report for branch gone" in r.text


def test_pull_request_redirects_to_its_head(client: TestClient) -> None:
    services = services_of(client)
    head = demo.demo_sha("step2")
    with services.engine.begin() as conn:
        rid = repository_id_of(conn, demo.OWNER, demo.REPO)
        conn.execute(
            pull_requests.insert().values(
                repository_id=rid, number=7, head_sha=head, base_ref="main", updated_at=utcnow()
            )
        )
    r = client.get(f"{DEMO}/pull/7", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == f"{DEMO}/commit/{head}/"
    assert client.get(f"{DEMO}/pull/8").status_code == 404
    assert client.get(f"{DEMO}/pull/x").status_code == 404


# ------------------------------------------------------------------ generated report


def test_generated_report_index_and_file_pages(client: TestClient) -> None:
    r = client.get(f"{DEMO}/commit/{STEP3}/")
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert f'<strong id="native">{GO_SAYS}</strong>' in r.text  # the number go printed
    assert "Unified (lines: hits / (hits + partials + misses)" in r.text
    assert "By package" in r.text and "encoding/csv/" in r.text
    assert 'href="files/encoding/csv/reader.go.html"' in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "script-src" not in r.headers["content-security-policy"]
    assert "default-src 'none'" in r.headers["content-security-policy"]
    page = client.get(f"{DEMO}/commit/{STEP3}/files/encoding/csv/reader.go.html")
    assert page.status_code == 200
    assert '<tr class="missed" id="L75">' in page.text and 'class="covered"' in page.text
    assert '<a href="../../../">' in page.text  # back to the index
    again = client.get(f"{DEMO}/commit/{STEP3}/", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_generated_report_lists_partial_lines(client: TestClient) -> None:
    services = services_of(client)
    sha = sha_of("partial")
    body = (
        b"TN:\nSF:pkg/mod.py\nDA:1,1\nDA:2,3\nBRDA:2,0,0,1\nBRDA:2,0,1,0\nDA:3,0\nend_of_record\n"
    )
    run(client, ingest, services, "acme", "part", sha, "main", body)
    page = client.get(f"/acme/part/commit/{sha}/files/pkg/mod.py.html").text
    assert '<dd id="missed">3</dd>' in page and '<dd id="partial">2</dd>' in page
    index = client.get(f"/acme/part/commit/{sha}/").text
    assert "By directory" in index and "pkg/" in index


def test_flags_below_the_commit(client: TestClient) -> None:
    services = services_of(client)
    unit = lcov({1: 1, 2: 0})
    run(client, ingest, services, demo.OWNER, demo.REPO, STEP3, "main", unit, "unit")
    r = client.get(f"{DEMO}/commit/{STEP3}/unit/")
    assert r.status_code == 200 and "(unit)" in r.text and ">50.0%<" in r.text
    assert (
        client.get(f"{DEMO}/commit/{STEP3}/unit", follow_redirects=False).headers["location"]
        == f"{DEMO}/commit/{STEP3}/unit/"
    )
    assert GO_SAYS in client.get(f"{DEMO}/commit/{STEP3}/").text  # default flag unchanged
    sha = sha_of("two-flags")
    run(client, ingest, services, "acme", "fl", sha, "main", lcov({1: 1}), "unit")
    run(client, ingest, services, "acme", "fl", sha, "main", lcov({1: 0}), "e2e")
    listing = client.get(f"/acme/fl/commit/{sha}/").text
    assert f'href="/acme/fl/commit/{sha}/e2e/"' in listing
    assert f'href="/acme/fl/commit/{sha}/unit/"' in listing


def test_unknown_commit_and_file_are_404_pages(client: TestClient) -> None:
    r = client.get(f"{DEMO}/commit/{'0' * 40}/")
    assert r.status_code == 404 and "no report for commit" in r.text
    assert client.get(f"{DEMO}/commit/{STEP3}/files/nope.go.html").status_code == 404
    assert client.get(f"{DEMO}/commit/{STEP3}/other.txt").status_code == 404
    assert client.get("/nobody/nothing/commit/abc/").status_code == 404


# ------------------------------------------------------------------ uploaded HTML


def test_uploaded_htmlcov_is_served_byte_for_byte_and_sandboxed(
    client: TestClient, htmlcov: Path
) -> None:
    upload_html(services_of(client), STEP3, htmlcov)
    files = {p.relative_to(htmlcov).as_posix(): p for p in htmlcov.rglob("*") if p.is_file()}
    for name, path in files.items():
        r = client.get(f"{DEMO}/commit/{STEP3}/{name}", headers={"accept-encoding": "identity"})
        assert r.status_code == 200, name
        assert r.content == path.read_bytes(), name
        assert "content-encoding" not in r.headers
    r = client.get(f"{DEMO}/commit/{STEP3}/")  # httpx asks for gzip and inflates it
    assert r.content == (htmlcov / "index.html").read_bytes()
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    csp = r.headers["content-security-policy"]
    assert csp.startswith("sandbox") and "allow-same-origin" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    css = next(n for n in files if n.endswith(".css"))
    assert client.get(f"{DEMO}/commit/{STEP3}/{css}").headers["content-type"].startswith("text/css")
    again = client.get(f"{DEMO}/commit/{STEP3}/", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304
    assert client.get(f"{DEMO}/commit/{STEP3}/missing.html").status_code == 404


def test_reports_origin_serves_uploaded_html_and_the_main_origin_redirects(
    settings_factory: Any, htmlcov: Path
) -> None:
    settings = settings_factory(reports_url="http://reports.example")

    async def seed(services: Any) -> None:
        await demo.seed(services)

    app = create_app(settings, on_ready=seed)
    with TestClient(app) as main:
        upload_html(services_of(main), STEP3, htmlcov)
        r = main.get(f"{DEMO}/commit/{STEP3}/index.html?x=1", follow_redirects=False)
        assert r.status_code == 302
        assert (
            r.headers["location"] == f"http://reports.example{DEMO}/commit/{STEP3}/index.html?x=1"
        )
        served = main.get(f"http://reports.example{DEMO}/commit/{STEP3}/index.html")
        assert served.status_code == 200
        assert served.content == (htmlcov / "index.html").read_bytes()
        assert "allow-same-origin" not in served.headers["content-security-policy"]
        # coverhub's own generated pages stay on the main origin
        step2 = demo.demo_sha("step2")
        assert main.get(f"{DEMO}/commit/{step2}/", follow_redirects=False).status_code == 200


# ------------------------------------------------------------------ private repositories


def test_private_repository_pages_are_403_with_the_reason(client: TestClient) -> None:
    make_private(client, demo.OWNER, demo.REPO)
    for path in (
        f"{DEMO}/commit/{STEP3}/",
        f"{DEMO}/latest",
        f"{DEMO}/tree/main",
        f"{DEMO}/pull/1",
        f"/badge/redirect/{demo.OWNER}/{demo.REPO}/",
        f"{DEMO}/commit/{STEP3}/files/encoding/csv/reader.go.html",
    ):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 403, path
        assert r.headers["content-type"].startswith("text/html")
        assert "private repository" in r.text and "sign" in r.text
        assert GO_SAYS not in r.text


# ------------------------------------------------------------------ symlinks in storage


def test_symlinks_planted_in_storage_do_not_leak(
    client: TestClient, htmlcov: Path, tmp_path: Path
) -> None:
    services = services_of(client)
    store = services.store
    assert isinstance(store, LocalStore)
    secret = tmp_path / "outside.json"
    secret.write_text(SECRET)
    # a private repository with an uploaded report, and a public one whose files are links
    upload_html(services, STEP3, htmlcov)
    make_private(client, demo.OWNER, demo.REPO)
    sha = sha_of("links")
    run(client, ingest, services, "acme", "links", sha, "main", lcov({1: 1}))
    prefix = store.root / "acme" / "links" / sha / "default"
    report = prefix / "coverhub" / "report.json"
    report.unlink()
    report.symlink_to(secret)
    r = client.get(f"/acme/links/commit/{sha}/")
    assert r.status_code == 404 and SECRET not in r.text
    (prefix / "html").symlink_to(store.root / demo.OWNER / demo.REPO / STEP3 / "default" / "html")
    r = client.get(f"/acme/links/commit/{sha}/index.html")
    assert r.status_code == 404
    assert r.content != (htmlcov / "index.html").read_bytes()


# ------------------------------------------------------------------ traversal, on a real server


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, htmlcov: Path) -> Iterator[int]:
    """coverhub under uvicorn (httptools, as deployed), with an uploaded htmlcov for STEP3 and a
    secret file beside the storage folder."""
    root = tmp_path_factory.mktemp("live")
    (root / "data").mkdir()
    (root / "data" / "secret.txt").write_text(SECRET)
    settings = from_environ({"COVERHUB_DATA_DIR": str(root / "data")})

    async def seed(services: Any) -> None:
        await demo.seed(services)
        upload_html(services, STEP3, htmlcov)

    port = free_port()
    config = uvicorn.Config(
        create_app(settings, on_ready=seed),
        host="127.0.0.1",
        port=port,
        loop="asyncio",
        http="httptools",
        lifespan="on",
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(15)


def raw_get(port: int, target: bytes) -> tuple[int, bytes]:
    """Send the request target exactly as given (no client-side normalisation)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


BASE = f"{DEMO}/commit/{STEP3}/".encode()


def test_live_server_serves_the_report(live: int, htmlcov: Path) -> None:
    status, body = raw_get(live, BASE + b"index.html")
    assert status == 200 and body == (htmlcov / "index.html").read_bytes()


@pytest.mark.parametrize(
    "rest",
    [
        b"../../../../../secret.txt",
        b"%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.txt",
        b"%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fsecret.txt",
        b"%252e%252e/%252e%252e/%252e%252e/%252e%252e/%252e%252e/secret.txt",
        b"..\\..\\..\\..\\..\\secret.txt",
        b"..%5c..%5c..%5c..%5c..%5csecret.txt",
        b"/etc/passwd",
        b"%2fetc%2fpasswd",
        b"default/../../../../../secret.txt",
        b"index.html%00.png",
        b"C:%5cWindows%5cwin.ini",
        b"./index.html",
    ],
)
def test_no_path_escapes_its_report(live: int, rest: bytes) -> None:
    status, body = raw_get(live, BASE + rest)
    assert status == 400, (rest, status, body[:200])
    assert b"Bad report path" in body  # refused by coverhub, not by chance
    assert SECRET.encode() not in body and b"root:" not in body


def test_overlong_utf8_dots_are_just_a_missing_file(live: int) -> None:
    status, body = raw_get(live, BASE + b"%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt")
    assert status == 404 and SECRET.encode() not in body


def test_sql_untouched_by_report_paths(live: int) -> None:
    status, _ = raw_get(live, BASE + b"index.html';DROP%20TABLE%20uploads;--")
    assert status == 404
    status, _ = raw_get(live, BASE + b"index.html")
    assert status == 200
