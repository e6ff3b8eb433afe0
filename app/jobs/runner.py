"""Submitting and executing jobs, and the sweeper that re-enqueues what was lost."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread
import sqlalchemy as sa

from app.errors import UpstreamUnavailable
from app.jobs.store import Claim, JobStore, LeaseLost
from app.metrics import Metrics
from app.ports.queue import JobQueue

log = logging.getLogger("coverhub.jobs")

T = TypeVar("T")


class PermanentError(Exception):
    """A job failure that retrying cannot fix (bad input): the job ends dead at once."""


class RetryLater(Exception):
    """Try again after ``seconds`` (a rate limit): the worker is freed meanwhile."""

    def __init__(self, seconds: float, reason: str) -> None:
        self.seconds = max(0.0, seconds)
        super().__init__(f"{reason}; retrying in {self.seconds:.0f} s")


@dataclass
class JobContext:
    """What a handler gets: the job, and a way to commit its effects with the job's completion."""

    claim: Claim
    store: JobStore
    services: Any  # the Services container (app.services.container); typed loosely to avoid a cycle
    completed: bool = False
    lease_seconds: float = 600.0

    @property
    def payload(self) -> dict[str, Any]:
        return self.claim.payload

    async def commit(self, work: Callable[[sa.Connection], T], *, finish: bool = True) -> T:
        """Run ``work(conn)`` and mark the job done in the same database transaction.

        Effects written this way happen exactly once: if the worker dies before the commit,
        nothing is written; if another worker took the job over, the commit is refused.
        ``finish=False`` commits one step of a job that commits several times (the job stays
        ours and running; its lease is extended); the last step finishes it.
        """
        result = await anyio.to_thread.run_sync(
            functools.partial(
                self.store.complete,
                self.claim,
                work,
                finish=finish,
                lease_seconds=self.lease_seconds,
            )
        )
        if finish:
            self.completed = True
        return result  # type: ignore[return-value]


Handler = Callable[[JobContext], Awaitable[None]]


def backoff(attempt: int) -> float:
    """Seconds before retry ``attempt`` + 1: 2, 4, 8, ... capped at 5 minutes."""
    return float(min(300, 2**attempt))


class JobRunner:
    def __init__(
        self,
        store: JobStore,
        queue: JobQueue,
        handlers: dict[str, Handler],
        *,
        metrics: Metrics,
        services: Any = None,
        job_timeout: float = 600.0,
        max_attempts: int = 5,
    ) -> None:
        self.store = store
        self.queue = queue
        self.handlers = handlers
        self.metrics = metrics
        self.services = services
        self.job_timeout = job_timeout
        self.max_attempts = max_attempts

    async def submit(
        self, kind: str, payload: dict[str, Any], key: str, *, reopen: bool = False
    ) -> int:
        """Record the job durably, then enqueue it. Returns the job id.

        If the queue is down the job is still recorded, and the sweeper enqueues it later.
        """
        if kind not in self.handlers:
            raise ValueError(f"no handler for job kind {kind!r}")
        job_id, is_new = await anyio.to_thread.run_sync(
            lambda: self.store.submit(kind, payload, key, self.max_attempts, reopen=reopen)
        )
        if is_new:
            await self.notify(job_id)
        return job_id

    async def notify(self, job_id: int, defer: float = 0.0, *, mark: bool = False) -> None:
        """Enqueue a recorded job; if the queue is down, the sweeper enqueues it later.

        ``mark`` records the time of this enqueue (the sweeper's re-enqueues), so that the job
        is not swept again before it had a chance to run.
        """
        try:
            await self.queue.enqueue(job_id, defer)
        except UpstreamUnavailable as exc:
            log.warning("job %s recorded but not enqueued (%s); the sweeper will", job_id, exc)
            return
        if mark:
            await anyio.to_thread.run_sync(self.store.mark_enqueued, job_id)

    async def execute(self, job_id: int) -> str:
        """Claim and run one job; returns the outcome (done, retry, dead, lost, skipped)."""
        claim = await anyio.to_thread.run_sync(self.store.claim, job_id, self.job_timeout)
        if claim is None:
            self.metrics.jobs.labels("-", "skipped").inc()
            return "skipped"  # done already, not due, or running elsewhere
        handler = self.handlers.get(claim.kind)
        started = time.perf_counter()
        outcome = "done"
        try:
            if handler is None:
                raise PermanentError(f"no handler for job kind {claim.kind!r}")
            ctx = JobContext(claim, self.store, self.services, lease_seconds=self.job_timeout)
            await asyncio.wait_for(handler(ctx), timeout=self.job_timeout)
            if not ctx.completed:
                await anyio.to_thread.run_sync(self.store.complete, claim, None)
        except LeaseLost as exc:
            outcome = "lost"
            log.warning("job %s (%s): %s", claim.job_id, claim.kind, exc)
        except Exception as exc:
            outcome = await self._failed(claim, exc)
        elapsed = time.perf_counter() - started
        self.metrics.jobs.labels(claim.kind, outcome).inc()
        self.metrics.job_seconds.labels(claim.kind, outcome).observe(elapsed)
        log.info(
            "job finished",
            extra={
                "job_id": claim.job_id,
                "kind": claim.kind,
                "attempt": claim.attempt,
                "outcome": outcome,
                "seconds": round(elapsed, 4),
            },
        )
        return outcome

    async def _failed(self, claim: Claim, exc: Exception) -> str:
        if isinstance(exc, TimeoutError):
            error = f"timed out after {self.job_timeout:g} s"
        else:
            error = f"{type(exc).__name__}: {exc}"
        permanent = isinstance(exc, PermanentError)
        if not permanent:
            log.warning(
                "job %s (%s) attempt %s failed: %s\n%s",
                claim.job_id,
                claim.kind,
                claim.attempt,
                error,
                "".join(traceback.format_exception(exc)[-3:]),
            )
        if permanent:
            claim = Claim(
                claim.job_id,
                claim.kind,
                claim.payload,
                claim.max_attempts,
                claim.max_attempts,
                claim.token,
            )
        delay = exc.seconds if isinstance(exc, RetryLater) else backoff(claim.attempt)
        outcome = await anyio.to_thread.run_sync(self.store.fail, claim, error, delay)
        if outcome == "retry":
            await self.notify(claim.job_id, defer=delay)
        return outcome

    async def sweep(self) -> int:
        """Re-enqueue unfinished jobs that nobody is working on; returns how many."""
        ids = await anyio.to_thread.run_sync(self.store.overdue, self.job_timeout)
        for job_id in ids:
            await self.notify(job_id, mark=True)
        if ids:
            self.metrics.swept.inc(len(ids))
            log.info("sweeper re-enqueued %d job(s)", len(ids), extra={"job_ids": ids[:20]})
        return len(ids)

    async def sweep_forever(self, interval: float) -> None:
        await repeat_forever(self.sweep, interval, "sweep")


async def repeat_forever(work: Callable[[], Awaitable[Any]], interval: float, what: str) -> None:
    """``work()`` every ``interval`` seconds until cancelled; a failure (a database hiccup) is
    logged and the next round runs all the same."""
    while True:
        try:
            await work()
        except Exception as exc:
            log.warning("%s failed: %s", what, exc)
        await asyncio.sleep(interval)
