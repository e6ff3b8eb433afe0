"""The job kinds this service runs, by name."""

from __future__ import annotations

from app.jobs.runner import Handler
from app.services.github_ingest import ingest_run_job
from app.services.github_runs import RUN_JOB
from app.services.ingest import INGEST_JOB, ingest_job
from app.services.selftest import PROBE_JOB, probe_job
from app.webhooks.events import DELIVERY_JOB, delivery_job

HANDLERS: dict[str, Handler] = {
    PROBE_JOB: probe_job,
    INGEST_JOB: ingest_job,
    DELIVERY_JOB: delivery_job,
    RUN_JOB: ingest_run_job,
}
