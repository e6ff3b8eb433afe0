"""The demo seed: on embedded defaults, `coverhub serve` ingests a small real report so that
there is something to look at. The profiles are real `go test -coverprofile` output of the Go
standard library's encoding/csv (see scripts/make_demo_data.sh for the exact commands).
"""

from __future__ import annotations

import asyncio
import hashlib
from importlib import resources

from app.services.container import Services
from app.services.ingest import INGEST_JOB, IngestRequest
from app.services.records import UploadSource

OWNER = "demo"
REPO = "encoding-csv"
BRANCH = "main"
STEPS = ("step1", "step2", "step3")


def demo_sha(step: str) -> str:
    return hashlib.sha1(f"coverhub demo {step}".encode(), usedforsecurity=False).hexdigest()


async def seed(services: Services, timeout: float = 60.0) -> list[int]:
    """Ingest the demo commits one after another (so their history is in order). Idempotent."""
    job_ids = []
    data = resources.files("app.demo") / "data"
    for step in STEPS:
        sha = demo_sha(step)
        body = (data / f"{step}.out").read_bytes()
        req = IngestRequest(
            owner=OWNER,
            repo=REPO,
            sha=sha,
            branch=BRANCH,
            flag="default",
            source=UploadSource(kind="demo"),
            keys=(f"{OWNER}/{REPO}/{sha}/default/raw/{step}.out",),
        )
        await asyncio.to_thread(services.store.put, req.keys[0], body, "text/plain")
        job_id = await services.runner.submit(INGEST_JOB, req.to_payload(), req.job_key())
        job_ids.append(job_id)
        await wait_for_job(services, job_id, timeout)
    return job_ids


async def wait_for_job(services: Services, job_id: int, timeout: float) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        row = await asyncio.to_thread(services.jobs.get, job_id)
        if row is not None and row.status in ("done", "dead"):
            return row.status
        if loop.time() > deadline:
            return row.status if row is not None else "missing"
        await asyncio.sleep(0.05)
