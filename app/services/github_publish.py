"""Publishing a run's coverage to GitHub: check run per flag, two statuses, one sticky comment.

Called by the run ingestion job once every flag is recorded. Everything here is safe to repeat
(a re-run, a redelivery, a ``check_run`` rerequest): the pending check is finished; a completed
check that already says the result is left alone, otherwise a new check run is created (GitHub
appends annotations on every update, so a completed check is never updated again:
:mod:`app.feedback.check_plan`); statuses are posted once per context per attempt, and the PR
comment is found by marker *and* author and edited, never duplicated. A run of the default
branch also stores the badge keys of its configuration (:func:`store_badge_config`).

What the feedback is computed from (reports, base commit, PR diff):
:mod:`app.services.github_feedback_inputs`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

import anyio.to_thread

from app.coverage.model import CoverageReport
from app.feedback import comment as fb_comment
from app.feedback import status as fb_status
from app.feedback.check import ExternalId, check_name, check_run
from app.feedback.check_plan import CheckPlan, plan_check
from app.feedback.gates import evaluate
from app.feedback.inputs import DEFAULT_FLAG, FeedbackInput
from app.github.gateway import GitHubGateway
from app.jobs.runner import JobContext
from app.repoconfig import RepoConfig
from app.services import records
from app.services.badges import invalidate_badges
from app.services.github_checks import find_check_runs
from app.services.github_feedback_inputs import FeedbackSource, PullContext
from app.services.github_runs import RunRef
from app.services.repo_settings import apply_config_badge

log = logging.getLogger("coverhub.github")


class Publisher(FeedbackSource):
    """Sends a run's feedback: check runs, statuses, the sticky comment."""

    async def post_check(self, inp: FeedbackInput) -> None:
        """The check run of ``inp`` (see :mod:`app.feedback.check_plan` for why a re-publish
        creates a new check run), then both statuses."""
        verdict = evaluate(inp, self.config.gates)
        run = check_run(inp, verdict)
        owner, repo = self.ref.owner, self.ref.repo
        # newest first, one per name (GitHub's default filter=latest): the one GitHub shows
        existing = await find_check_runs(self.gateway, self.gh, owner, repo, inp.head_sha, run.name)
        current = existing[0] if existing else None
        plan = plan_check(current, run, rerequested=self.ref.rerequested)
        log.info("check %r on %s: %s", run.name, inp.head_sha[:7], plan.value)
        first, *rest = run.requests()
        # the run and attempt (what github_runs.on_check_run re-processes), the flag and the PR
        first["external_id"] = self.ref.external_id(flag=inp.flag, pr_number=inp.pr_number)
        if plan is CheckPlan.FINISH and current is not None:
            await self._update_check(int(current["id"]), first, rest)
        elif plan is CheckPlan.CREATE:
            resp = await self.gateway.call(
                "checks", lambda: self.gh.rest.checks.async_create(owner, repo, data=first)
            )
            await self._update_check(int(resp.json()["id"]), None, rest)
        for payload in fb_status.statuses(inp, verdict):
            await post_status(self.gateway, self.gh, self.ref, payload)

    async def _update_check(
        self, check_id: int, first: dict[str, Any] | None, rest: list[dict[str, Any]]
    ) -> None:
        owner, repo = self.ref.owner, self.ref.repo
        bodies = [] if first is None else [{k: v for k, v in first.items() if k != "head_sha"}]
        for body in bodies + rest:
            await self.gateway.call(
                "checks",
                partial(self.gh.rest.checks.async_update, owner, repo, check_id, data=body),
            )

    async def post_comment(self, pr: PullContext, inputs: list[FeedbackInput]) -> None:
        results = [fb_comment.FlagResult(i, evaluate(i, self.config.gates)) for i in inputs]
        rendered = fb_comment.render(results, self.config.comment)
        owner, repo = self.ref.owner, self.ref.repo
        if self.config.comment.when == "never":
            log.info("PR %s: comments are off", pr.number)
            return
        items = await self.gateway.paginate(
            "comments",
            lambda page: self.gh.rest.issues.async_list_comments(
                owner, repo, pr.number, per_page=100, page=page
            ),
        )
        mine = [c for c in items if fb_comment.is_sticky(c.get("body")) and self._by_us(c)]
        previous = mine[0] if mine else None
        decision = fb_comment.decide(
            self.config.comment.when, rendered, None if previous is None else previous["body"]
        )
        log.info("PR %s comment: %s (%s)", pr.number, decision.action, decision.reason)
        if decision.action is fb_comment.Action.SKIP:
            return
        body, issues = {"body": rendered.body}, self.gh.rest.issues
        send = (
            partial(issues.async_create_comment, owner, repo, pr.number, data=body)
            if previous is None
            else partial(issues.async_update_comment, owner, repo, int(previous["id"]), data=body)
        )
        await self.gateway.call("comments", send)

    def _by_us(self, item: dict[str, Any]) -> bool:
        """Written by this App: ``performed_via_github_app.id`` is our App id (settings)."""
        app_id = self.ctx.services.settings.github_app_id
        via = item.get("performed_via_github_app") or {}
        user = item.get("user") or {}
        return app_id is not None and via.get("id") == app_id and user.get("type") == "Bot"


async def post_status(
    gateway: GitHubGateway, gh: Any, ref: RunRef, payload: fb_status.StatusPayload
) -> None:
    body = payload.to_json()
    await gateway.call(
        "statuses",
        lambda: gh.rest.repos.async_create_commit_status(
            ref.owner, ref.repo, ref.head_sha, data=body
        ),
    )


