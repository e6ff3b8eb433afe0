"""The ``webhook.delivery`` job: dispatch a recorded delivery on its event and action.

Each handler's database effects commit together with the job's completion and the delivery's
"done" status (JobContext.commit), so a redelivery of a processed delivery finds it done, and a
failed one is processed again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
import sqlalchemy as sa

from app.jobs.runner import JobContext, PermanentError
from app.services import installations as inst
from app.webhooks import deliveries

log = logging.getLogger("coverhub.webhooks")

DELIVERY_JOB = "webhook.delivery"

EventHandler = Callable[[JobContext, str | None, dict[str, Any]], Awaitable[None]]
Work = Callable[[sa.Connection], Any]


async def finish(ctx: JobContext, work: Work | None = None, status: str = "done") -> None:
    """Commit ``work`` with the job's completion and mark the delivery ``status``."""
    delivery_id = ctx.payload["delivery_id"]

    def run(conn: sa.Connection) -> None:
        if work is not None:
            work(conn)
        deliveries.set_status(conn, delivery_id, status, attempt=True)

    await ctx.commit(run)


def _installation_id(body: dict[str, Any]) -> int | None:
    installation = body.get("installation") or {}
    return int(installation["id"]) if installation.get("id") is not None else None


async def on_installation(ctx: JobContext, action: str | None, body: dict[str, Any]) -> None:
    installation = body.get("installation") or {}
    iid = int(installation["id"])

    def work(conn: sa.Connection) -> None:
        if action == "deleted":
            inst.mark_installation(conn, iid, removed=True)
            return
        inst.upsert_installation(conn, installation)
        if action in ("suspend", "unsuspend"):
            inst.mark_installation(conn, iid, suspended=action == "suspend")
        for repo in body.get("repositories") or []:
            inst.upsert_repository(conn, repo, iid)

    await finish(ctx, work)


async def on_installation_repositories(
    ctx: JobContext, action: str | None, body: dict[str, Any]
) -> None:
    installation = body.get("installation") or {}
    iid = int(installation["id"])

    def work(conn: sa.Connection) -> None:
        inst.upsert_installation(conn, installation)
        for repo in body.get("repositories_added") or []:
            inst.upsert_repository(conn, repo, iid)
        for repo in body.get("repositories_removed") or []:
            if repo.get("id") is not None:
                inst.deactivate_repository(conn, int(repo["id"]))

    await finish(ctx, work)


async def on_pull_request(ctx: JobContext, action: str | None, body: dict[str, Any]) -> None:
    if action not in ("opened", "synchronize", "reopened", "closed", "edited"):
        await finish(ctx, status="ignored")
        return
    iid = _installation_id(body)

    def work(conn: sa.Connection) -> None:
        repo_id = inst.upsert_repository(conn, body["repository"], iid)
        inst.upsert_pull_request(conn, repo_id, body["pull_request"])

    await finish(ctx, work)


async def on_workflow_run(ctx: JobContext, action: str | None, body: dict[str, Any]) -> None:
    from app.services import github_runs

    await github_runs.on_workflow_run(ctx, action, body)


async def on_check_run(ctx: JobContext, action: str | None, body: dict[str, Any]) -> None:
    from app.services import github_runs

    await github_runs.on_check_run(ctx, action, body)


async def on_delete(ctx: JobContext, action: str | None, body: dict[str, Any]) -> None:
    """A branch was deleted: its badge turns grey "stale" (saying so) until a new result lands
    on a branch of that name. A deleted tag means nothing here."""
    from app.services.badges import invalidate_badges
    from app.services.repo_settings import mark_branch_deleted

    if body.get("ref_type") != "branch":
        await finish(ctx, status="ignored")
        return
    branch = str(body["ref"])
    repository = body["repository"]
    iid = _installation_id(body)

    def work(conn: sa.Connection) -> None:
        mark_branch_deleted(conn, inst.upsert_repository(conn, repository, iid), branch)

    await finish(ctx, work)
    owner, _, name = str(repository["full_name"]).partition("/")
    try:  # recorded: a failure to refresh the badges now only delays them (their cache expires)
        await invalidate_badges(ctx.services, owner, name)
    except Exception as exc:
        log.warning("badges of %s not refreshed after deleting %s: %s", owner, branch, exc)


EVENT_HANDLERS: dict[str, EventHandler] = {
    "delete": on_delete,
    "installation": on_installation,
    "installation_repositories": on_installation_repositories,
    "pull_request": on_pull_request,
    "workflow_run": on_workflow_run,
    "check_run": on_check_run,
}


async def delivery_job(ctx: JobContext) -> None:
    event = ctx.payload["event"]
    action = ctx.payload.get("action")
    delivery_id = ctx.payload["delivery_id"]
    handler = EVENT_HANDLERS.get(event)
    if handler is None:
        await finish(ctx, status="ignored")
        return
    try:
        try:
            await handler(ctx, action, ctx.payload["body"])
        except (KeyError, TypeError, ValueError) as exc:
            # a payload without the fields GitHub documents will not improve with retries
            problem = f"malformed {event} payload: {type(exc).__name__}: {exc}"
            raise PermanentError(problem) from exc
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"

        def failed() -> None:
            with ctx.store.engine.begin() as conn:
                deliveries.set_status(conn, delivery_id, "failed", error=error, attempt=True)

        await anyio.to_thread.run_sync(failed)
        raise
