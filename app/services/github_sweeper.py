"""The stuck-check sweeper: no check run coverhub opened as pending stays pending for ever.

``workflow_run`` requested/in_progress opens a pending ``coverhub`` check (github_runs), and the
ingestion job completes it when the run's ``completed`` event arrives. If that event never comes
(a lost delivery, a run cancelled without one, coverhub down at the time), the check would hold
the merge gate pending indefinitely. Each pass of this sweeper:

1. claims up to :data:`BATCH` recorded checks (``pending_checks``) opened more than the
   configured minutes ago (strictly more: at exactly the limit a check is still waited for);
2. leaves alone, for a while, one whose ingestion job is queued or running (that job will
   complete it);
3. GETs the check run: GitHub is the truth. Already completed (by the ingestion job or the
   publisher): the row is only marked settled, nothing is sent;
4. otherwise PATCHes it completed, conclusion ``timed_out``, with a title and summary that say
   coverhub gave up waiting after N minutes and how to try again; then marks the row settled.

Why ``timed_out`` and not ``neutral``: GitHub allows both on a check run (reference/github.md
§3.2), but branch protection counts ``neutral`` (like ``success`` and ``skipped``) as passing a
required check (GitHub's behaviour, which palantir/bulldozer v1.12.0 notes it now matches), so
``neutral`` would turn the merge gate green although coverage never spoke, which is what the
pending check exists to prevent (DESIGN, data flow step 2). ``timed_out`` keeps the gate closed,
says exactly what happened, and is cleared by a re-run (the check's "Re-run", or a re-run of the
workflow, which opens and completes a new check run of the same name).

A check on a repository the App was removed from (by our records of the installation events)
is settled ``gone`` without a call. Other errors are per check: a 404 (the check run, repository
or installation is gone) settles it as ``gone``; a 403 (permission withdrawn, installation
suspended) as ``forbidden``; anything else (5xx after retries, rate limit, network) puts it back
for a later pass with backoff, and after :data:`MAX_TRIES` it is settled ``abandoned``. Every
such case is logged; none stops the pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
import sqlalchemy as sa

from app.db.engine import utcnow
from app.feedback.check import RERUN_ACTION
from app.github.gateway import GitHubError, GitHubGateway, InstallationRefused
from app.jobs.runner import PermanentError, RetryLater, repeat_forever
from app.services import pending_checks as store
from app.services.github_runs import RUN_JOB, run_job_key
from app.services.pending_checks import ClaimedCheck

log = logging.getLogger("coverhub.github.sweeper")

#: checks handled per pass at most (each costs a GET, and a PATCH when it was stuck)
BATCH = 50
#: how long a claim holds a row: longer than a pass over BATCH checks can take
CLAIM = timedelta(minutes=5)
#: a check whose ingestion job is still queued or running is looked at again after this
DEFER = timedelta(minutes=5)
#: after this many failed attempts to reach GitHub about one check, it is settled "abandoned"
MAX_TRIES = 8

TIMED_OUT = "timed_out"


# ------------------------------------------------------------------ pure decisions


def opened_before(now: datetime, timeout_minutes: int) -> datetime:
    """Checks opened strictly before this instant are stuck at ``now``."""
    return now - timedelta(minutes=timeout_minutes)


def retry_delay(tries: int) -> timedelta:
    """Backoff after the ``tries``-th failure: 5, 10, 20 ... minutes, at most 6 hours."""
    minutes: int = 5 * 2 ** min(max(tries - 1, 0), 7)
    return min(timedelta(minutes=minutes), timedelta(hours=6))


def give_up_body(check: ClaimedCheck, timeout_minutes: int) -> dict[str, Any]:
    """The PATCH that completes a stuck check: timed out, saying why and how to try again."""
    minutes = f"{timeout_minutes} minute{'s' if timeout_minutes != 1 else ''}"
    run = f"workflow run {check.workflow_run_id} (attempt {check.run_attempt})"
    summary = "\n".join(
        [
            f"## coverhub gave up waiting for coverage after {minutes}",
            "",
            f"coverhub opened this check when {run} started and waits for that run to complete"
            " to read its coverage artifacts. No completed run reached coverhub within"
            f" {minutes}: the run may still be going, it may have been cancelled, or the"
            " notice of its completion was lost. Rather than leave the check pending for ever,"
            " coverhub stopped waiting. No coverage was measured, so this is neither a pass nor"
            " a failure of the coverage gates.",
            "",
            "### To try again",
            "",
            f"- **Re-run** this check (or **{RERUN_ACTION['label']}**): coverhub fetches the"
            f" coverage artifacts of {run} again, once the run has completed.",
            "- Or re-run the workflow: coverhub reports on the new attempt when it completes.",
            "",
            f"The wait is set on the coverhub server (`COVERHUB_CHECK_TIMEOUT_MINUTES`,"
            f" {timeout_minutes} here).",
        ]
    )
    return {
        "status": "completed",
        "conclusion": TIMED_OUT,
        "output": {
            "title": f"coverhub gave up waiting for coverage after {minutes}",
            "summary": summary,
        },
        "actions": [RERUN_ACTION],
    }


def outcome_of(exc: BaseException) -> str | None:
    """How an error settles a check: "gone" (404, 410), "forbidden" (403, or the gateway's
    missing-permission error), or None: try again later."""
    if isinstance(exc, RetryLater):
        return None
    # the gateway's errors carry GitHub's status (a refused installation token included)
    status = exc.status if isinstance(exc, GitHubError | InstallationRefused) else None
    if status in (404, 410):
        return "gone"
    if status == 403 or isinstance(exc, PermanentError):
        return "forbidden"
    return None


# ------------------------------------------------------------------ the pass


@dataclass
class SweepReport:
    """What one pass did, by outcome ("deferred" and "retry" are rows put back)."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class StuckCheckSweeper:
    """Completes pending check runs nobody completed (see the module docstring)."""

    def __init__(
        self,
        engine: sa.Engine,
        gateway: GitHubGateway,
        timeout_minutes: int,
        *,
        clock: Callable[[], datetime] = utcnow,
        batch: int = BATCH,
    ) -> None:
        self.engine = engine
        self.gateway = gateway
        self.timeout_minutes = timeout_minutes
        self.clock = clock
        self.batch = batch

    async def sweep(self) -> SweepReport:
        """One pass: claim the stuck checks and settle each (errors stay per check)."""
        now = self.clock()
        claimed = await anyio.to_thread.run_sync(
            lambda: store.claim_stuck(
                self.engine,
                now=now,
                opened_before=opened_before(now, self.timeout_minutes),
                limit=self.batch,
                lease=CLAIM,
            )
        )
        report = SweepReport()
        by_installation: dict[int, list[ClaimedCheck]] = {}
        for check in claimed:
            by_installation.setdefault(check.installation_id, []).append(check)
        for installation_id, checks in by_installation.items():
            waiting = list(checks)
            try:
                async with self.gateway.installation(installation_id) as gh:
                    while waiting:
                        report.add(await self._settle_one(gh, waiting[0]))
                        waiting.pop(0)
            except Exception as exc:  # the client itself failed: the rest are put back
                for check in waiting:
                    report.add(await anyio.to_thread.run_sync(self._after_error, check, exc))
        if report.total:
            log.info("stuck-check sweep: %s", report.counts, extra={"counts": report.counts})
        return report

    async def _settle_one(self, gh: Any, check: ClaimedCheck) -> str:
        try:
            return await self._decide(gh, check)
        except Exception as exc:  # one check's trouble never stops the pass
            return await anyio.to_thread.run_sync(self._after_error, check, exc)

    async def _decide(self, gh: Any, check: ClaimedCheck) -> str:
        if check.uninstalled:  # nothing can be written there any more: no call to GitHub
            note = "the App is no longer installed on the repository"
            log.info("stuck-check sweeper: check %s: %s", check.check_run_id, note)
            await anyio.to_thread.run_sync(
                lambda: store.settle(self.engine, check, "gone", self.clock(), note)
            )
            return "gone"
        key = run_job_key(check.owner, check.repo, check.workflow_run_id, check.run_attempt)
        if await anyio.to_thread.run_sync(store.job_unfinished, self.engine, RUN_JOB, key):
            await anyio.to_thread.run_sync(
                lambda: store.put_back(
                    self.engine,
                    check,
                    self.clock() + DEFER,
                    "the run's ingestion job is still queued or running",
                    count_try=False,
                )
            )
            return "deferred"
        owner, repo, check_id = check.owner, check.repo, check.check_run_id
        resp = await self.gateway.call(
            "checks", lambda: gh.rest.checks.async_get(owner, repo, check_id)
        )
        current = resp.json()
        if current.get("status") == "completed":
            outcome = "completed_by_run"
            note = f"already completed on GitHub ({current.get('conclusion')})"
        else:
            body = give_up_body(check, self.timeout_minutes)
            await self.gateway.call(
                "checks", lambda: gh.rest.checks.async_update(owner, repo, check_id, data=body)
            )
            outcome = TIMED_OUT
            note = f"pending for more than {self.timeout_minutes} minutes; completed as timed out"
            log.info(
                "completed stuck check %s on %s/%s@%s (run %s attempt %s) as timed out",
                check_id,
                owner,
                repo,
                check.head_sha[:7],
                check.workflow_run_id,
                check.run_attempt,
            )
        await anyio.to_thread.run_sync(
            lambda: store.settle(self.engine, check, outcome, self.clock(), note)
        )
        return outcome

    def _after_error(self, check: ClaimedCheck, exc: Exception) -> str:
        where = f"check {check.check_run_id} on {check.owner}/{check.repo}"
        reason = str(exc) or type(exc).__name__
        now = self.clock()
        outcome = outcome_of(exc)
        if outcome is None and check.tries + 1 >= MAX_TRIES:
            outcome = "abandoned"
        if outcome is not None:
            log.warning("stuck-check sweeper: %s settled as %s: %s", where, outcome, reason)
            store.settle(self.engine, check, outcome, now, reason)
            return outcome
        delay = retry_delay(check.tries + 1)
        if isinstance(exc, RetryLater):
            delay = max(delay, timedelta(seconds=exc.seconds))
        log.warning(
            "stuck-check sweeper: %s not settled (%s); trying again in %s", where, reason, delay
        )
        store.put_back(self.engine, check, now + delay, reason)
        return "retry"

    async def sweep_forever(self, interval: float) -> None:
        await repeat_forever(self.sweep, interval, "stuck-check sweep")


def sweeper_for(services: Any) -> StuckCheckSweeper | None:
    """The sweeper of a services container; None when the GitHub App is not configured."""
    if services.github is None:
        return None
    return StuckCheckSweeper(
        services.engine, services.github, services.settings.check_timeout_minutes
    )


def start_sweepers(services: Any) -> list[asyncio.Task[None]]:
    """The background sweepers of a process that runs jobs: lost jobs, and (with the GitHub App)
    stuck checks, every ``COVERHUB_SWEEP_INTERVAL`` seconds."""
    interval = services.settings.sweep_interval
    tasks = [asyncio.create_task(services.runner.sweep_forever(interval))]
    stuck_checks = sweeper_for(services)
    if stuck_checks is not None:
        tasks.append(asyncio.create_task(stuck_checks.sweep_forever(interval)))
    return tasks
