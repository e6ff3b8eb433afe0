"""As production runs it: `coverhub serve` and `coverhub worker` as separate processes on
PostgreSQL, Redis and the S3 server, the fake GitHub on loopback; a signed workflow_run delivery
to the real port ends with the report stored and recorded with coverage.py's own totals."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import boto3
import httpx
import sqlalchemy as sa

from app.db.schema import uploads
from tests.integration.github_app.conftest import SIX_XML, six_expected, start_production
from tests.support.fake_github import FakeGitHub
from tests.support.processes import Proc

SHA = "e" * 40


def test_signed_delivery_to_serve_ends_stored_by_the_worker(
    prod_env: dict[str, str],
    procs: list[Proc],
    tmp_path: Path,
    fake_github: FakeGitHub,
    fake_github_app: Any,
) -> None:
    prod = start_production(prod_env, procs, tmp_path, fake_github, fake_github_app)
    env, port = prod.env, prod.port

    repo = fake_github.install("octo-org/app")
    pr = fake_github.state.add_pull_request(repo, head_sha=SHA)
    run = fake_github.state.add_workflow_run(
        repo, head_sha=SHA, pull_requests=[pr], event="pull_request"
    )
    fake_github.state.add_artifact(run, "coverage", {"reports/coverage.xml": SIX_XML})
    delivered = fake_github.hooks.deliver(
        "workflow_run", fake_github.hooks.payloads.workflow_run(run, "completed")
    )
    assert delivered.status_code == 202, delivered

    engine = prod.engine()
    try:
        merged = None
        deadline = time.monotonic() + 60
        while merged is None and time.monotonic() < deadline:
            with engine.connect() as conn:
                merged = conn.execute(
                    sa.select(uploads).where(uploads.c.sha == SHA, uploads.c.source == "merged")
                ).first()
            time.sleep(0.2)
    finally:
        engine.dispose()
    logs = "\n".join(p.output() for p in procs)
    assert merged is not None, logs
    covered, total, display = six_expected()
    assert (merged.native_covered, merged.native_total, merged.native_display) == (
        covered,
        total,
        display,
    )
    # stored in S3 (the moto server), under the commit and flag
    bucket, prefix = env["COVERHUB_STORAGE_URL"][5:].split("/", 1)
    s3 = boto3.client("s3", endpoint_url=env["COVERHUB_S3_ENDPOINT_URL"])
    raw = s3.get_object(
        Bucket=bucket, Key=f"{prefix}/octo-org/app/{SHA}/default/raw/coverage/reports/coverage.xml"
    )
    assert raw["Body"].read() == SIX_XML
    # and served by the web process
    api = httpx.get(f"http://127.0.0.1:{port}/api/v1/repos/octo-org/app/commits/{SHA}", timeout=10)
    assert api.status_code == 200, api.text
    assert api.json()["native"]["display"] == display
    # the worker did it, not the web process
    assert "workflow run ingested" in procs[1].output()
