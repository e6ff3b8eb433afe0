"""workflow_run and check_run events: the pending check, and the run ingestion job.

``workflow_run`` requested/in_progress puts a pending ``coverhub`` check run on the head sha at
once (so the merge button is never green before coverage has spoken); ``completed`` queues the
ingestion of the run (one job per run and attempt); ``check_run`` rerequested queues it again.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import anyio.to_thread
import sqlalchemy as sa

from app.db.engine import utcnow
from app.feedback.check import ExternalId
from app.feedback.inputs import DEFAULT_FLAG
from app.jobs.runner import JobContext
from app.services import installations as inst
from app.services import pending_checks, records
from app.services.github_checks import CHECK_NAME, complete_check, find_check_runs
from app.webhooks.events import finish

log = logging.getLogger("coverhub.github")

RUN_JOB = "github.ingest_run"


def run_job_key(owner: str, repo: str, run_id: int, attempt: int) -> str:
    """The key of the ingestion job of one run attempt (a re-request appends ``:...``)."""
    return f"run:{owner}/{repo}:{run_id}:{attempt}"


@dataclass(frozen=True)
class RunRef:
    """What the ingestion job needs to know about a workflow run."""

    owner: str
    repo: str
    installation_id: int
    run_id: int
    attempt: int
    head_sha: str
    head_branch: str | None
    workflow_name: str | None
    event: str | None
    head_owner: str | None
    head_repo: str | None
    pull_requests: list[int] = field(default_factory=list)
    repository: dict[str, Any] = field(default_factory=dict)
    base_ref: str | None = None  # the pull request's base branch, when the event names it
    #: a ``check_run`` re-request (or "Re-run coverage"): publish anew even an unchanged result
    rerequested: bool = False

    @classmethod
    def from_event(cls, body: dict[str, Any]) -> RunRef:
        run = body["workflow_run"]
        repository = body["repository"]
        owner, _, name = str(repository["full_name"]).partition("/")
        head_repository = run.get("head_repository") or {}
        prs = []
        base_ref = None
        for pr in run.get("pull_requests") or []:
            base = (pr or {}).get("base") or {}
            head = (pr or {}).get("head") or {}
            same_repo = (base.get("repo") or {}).get("id") in (None, repository.get("id"))
            if same_repo and head.get("sha") in (None, run["head_sha"]):
                prs.append(int(pr["number"]))
                base_ref = base_ref or base.get("ref")
        return cls(
            owner=owner,
            repo=name,
            installation_id=int(body["installation"]["id"]),
            run_id=int(run["id"]),
            attempt=int(run.get("run_attempt") or 1),
            head_sha=str(run["head_sha"]),
            head_branch=run.get("head_branch"),
            workflow_name=run.get("name"),
            event=run.get("event"),
            head_owner=(head_repository.get("owner") or {}).get("login"),
            head_repo=head_repository.get("full_name"),
            pull_requests=prs,
            repository={
                k: repository.get(k)
                for k in ("id", "full_name", "name", "private", "default_branch", "owner")
            },
            base_ref=base_ref,
        )

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> RunRef:
        return cls(**payload)

    def external_id(self, flag: str = DEFAULT_FLAG, pr_number: int | None = None) -> str:
        """What a check run carries so a re-request can re-process the same run attempt."""
        return ExternalId(self.run_id, flag, pr_number, self.attempt).encode()

    def job_key(self, suffix: str = "") -> str:
        return run_job_key(self.owner, self.repo, self.run_id, self.attempt) + suffix


def _record_run(ref: RunRef, conn: sa.Connection) -> int:
    repo_id = inst.upsert_repository(conn, ref.repository, ref.installation_id)
    records.ensure_commit(conn, repo_id, ref.head_sha, branch=ref.head_branch)
    return repo_id


def _started_at(check: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(check.get("started_at")).replace("Z", "+00:00"))
    except ValueError:
        return None


async def _remember_pending(ctx: JobContext, ref: RunRef, check: dict[str, Any]) -> None:
    """Record a pending check of ours for the stuck-check sweeper (once per check run).

    ``check`` is the create response, or an open check found on the sha: then it is recorded
    under the run its external_id names (a job that died between creating the check and
    recording it finds the check open when it runs again).
    """
    ext = ExternalId.decode(check.get("external_id"))
    if ext is None:
        return
    opened_at = _started_at(check) or utcnow()

    def work() -> None:
        with ctx.store.engine.begin() as conn:
            repo_id = inst.upsert_repository(conn, ref.repository, ref.installation_id)
            pending_checks.record_opened(
                conn,
                pending_checks.OpenedCheck(
                    repository_id=repo_id,
                    installation_id=ref.installation_id,
                    head_sha=str(check.get("head_sha") or ref.head_sha),
                    check_name=str(check.get("name") or CHECK_NAME),
                    check_run_id=int(check["id"]),
                    workflow_run_id=ext.run_id,
                    run_attempt=ext.attempt,
                    opened_at=opened_at,
                ),
            )

    await anyio.to_thread.run_sync(work)


async def post_pending_check(ctx: JobContext, ref: RunRef) -> None:
    """A pending check run on the head sha, unless an unfinished one is already there.

    Every pending check of ours is recorded, so that the stuck-check sweeper completes it if
    the run's ``completed`` event never arrives (app.services.github_sweeper).
    """
    gateway = ctx.services.github
    if gateway is None:
        return
    async with gateway.installation(ref.installation_id) as gh:
        runs = await find_check_runs(gateway, gh, ref.owner, ref.repo, ref.head_sha)
        unfinished = [r for r in runs if r.get("status") != "completed"]
        if unfinished:
            for check in unfinished:
                await _remember_pending(ctx, ref, check)
            return
        resp = await gateway.call(
            "checks",
            lambda: gh.rest.checks.async_create(
                ref.owner,
                ref.repo,
                data={
                    "name": CHECK_NAME,
                    "head_sha": ref.head_sha,
                    "status": "in_progress",
                    "external_id": ref.external_id(),
                    "output": {
                        "title": "Waiting for coverage",
                        "summary": f"Workflow {ref.workflow_name or ref.run_id} is running;"
                        " coverhub reads its coverage artifacts when it completes.",
                    },
                },
            ),
        )
    await _remember_pending(ctx, ref, resp.json())


async def on_workflow_run(ctx: JobContext, action: str | None, body: dict[str, Any]) -> None:
    if "installation" not in body:
        await finish(ctx, status="ignored")
        return
    ref = RunRef.from_event(body)

    def active() -> bool:
        with ctx.store.engine.begin() as conn:
            return inst.repository_active(conn, _record_run(ref, conn))

    if not await anyio.to_thread.run_sync(active):
        log.info("ignoring run of inactive repository %s/%s", ref.owner, ref.repo)
        await finish(ctx, status="ignored")
        return
    if action in ("requested", "in_progress"):
        await post_pending_check(ctx, ref)
        await finish(ctx, lambda conn: _record_run(ref, conn))
        return
    if action != "completed":
        await finish(ctx, status="ignored")
        return
    await ctx.services.runner.submit(RUN_JOB, ref.to_payload(), ref.job_key(), reopen=True)
    await finish(ctx)


async def on_check_run(ctx: JobContext, action: str | None, body: dict[str, Any]) -> None:
    check = body.get("check_run") or {}
    rerun = action == "rerequested" or (
        action == "requested_action"
        and (body.get("requested_action") or {}).get("identifier") == "rerun"
    )
    if not rerun or check.get("name", "").split(" ")[0] != CHECK_NAME or "installation" not in body:
        await finish(ctx, status="ignored")
        return
    ext = ExternalId.decode(check.get("external_id"))
    if ext is None:
        log.warning("check run %s has no usable external_id", check.get("id"))
        await finish(ctx, status="ignored")
        return
    repository = body["repository"]
    owner, _, name = str(repository["full_name"]).partition("/")
    ref = RunRef(
        owner=owner,
        repo=name,
        installation_id=int(body["installation"]["id"]),
        run_id=ext.run_id,
        attempt=ext.attempt,
        head_sha=str(check["head_sha"]),
        head_branch=None,
        workflow_name=None,
        event=None,
        head_owner=None,
        head_repo=None,
        repository={
            k: repository.get(k)
            for k in ("id", "full_name", "name", "private", "default_branch", "owner")
        },
        rerequested=True,
    )
    # a fresh key: the earlier ingestion of this run may be done, and must run again
    await ctx.services.runner.submit(
        RUN_JOB, ref.to_payload(), ref.job_key(f":rerequest:{ctx.payload['delivery_id']}")
    )
    await finish(ctx)


async def complete_run_check(
    gateway: Any, gh: Any, ref: RunRef, *, conclusion: str, title: str, summary: str
) -> int:
    """Complete the run's ``coverhub`` check on its head sha (external_id names the run)."""
    return await complete_check(
        gateway,
        gh,
        owner=ref.owner,
        repo=ref.repo,
        sha=ref.head_sha,
        conclusion=conclusion,
        title=title,
        summary=summary,
        external_id=ref.external_id(),
    )
