"""Read-side test helpers: real ingestion of small LCOV reports (through the same job the service
runs), so that badges and pages read what the pipeline wrote; and direct database edits for
states that take days to reach (an old result, a private repository)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from starlette.testclient import TestClient

from app import demo
from app.db.schema import repositories, uploads
from app.services.ingest import INGEST_JOB, IngestRequest
from app.services.records import UploadSource


def sha_of(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def lcov(hits: dict[int, int], path: str = "src/app.py") -> bytes:
    body = "".join(f"DA:{line},{count}\n" for line, count in sorted(hits.items()))
    return f"TN:\nSF:{path}\n{body}end_of_record\n".encode()


async def ingest(
    services: Any,
    owner: str,
    repo: str,
    sha: str,
    branch: str | None,
    body: bytes,
    flag: str = "default",
) -> None:
    """Store a raw LCOV file and run the ingestion job on it, as `coverhub upload` would."""
    key = f"{owner}/{repo}/{sha}/{flag}/raw/lcov.info"
    req = IngestRequest(
        owner=owner,
        repo=repo,
        sha=sha,
        branch=branch,
        flag=flag,
        source=UploadSource(kind="push"),
        keys=(key,),
    )
    await asyncio.to_thread(services.store.put, key, body, "text/plain")
    job_id = await services.runner.submit(INGEST_JOB, req.to_payload(), req.job_key())
    status = await demo.wait_for_job(services, job_id, 30)
    assert status == "done", status


def run(client: TestClient, fn: Any, *args: Any) -> Any:
    return client.portal.call(fn, *args)  # type: ignore[union-attr]


def services_of(client: TestClient) -> Any:
    return client.app.state.services  # type: ignore[attr-defined]


def sql(client: TestClient, statement: Any) -> None:
    with services_of(client).engine.begin() as conn:
        conn.execute(statement)


def make_private(client: TestClient, owner: str, repo: str) -> None:
    sql(
        client,
        repositories.update()
        .where(repositories.c.owner == owner, repositories.c.name == repo)
        .values(private=True),
    )


def age_results(client: TestClient, owner: str, repo: str, days: int) -> None:
    """Pretend every result of the repository was measured ``days`` days ago."""
    with services_of(client).engine.begin() as conn:
        rid = conn.execute(
            sa.select(repositories.c.id).where(
                repositories.c.owner == owner, repositories.c.name == repo
            )
        ).scalar_one()
        rows = conn.execute(
            sa.select(uploads.c.id, uploads.c.created_at).where(uploads.c.repository_id == rid)
        ).all()
        for row in rows:
            conn.execute(
                uploads.update()
                .where(uploads.c.id == row.id)
                .values(created_at=row.created_at - timedelta(days=days))
            )
