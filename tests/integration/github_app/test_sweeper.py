"""The stuck-check sweeper on the fake GitHub, and re-runs from every external_id form.

The sweeper's clock is injected: "an hour later" is a datetime handed to it, never a sleep.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from app.db.engine import as_utc, create_engine, migrate
from app.db.schema import jobs, pending_checks
from app.feedback.check import ExternalId
from app.jobs.store import JobStore
from app.services.github_runs import RUN_JOB, run_job_key
from app.services.github_sweeper import (
    CLAIM,
    MAX_TRIES,
    StuckCheckSweeper,
    SweepReport,
    give_up_body,
    retry_delay,
    sweeper_for,
)
from app.web.app import create_app
from tests.integration.github_app.conftest import SIX_XML, App, start_production
from tests.support.fake_github import FakeGitHub
from tests.support.processes import Proc

SHA = "a" * 40
TIMEOUT = 60  # minutes, the default setting


def open_pending(app: App, repo: Any, sha: str = SHA, **run_fields: Any) -> tuple[Any, Any]:
    """A workflow run that has started: coverhub opened its pending check. (run, check)"""
    run = app.fake.state.add_workflow_run(
        repo, head_sha=sha, event="push", head_branch="main", **run_fields
    )
    resp = app.deliver("workflow_run", app.fake.hooks.payloads.workflow_run(run, "requested"))
    assert resp.status_code == 202
    app.wait_deliveries()
    [check] = app.fake.state.checks_for(sha, "coverhub")
    assert check.data["status"] == "in_progress"
    return run, check


def record_of(app: App, check: Any) -> Any:
    [row] = app.rows(pending_checks, pending_checks.c.check_run_id == check.id)
    return row


def sweeper_at(app: App, now: datetime, timeout: int = TIMEOUT) -> StuckCheckSweeper:
    gateway = app.client.app.state.services.github  # type: ignore[attr-defined]
    return StuckCheckSweeper(app.engine, gateway, timeout, clock=lambda: now)


def sweep(app: App, *sweepers: StuckCheckSweeper) -> list[SweepReport]:
    """Run the sweepers' passes at the same time, on the app's event loop."""

    async def passes() -> list[SweepReport]:
        return list(await asyncio.gather(*(s.sweep() for s in sweepers)))

    portal = app.client.portal
    assert portal is not None
    return portal.call(passes)


def later(app: App, check: Any, delta: timedelta) -> datetime:
    opened = as_utc(record_of(app, check).opened_at)
    assert opened is not None
    return opened + delta


def patches_of(app: App, check: Any) -> list[Any]:
    return app.fake.state.requests_to("PATCH", f"/check-runs/{check.id}")


def gets_of(app: App, check: Any) -> list[Any]:
    return app.fake.state.requests_to("GET", f"/check-runs/{check.id}")


# ------------------------------------------------------------------ the record


def test_each_pending_check_is_recorded_with_its_run(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run, check = open_pending(app, repo, run_attempt=2)
    row = record_of(app, check)
    assert (row.head_sha, row.check_name, row.workflow_run_id, row.run_attempt) == (
        SHA,
        "coverhub",
        run.id,
        2,
    )
    assert repo.installation is not None and row.installation_id == repo.installation.id
    assert row.settled_at is None and row.outcome is None
    # the check carries the one external_id format, run and attempt included
    assert ExternalId.decode(check.data["external_id"]) == ExternalId(run.id, "default", None, 2)
    # a second workflow on the same commit finds the check open: still one record
    app.deliver("workflow_run", app.fake.hooks.payloads.workflow_run(run, "in_progress"))
    app.wait_deliveries()
    assert len(app.rows(pending_checks)) == 1


def test_an_open_check_not_yet_recorded_is_recorded_when_found(app: App) -> None:
    """A job that died after creating the check and before recording it runs again: the check
    is found open on the sha and recorded then, under the run its external_id names."""
    repo = app.fake.install("octo-org/app")
    run, check = open_pending(app, repo)
    with app.engine.begin() as conn:
        conn.execute(pending_checks.delete())
    app.deliver("workflow_run", app.fake.hooks.payloads.workflow_run(run, "in_progress"))
    app.wait_deliveries()
    row = record_of(app, check)
    assert (row.workflow_run_id, row.run_attempt) == (run.id, 1)
    assert len(app.fake.state.checks_for(SHA, "coverhub")) == 1


# ------------------------------------------------------------------ the sweep


def test_stuck_check_is_completed_timed_out_saying_how_long_and_how_to_rerun(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run, check = open_pending(app, repo)
    [report] = sweep(app, sweeper_at(app, later(app, check, timedelta(minutes=TIMEOUT + 1))))
    assert report.counts == {"timed_out": 1}
    [check] = app.fake.state.checks_for(SHA, "coverhub")
    assert (check.data["status"], check.data["conclusion"]) == ("completed", "timed_out")
    output = check.data["output"]
    assert output["title"] == "coverhub gave up waiting for coverage after 60 minutes"
    summary = output["summary"]
    assert "gave up waiting for coverage after 60 minutes" in summary
    assert f"workflow run {run.id} (attempt 1)" in summary
    assert "**Re-run** this check" in summary and "re-run the workflow" in summary
    assert check.sent[-1]["actions"][0]["identifier"] == "rerun"
    row = record_of(app, check)
    assert row.outcome == "timed_out" and row.settled_at is not None
    # settled: a later pass neither asks GitHub again nor sends anything
    sweep(app, sweeper_at(app, later(app, check, timedelta(days=1))))
    assert len(patches_of(app, check)) == 1 and len(gets_of(app, check)) == 1


def test_younger_check_is_untouched(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    _run, check = open_pending(app, repo)
    [report] = sweep(app, sweeper_at(app, later(app, check, timedelta(minutes=TIMEOUT - 1))))
    assert report.total == 0
    assert gets_of(app, check) == [] and patches_of(app, check) == []
    assert app.fake.state.checks_for(SHA, "coverhub")[0].data["status"] == "in_progress"
    assert record_of(app, check).settled_at is None


def test_exactly_at_the_limit_waits_just_past_it_completes(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    _run, check = open_pending(app, repo)
    limit = timedelta(minutes=TIMEOUT)
    [report] = sweep(app, sweeper_at(app, later(app, check, limit)))
    assert report.total == 0 and gets_of(app, check) == []
    [report] = sweep(app, sweeper_at(app, later(app, check, limit + timedelta(microseconds=1))))
    assert report.counts == {"timed_out": 1}
    assert app.fake.state.checks_for(SHA, "coverhub")[0].data["conclusion"] == "timed_out"


def test_the_timeout_setting_reaches_the_sweeper_serve_and_worker_start(
    settings_factory: Any, app: App
) -> None:
    services = app.client.app.state.services  # type: ignore[attr-defined]
    default = sweeper_for(services)
    assert default is not None and default.timeout_minutes == 60
    configured = SimpleNamespace(
        github=services.github,
        engine=app.engine,
        settings=settings_factory(check_timeout_minutes="5"),
    )
    five = sweeper_for(configured)
    assert five is not None and five.timeout_minutes == 5
    assert sweeper_for(SimpleNamespace(github=None)) is None  # no GitHub App, nothing to sweep


def test_check_completed_by_the_run_is_only_marked_settled(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run, check = open_pending(app, repo)
    app.fake.state.add_artifact(run, "coverage", {"coverage.xml": SIX_XML})
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "done", job.last_error
    [check] = app.fake.state.checks_for(SHA, "coverhub")
    assert check.data["status"] == "completed"
    said, sent = check.data["conclusion"], len(patches_of(app, check))
    [report] = sweep(app, sweeper_at(app, later(app, check, timedelta(minutes=TIMEOUT + 1))))
    assert report.counts == {"completed_by_run": 1}
    assert len(patches_of(app, check)) == sent  # nothing sent to GitHub
    assert len(gets_of(app, check)) == 1
    assert app.fake.state.checks_for(SHA, "coverhub")[0].data["conclusion"] == said
    assert record_of(app, check).outcome == "completed_by_run"


def test_check_whose_ingestion_job_is_unfinished_is_left_to_the_job(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run, check = open_pending(app, repo)
    # a re-request of this run is queued (recorded, not enqueued: it stays queued)
    key = run_job_key("octo-org", "app", run.id, 1) + ":rerequest:x"
    job_id, _ = JobStore(app.engine).submit(RUN_JOB, {}, key, max_attempts=1)
    at = later(app, check, timedelta(minutes=TIMEOUT + 1))
    [report] = sweep(app, sweeper_at(app, at))
    assert report.counts == {"deferred": 1}
    assert gets_of(app, check) == [] and patches_of(app, check) == []
    row = record_of(app, check)
    assert row.settled_at is None and row.tries == 0
    # the job ended (dead here) without completing the check: the next look completes it
    with app.engine.begin() as conn:
        conn.execute(jobs.update().where(jobs.c.id == job_id).values(status="dead"))
    [report] = sweep(app, sweeper_at(app, at + timedelta(minutes=6)))
    assert report.counts == {"timed_out": 1}


def test_a_job_of_another_attempt_does_not_defer(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run, check = open_pending(app, repo)
    # attempt 10 of the same run: its key shares the prefix "run:...:1" but is not this attempt
    JobStore(app.engine).submit(RUN_JOB, {}, run_job_key("octo-org", "app", run.id, 10), 1)
    [report] = sweep(app, sweeper_at(app, later(app, check, timedelta(minutes=TIMEOUT + 1))))
    assert report.counts == {"timed_out": 1}


def concurrent_sweepers_complete_each_stuck_check_once(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    shas = [f"{i:040x}" for i in range(1, 7)]
    checks = [open_pending(app, repo, sha)[1] for sha in shas]
    at = max(later(app, c, timedelta(minutes=TIMEOUT + 1)) for c in checks)
    reports = sweep(app, sweeper_at(app, at), sweeper_at(app, at))
    assert sum(r.counts.get("timed_out", 0) for r in reports) == len(checks)
    assert sum(r.total for r in reports) == len(checks)
    for check in checks:
        assert len(patches_of(app, check)) == 1, check.id
    assert len(app.fake.state.requests_to("PATCH", "/check-runs/")) == len(checks)
    assert {r.outcome for r in app.rows(pending_checks)} == {"timed_out"}
    # and again, now that every row is settled: no work, no requests
    requests = len(app.fake.state.requests)
    reports = sweep(app, sweeper_at(app, at), sweeper_at(app, at))
    assert sum(r.total for r in reports) == 0
    assert len(app.fake.state.requests) == requests


def test_two_sweepers_complete_a_stuck_check_exactly_once(app: App) -> None:
    concurrent_sweepers_complete_each_stuck_check_once(app)


def test_two_sweepers_complete_a_stuck_check_exactly_once_on_postgresql(pg_app: App) -> None:
    concurrent_sweepers_complete_each_stuck_check_once(pg_app)


def test_a_claimed_check_is_not_taken_by_another_sweeper_until_the_claim_expires(
    app: App,
) -> None:
    from app.services import pending_checks as store

    repo = app.fake.install("octo-org/app")
    _run, check = open_pending(app, repo)
    at = later(app, check, timedelta(minutes=TIMEOUT + 1))
    cutoff = at - timedelta(minutes=TIMEOUT)
    [held] = store.claim_stuck(app.engine, now=at, opened_before=cutoff, limit=10, lease=CLAIM)
    assert held.check_run_id == check.id
    assert store.claim_stuck(app.engine, now=at, opened_before=cutoff, limit=10, lease=CLAIM) == []
    # the holder died: once its claim ran out, another sweeper takes the check and completes it
    [report] = sweep(app, sweeper_at(app, at + CLAIM))
    assert report.total == 0
    [report] = sweep(app, sweeper_at(app, at + CLAIM + timedelta(seconds=1)))
    assert report.counts == {"timed_out": 1}
    assert not store.settle(app.engine, held, "timed_out", at)  # the old claim is void


def backdate(engine: sa.Engine, check: Any, hours: float) -> None:
    with engine.begin() as conn:
        opened = conn.execute(
            sa.select(pending_checks.c.opened_at).where(pending_checks.c.check_run_id == check.id)
        ).scalar_one()
        conn.execute(
            pending_checks.update()
            .where(pending_checks.c.check_run_id == check.id)
            .values(opened_at=as_utc(opened) - timedelta(hours=hours))  # type: ignore[operator]
        )


def wait_conclusion(fake: FakeGitHub, sha: str, seconds: float = 30) -> str | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        [check] = fake.state.checks_for(sha, "coverhub")
        if check.data["conclusion"] is not None:
            return str(check.data["conclusion"])
        time.sleep(0.1)
    return None


def test_serve_on_embedded_defaults_sweeps_in_the_background(app: App) -> None:
    """The sweeper `coverhub serve` runs itself (in-process jobs), on the real clock."""
    repo = app.fake.install("octo-org/app")
    _run, check = open_pending(app, repo)
    backdate(app.engine, check, hours=2)  # opened two hours ago, by the record
    assert wait_conclusion(app.fake, SHA) == "timed_out"
    assert record_of(app, check).outcome == "timed_out"


def test_coverhub_worker_sweeps_stuck_checks(
    prod_env: dict[str, str],
    procs: list[Proc],
    tmp_path: Path,
    fake_github: FakeGitHub,
    fake_github_app: Any,
) -> None:
    """In production the worker process runs the sweeper (serve hands jobs to the queue)."""
    prod = start_production(
        prod_env,
        procs,
        tmp_path,
        fake_github,
        fake_github_app,
        COVERHUB_CHECK_TIMEOUT_MINUTES="90",
    )
    repo = fake_github.install("octo-org/app")
    run = fake_github.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    delivered = fake_github.hooks.deliver(
        "workflow_run", fake_github.hooks.payloads.workflow_run(run, "requested")
    )
    assert delivered.status_code == 202, delivered
    engine = prod.engine()
    try:
        deadline = time.monotonic() + 30
        while not fake_github.state.checks_for(SHA, "coverhub") and time.monotonic() < deadline:
            time.sleep(0.1)
        [check] = fake_github.state.checks_for(SHA, "coverhub")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if conn.execute(sa.select(pending_checks.c.id)).first() is not None:
                    break
            time.sleep(0.1)
        backdate(engine, check, hours=2)  # opened two hours ago, by the record
        logs = "\n".join(p.output() for p in procs)
        assert wait_conclusion(fake_github, SHA) == "timed_out", logs
        [check] = fake_github.state.checks_for(SHA, "coverhub")
        assert "after 90 minutes" in check.data["output"]["title"]
    finally:
        engine.dispose()


# ------------------------------------------------------------------ GitHub says no


def test_a_check_gone_from_github_is_settled_and_the_pass_goes_on(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    _run, gone = open_pending(app, repo, "1" * 40)
    _run, stuck = open_pending(app, repo, "2" * 40)
    with app.fake.state.lock:
        app.fake.state.check_runs.remove(gone)
    at = max(later(app, c, timedelta(minutes=TIMEOUT + 1)) for c in (gone, stuck))
    [report] = sweep(app, sweeper_at(app, at))
    assert report.counts == {"gone": 1, "timed_out": 1}
    assert [r.status for r in gets_of(app, gone)] == [404]
    assert patches_of(app, gone) == []
    row = record_of(app, gone)
    assert row.outcome == "gone" and "404" in row.note
    assert app.fake.state.checks_for("2" * 40, "coverhub")[0].data["conclusion"] == "timed_out"


def test_forbidden_is_settled(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    _run, check = open_pending(app, repo)
    app.fake.fail("GET", rf"/check-runs/{check.id}$", 403)
    [report] = sweep(app, sweeper_at(app, later(app, check, timedelta(minutes=TIMEOUT + 1))))
    assert report.counts == {"forbidden": 1}
    row = record_of(app, check)
    assert row.outcome == "forbidden" and "Checks: write" in row.note
    assert patches_of(app, check) == []


def test_suspended_installation_is_settled(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    _run, check = open_pending(app, repo)
    # an hour on, the token coverhub holds has expired; minting a new one is refused
    app.fake.state.expire_tokens()
    cache = app.client.app.state.services.cache  # type: ignore[attr-defined]
    portal = app.client.portal
    assert portal is not None
    portal.call(cache.delete_prefix, "github-auth:")
    assert repo.installation is not None
    repo.installation.suspended = True
    [report] = sweep(app, sweeper_at(app, later(app, check, timedelta(minutes=TIMEOUT + 1))))
    assert report.counts == {"forbidden": 1}
    assert gets_of(app, check) == [] and patches_of(app, check) == []


def test_uninstalled_repository_is_settled_without_asking_github(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    _run, check = open_pending(app, repo)
    assert repo.installation is not None
    payload = app.fake.hooks.payloads.installation(repo.installation, "deleted", [repo])
    assert app.deliver("installation", payload).status_code == 202
    app.wait_deliveries()
    requests = len(app.fake.state.requests)
    [report] = sweep(app, sweeper_at(app, later(app, check, timedelta(minutes=TIMEOUT + 1))))
    assert report.counts == {"gone": 1}
    assert len(app.fake.state.requests) == requests
    assert "no longer installed" in record_of(app, check).note


def test_server_errors_put_the_check_back_with_backoff_then_it_completes(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    _run, check = open_pending(app, repo)
    app.fake.fail("GET", rf"/check-runs/{check.id}$", 502, times=4)  # the gateway tries 4 times
    at = later(app, check, timedelta(minutes=TIMEOUT + 1))
    [report] = sweep(app, sweeper_at(app, at))
    assert report.counts == {"retry": 1}
    row = record_of(app, check)
    assert row.settled_at is None and row.tries == 1 and "502" in row.note
    assert as_utc(row.claimed_until) == at + retry_delay(1)
    # not before the backoff is over
    [report] = sweep(app, sweeper_at(app, at + retry_delay(1)))
    assert report.total == 0
    [report] = sweep(app, sweeper_at(app, at + retry_delay(1) + timedelta(seconds=1)))
    assert report.counts == {"timed_out": 1}


def test_a_check_github_keeps_failing_on_is_abandoned_after_max_tries(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    _run, check = open_pending(app, repo)
    with app.engine.begin() as conn:
        conn.execute(pending_checks.update().values(tries=MAX_TRIES - 1))
    app.fake.fail("GET", rf"/check-runs/{check.id}$", 500, times=4)
    [report] = sweep(app, sweeper_at(app, later(app, check, timedelta(minutes=TIMEOUT + 1))))
    assert report.counts == {"abandoned": 1}
    assert record_of(app, check).outcome == "abandoned"


def test_work_per_pass_is_bounded_oldest_first(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    checks = [open_pending(app, repo, f"{i:040x}")[1] for i in range(1, 4)]
    with app.engine.begin() as conn:  # make the order of opening unambiguous
        for minutes, check in zip((30, 20, 10), checks, strict=True):
            opened = as_utc(record_of(app, check).opened_at)
            assert opened is not None
            conn.execute(
                pending_checks.update()
                .where(pending_checks.c.check_run_id == check.id)
                .values(opened_at=opened - timedelta(minutes=minutes))
            )
    at = later(app, checks[-1], timedelta(minutes=TIMEOUT + 1))
    gateway = app.client.app.state.services.github  # type: ignore[attr-defined]
    small = StuckCheckSweeper(app.engine, gateway, TIMEOUT, clock=lambda: at, batch=2)
    [report] = sweep(app, small)
    assert report.counts == {"timed_out": 2}
    assert [len(patches_of(app, c)) for c in checks] == [1, 1, 0]
    [report] = sweep(app, small)
    assert [len(patches_of(app, c)) for c in checks] == [1, 1, 1]


def test_give_up_body_is_within_githubs_limits() -> None:
    from app.services.pending_checks import ClaimedCheck

    claim = ClaimedCheck(1, "t", "o", "r", 1, SHA, "coverhub", 2, 3, 4, datetime.now(), 0)
    body = give_up_body(claim, 1)
    assert body["output"]["title"] == "coverhub gave up waiting for coverage after 1 minute"
    assert len(body["output"]["title"]) <= 255 and len(body["output"]["summary"]) <= 65535
    assert "workflow run 3 (attempt 4)" in body["output"]["summary"]


# ------------------------------------------------------------------ PostgreSQL


@pytest.fixture
def pg_app(
    settings_factory: Any, fake_github: FakeGitHub, fake_github_app: Any, pg_url: str
) -> Iterator[App]:
    """The App as the ``app`` fixture builds it, on a fresh schema of PostgreSQL."""
    eng = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate(eng)
    eng.dispose()
    settings = settings_factory(
        database_url=pg_url,
        github_app_id=str(fake_github_app.app_id),
        github_private_key=fake_github_app.private_key_pem,
        github_webhook_secret=fake_github_app.webhook_secret,
        github_api_url=fake_github.url,
        sweep_interval="0.2",
    )
    with TestClient(create_app(settings)) as client:
        gateway = client.app.state.services.github  # type: ignore[attr-defined]

        async def no_wait(seconds: float) -> None:
            return None

        gateway.sleep = no_wait
        yield App(client, fake_github, fake_github_app.webhook_secret)
