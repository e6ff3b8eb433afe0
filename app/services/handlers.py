"""The job kinds this service runs, by name."""

from __future__ import annotations

from app.jobs.runner import Handler
from app.services.ingest import INGEST_JOB, ingest_job
from app.services.selftest import PROBE_JOB, probe_job

HANDLERS: dict[str, Handler] = {
    PROBE_JOB: probe_job,
    INGEST_JOB: ingest_job,
}
