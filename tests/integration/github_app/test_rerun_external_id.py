"""A check run's "Re-run" re-processes the run attempt its external_id names, in every form a
check on GitHub may carry: the one coverhub writes, the earlier JSON form, and the form whose
flag was left out to stay within the length limit."""

from __future__ import annotations

import json
from collections.abc import Callable

from app.db.schema import jobs
from app.feedback.check import MAX_EXTERNAL_ID, ExternalId
from app.services.github_runs import RUN_JOB
from tests.integration.github_app.conftest import SIX_XML, App
from tests.integration.github_app.test_sweeper import SHA, open_pending


def rerequest_reprocesses(app: App, external_id: Callable[[int, int], str] | None) -> None:
    """A check run re-requested with ``external_id(run id, attempt)`` on it (None: the one
    coverhub wrote on the pending check) re-processes that run attempt."""
    attempt = 2
    repo = app.fake.install("octo-org/app")
    run, check = open_pending(app, repo, run_attempt=attempt)
    app.fake.state.add_artifact(run, "coverage", {"coverage.xml": SIX_XML})
    if external_id is not None:
        check.data["external_id"] = external_id(run.id, attempt)
    resp = app.deliver("check_run", app.fake.hooks.payloads.check_run(check, "rerequested"))
    assert resp.status_code == 202
    [job] = app.wait_run_jobs()
    assert job.status == "done", job.last_error
    assert (job.payload["run_id"], job.payload["attempt"]) == (run.id, attempt)
    [upload] = app.uploads_of(SHA)
    assert (upload.workflow_run_id, upload.run_attempt) == (run.id, attempt)
    [check] = app.fake.state.checks_for(SHA, "coverhub")
    assert check.data["status"] == "completed"


def test_rerequest_with_the_external_id_coverhub_writes(app: App) -> None:
    rerequest_reprocesses(app, None)


def test_rerequest_with_the_earlier_json_external_id(app: App) -> None:
    rerequest_reprocesses(app, lambda run, attempt: json.dumps({"run_id": run, "attempt": attempt}))


def test_rerequest_with_an_external_id_past_the_length_limit(app: App) -> None:
    long_flag = "\N{GRINNING FACE}" * 100  # 400 bytes: the flag is left out, the run kept
    rerequest_reprocesses(app, lambda run, attempt: ExternalId(run, long_flag, 7, attempt).encode())


def test_rerequest_with_an_external_id_at_the_length_limit(app: App) -> None:
    def at_limit(run: int, attempt: int) -> str:
        head = ExternalId(run, "", 7, attempt).encode()
        emoji, rest = divmod(MAX_EXTERNAL_ID - len(head), 4)
        text = ExternalId(run, "\N{GRINNING FACE}" * emoji + "a" * rest, 7, attempt).encode()
        assert len(text.encode()) == MAX_EXTERNAL_ID
        return text

    rerequest_reprocesses(app, at_limit)


def test_rerequest_of_a_foreign_external_id_is_ignored(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    _run, check = open_pending(app, repo)
    check.data["external_id"] = "build-42"
    resp = app.deliver("check_run", app.fake.hooks.payloads.check_run(check, "rerequested"))
    assert resp.status_code == 202
    app.wait_deliveries()
    assert app.rows(jobs, jobs.c.kind == RUN_JOB) == []