async def publish_error(gateway: GitHubGateway, gh: Any, ref: RunRef, reason: str) -> None:
    """Processing failed: both statuses say so (a status is never left pending)."""
    for payload in fb_status.errored(reason):
        await post_status(gateway, gh, ref, payload)


def is_default_branch_run(ref: RunRef, default_branch: str, pull_numbers: Sequence[int]) -> bool:
    """A run of this repository's default branch that is no pull request's: its configuration
    was read from the default branch (github_ingest.config_ref)."""
    own = ref.head_repo in (None, ref.repository.get("full_name"))
    return own and not pull_numbers and ref.base_ref is None and ref.head_branch == default_branch


async def store_badge_config(
    ctx: JobContext, repo_id: int, ref: RunRef, config: RepoConfig
) -> None:
    """The default branch's ``badge:`` keys become the repository's badge settings (keys it does
    not set, or no longer sets, fall back to the operator's); the badges are invalidated when
    that changed them, so the next badge is drawn with them."""
    badge = config.badge

    def store() -> bool:
        with ctx.store.engine.begin() as conn:
            return apply_config_badge(
                conn, repo_id, thresholds=badge.thresholds, stale_days=badge.stale_days
            )

    if await anyio.to_thread.run_sync(store):
        log.info("badge settings of %s/%s set from %s", ref.owner, ref.repo, config.source)
        await invalidate_badges(ctx.services, ref.owner, ref.repo)


async def finish_default_check(
    gateway: GitHubGateway, gh: Any, ref: RunRef, flags: Sequence[str]
) -> None:
    """A run that reported named flags only: the pending ``coverhub`` check it opened at
    "requested" (named for the default flag) is completed neutral, pointing at the flags' checks.

    Only the check this run opened (its external_id names the run) is completed: one opened by
    another workflow on the same commit waits for that workflow's result.
    """
    for check in await find_check_runs(gateway, gh, ref.owner, ref.repo, ref.head_sha):
        opened_by = ExternalId.decode(check.get("external_id"))
        if check.get("status") == "completed" or opened_by is None:
            continue
        if opened_by.run_id != ref.run_id:
            continue
        names = ", ".join(f"`{check_name(f)}`" for f in flags)
        workflow = ref.workflow_name or f"run {ref.run_id}"
        body = {
            "status": "completed",
            "conclusion": "neutral",
            "external_id": ref.external_id(),
            "output": {
                "title": f"Coverage is reported per flag: {', '.join(flags)}",
                "summary": f"Workflow {workflow} reported coverage for "
                f"{'flag' if len(flags) == 1 else 'flags'} {', '.join(flags)} only, not for the"
                f" whole repository. The result and its gates are on {names}.",
            },
        }
        check_id = int(check["id"])
        await gateway.call(
            "checks",
            partial(gh.rest.checks.async_update, ref.owner, ref.repo, check_id, data=body),
        )


async def publish(
    ctx: JobContext,
    gateway: GitHubGateway,
    gh: Any,
    ref: RunRef,
    config: RepoConfig,
    flag_reports: dict[str, CoverageReport],
    pull_numbers: list[int],
    problems: Sequence[object] = (),
) -> None:
    """Check run and statuses per flag on the head sha; the sticky comment on each PR."""

    def repo_id() -> int | None:
        with ctx.store.engine.connect() as conn:
            found = records.find_repository(conn, ref.owner, ref.repo)
            return None if found is None else int(found.id)

    pub = Publisher(ctx, gateway, gh, ref, config, tuple(str(p) for p in problems))
    pub.repo_id = await anyio.to_thread.run_sync(repo_id)
    for flag, report in flag_reports.items():
        pub._reports[ref.head_sha, flag] = report
    default_branch = str(ref.repository.get("default_branch") or "main")
    if pub.repo_id is not None and is_default_branch_run(ref, default_branch, pull_numbers):
        await store_badge_config(ctx, pub.repo_id, ref, config)
    if not pull_numbers and ref.event is None:  # a re-request names only the run: ask GitHub
        items = await gateway.paginate(
            "pulls",
            lambda page: gh.rest.repos.async_list_pull_requests_associated_with_commit(
                ref.owner, ref.repo, ref.head_sha, per_page=100, page=page
            ),
            limit=100,
        )
        pull_numbers = [
            int(p["number"])
            for p in items
            if p.get("state") == "open" and (p.get("head") or {}).get("sha") == ref.head_sha
        ]
    pulls = [p for p in [await pub.pull(n) for n in pull_numbers] if p is not None]
    primary = pulls[0] if pulls else None
    for flag in sorted(flag_reports):
        await pub.post_check(await pub.feedback(flag, flag_reports[flag], primary, default_branch))
    if DEFAULT_FLAG not in flag_reports:
        await finish_default_check(gateway, gh, ref, sorted(flag_reports))
    for pr in pulls:
        if pr.head_sha != ref.head_sha:
            log.info("PR %s has moved on to %s; no comment", pr.number, pr.head_sha[:7])
            continue
        inputs = []
        for flag in await pub.flags_of_head() or sorted(flag_reports):
            head = await pub.report(ref.head_sha, flag)
            if head is not None:
                inputs.append(await pub.feedback(flag, head, pr, default_branch))
        if inputs:
            await pub.post_comment(pr, inputs)
