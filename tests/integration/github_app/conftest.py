"""The App under test wired to the fake GitHub: deliveries go through the real webhook edge."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from app.coverage.serialize import from_json
from app.db.engine import create_engine
from app.db.schema import jobs, uploads, webhook_deliveries
from app.services.github_runs import RUN_JOB
from app.web.app import create_app
from app.webhooks.signature import sign
from tests.support.fake_github import FakeGitHub
from tests.support.processes import Proc, start
from tests.support.servers import free_port, wait_port

DATA = Path(__file__).resolve().parents[2] / "data"
SIX_XML = (DATA / "coveragepy" / "v7.17.3" / "coverage.xml").read_bytes()


def six_expected() -> tuple[int, int, str]:
    """coverage report's TOTAL for the six run (statements+branches), from the tool's output."""
    report = (DATA / "coveragepy" / "v7.17.3" / "report-p0.txt").read_text()
    total_row = next(line for line in report.splitlines() if line.startswith("TOTAL"))
    _name, stmts, _miss, branches, _partial, display = total_row.split()
    total = int(stmts) + int(branches)
    pct = float((DATA / "coveragepy" / "v7.17.3" / "tool-percent.txt").read_text())
    return round(pct * total / 100), total, display


@dataclass
class App:
    client: TestClient
    fake: FakeGitHub
    secret: str

    def deliver(self, event: str, payload: dict[str, Any], guid: str | None = None) -> Any:
        body = json.dumps(payload).encode()
        return self.client.post(
            "/webhooks/github",
            content=body,
            headers={
                "X-GitHub-Event": event,
                "X-GitHub-Delivery": guid or str(uuid.uuid4()),
                "X-Hub-Signature-256": sign(self.secret, body),
                "Content-Type": "application/json",
            },
        )

    def complete(self, run: Any, guid: str | None = None) -> Any:
        payload = self.fake.hooks.payloads.workflow_run(run, "completed")
        resp = self.deliver("workflow_run", payload, guid)
        assert resp.status_code == 202, resp.text
        return resp

    @property
    def engine(self) -> sa.Engine:
        return self.client.app.state.services.engine  # type: ignore[attr-defined,no-any-return]

    def rows(self, table: sa.Table, *where: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(table).where(*where)))

    def wait_run_jobs(self, count: int = 1, seconds: float = 30) -> list[Any]:
        """Until ``count`` run-ingestion jobs have ended (done or dead)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ended = [
                j for j in self.rows(jobs, jobs.c.kind == RUN_JOB) if j.status in ("done", "dead")
            ]
            if len(ended) >= count:
                return ended
            time.sleep(0.05)
        raise AssertionError(f"run jobs: {self.rows(jobs, jobs.c.kind == RUN_JOB)}")

    def wait_deliveries(self, seconds: float = 15) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pending = [
                d for d in self.rows(webhook_deliveries) if d.status in ("received", "queued")
            ]
            if not pending:
                return
            time.sleep(0.05)
        raise AssertionError(f"deliveries pending: {self.rows(webhook_deliveries)}")

    def merged(self, sha: str, flag: str = "default") -> Any:
        rows = self.rows(
            uploads, uploads.c.sha == sha, uploads.c.flag == flag, uploads.c.source == "merged"
        )
        assert len(rows) == 1, rows
        return rows[0]

    def uploads_of(self, sha: str) -> list[Any]:
        return self.rows(uploads, uploads.c.sha == sha, uploads.c.source != "merged")

    def stored_report(self, key: str) -> Any:
        store = self.client.app.state.services.store  # type: ignore[attr-defined]
        return from_json(store.open(key).read(), key)


@pytest.fixture
def app(settings_factory, fake_github: FakeGitHub, fake_github_app: Any) -> Iterator[App]:  # type: ignore[no-untyped-def]
    settings = settings_factory(
        github_app_id=str(fake_github_app.app_id),
        github_private_key=fake_github_app.private_key_pem,
        github_webhook_secret=fake_github_app.webhook_secret,
        github_api_url=fake_github.url,
        sweep_interval="0.2",
    )
    with TestClient(create_app(settings)) as client:
        gateway = client.app.state.services.github  # type: ignore[attr-defined]

        async def no_wait(seconds: float) -> None:  # retries in tests: record, don't sleep long
            waits.append(seconds)

        waits: list[float] = []
        gateway.sleep = no_wait
        gateway.waits = waits
        yield App(client, fake_github, fake_github_app.webhook_secret)


@dataclass
class Production:
    """``coverhub serve`` and ``coverhub worker`` started as production runs them, on the fake
    GitHub (which delivers its webhooks to ``serve``)."""

    env: dict[str, str]
    port: int

    def engine(self) -> sa.Engine:
        """The processes' PostgreSQL database (dispose of it when done)."""
        url = self.env["COVERHUB_DATABASE_URL"]
        return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def start_production(
    prod_env: dict[str, str],
    procs: list[Proc],
    tmp_path: Path,
    fake_github: FakeGitHub,
    fake_github_app: Any,
    **settings: str,
) -> Production:
    """serve + worker with the App's settings (and ``settings``: more COVERHUB_* variables)."""
    env = {
        **prod_env,
        "COVERHUB_GITHUB_APP_ID": str(fake_github_app.app_id),
        "COVERHUB_GITHUB_PRIVATE_KEY": fake_github_app.private_key_pem,
        "COVERHUB_GITHUB_WEBHOOK_SECRET": fake_github_app.webhook_secret,
        "COVERHUB_GITHUB_API_URL": fake_github.url,
        **settings,
    }
    port = free_port()
    start(procs, tmp_path, env, "serve", "--port", str(port))
    start(procs, tmp_path, env, "worker")
    wait_port("127.0.0.1", port, 30)
    fake_github.hooks.target_url = f"http://127.0.0.1:{port}/webhooks/github"
    return Production(env, port)
