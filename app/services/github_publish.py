"""Publishing a run's coverage to GitHub: check run per flag, two statuses, one sticky comment.

Called by the run ingestion job once every flag is recorded. Everything here is safe to repeat
(a re-run, a redelivery, a ``check_run`` rerequest): the pending check is finished; a completed
check that already says the result is left alone, otherwise a new check run is created (GitHub
appends annotations on every update, so a completed check is never updated again:
:mod:`app.feedback.check_plan`); statuses are posted once per context per attempt, and the PR
comment is found by marker *and* author and edited, never duplicated.

Base commit (always said, with why: :class:`~app.feedback.inputs.BaseChoice`): for a PR the merge
base of its base branch and the head (compare ``{base}...{head}``); for a push, the nearest
ancestor of the head with a report; when the merge base has no report, the nearest ancestor that
has one. Candidates are our merged upload rows on the base branch (newest first, at most
:data:`MAX_CANDIDATES`), each confirmed an ancestor by compare ``{candidate}...{target}``
(``ahead``/``identical``, ``behind_by`` 0; ``ahead_by`` says how far behind). The commits
table's ``parents`` column is filled by no event today, so the graph comes from GitHub.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import quote

import anyio.to_thread
import sqlalchemy as sa

from app.coverage.diff import Diff, parse_diff
from app.coverage.model import CoverageReport
from app.coverage.patch import PatchCoverage, patch_coverage
from app.coverage.serialize import from_json
from app.db.schema import uploads
from app.feedback import comment as fb_comment
from app.feedback import status as fb_status
from app.feedback.check import ExternalId, check_name, check_run
from app.feedback.check_plan import CheckPlan, plan_check
from app.feedback.gates import evaluate
from app.feedback.inputs import DEFAULT_FLAG, BaseChoice, BaseRule, FeedbackInput, Links
from app.github.gateway import GitHubGateway
from app.jobs.runner import JobContext
from app.repoconfig import RepoConfig
from app.services import records
from app.services.badges import invalidate_badges
from app.services.github_checks import find_check_runs
from app.services.github_runs import RunRef
from app.services.merged import MERGED, MERGED_NAME, upload_prefix
from app.services.repo_settings import apply_config_badge

log = logging.getLogger("coverhub.github")

MAX_PR_FILES = 3000
MAX_CANDIDATES = 20


@dataclass
class PullContext:
    """One pull request of the run: its number, base branch and diff."""

    number: int
    base_ref: str
    head_sha: str
    diff: Diff | None = None
    unpatched: tuple[str, ...] = ()
    capped: bool = False


@dataclass
class Publisher:
    ctx: JobContext
    gateway: GitHubGateway
    gh: Any
    ref: RunRef
    config: RepoConfig
    problems: tuple[str, ...] = ()
    repo_id: int | None = None
    _compares: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    _reports: dict[tuple[str, str], CoverageReport | None] = field(default_factory=dict)

    async def _merged(self, column: Any, *where: Any) -> list[str]:
        """``column`` of this repository's merged upload rows matching ``where``, newest first."""

        def query() -> list[str]:
            if self.repo_id is None:
                return []
            with self.ctx.store.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(column)
                    .where(uploads.c.repository_id == self.repo_id, uploads.c.source == MERGED)
                    .where(*where)
                    .order_by(uploads.c.id.desc())
                    .limit(MAX_CANDIDATES * 4)
                )
                return list(dict.fromkeys(str(r[0]) for r in rows))

        return await anyio.to_thread.run_sync(query)

    async def report(self, sha: str, flag: str) -> CoverageReport | None:
        """The stored merged report of (sha, flag), or None when there is none."""
        if (sha, flag) not in self._reports:
            found = None
            if await self._merged(uploads.c.id, uploads.c.sha == sha, uploads.c.flag == flag):
                key = upload_prefix(self.ref.owner, self.ref.repo, sha, flag) + MERGED_NAME
                data = await anyio.to_thread.run_sync(
                    lambda: self.ctx.services.store.open(key).read()
                )
                found = from_json(data, key)
            self._reports[sha, flag] = found
        return self._reports[sha, flag]

    async def flags_of_head(self) -> list[str]:
        """Every flag with a merged report on the head commit (other runs' flags too)."""
        return sorted(await self._merged(uploads.c.flag, uploads.c.sha == self.ref.head_sha))

    async def candidates(self, flag: str, branch: str, exclude: Sequence[str]) -> list[str]:
        """Commits on ``branch`` with a merged report of ``flag``, newest first."""
        found = await self._merged(
            uploads.c.sha,
            uploads.c.flag == flag,
            uploads.c.branch == branch,
            uploads.c.sha.not_in(list(exclude)),
        )
        return found[:MAX_CANDIDATES]

    async def compare(self, basehead: str) -> dict[str, Any] | None:
        if basehead not in self._compares:
            resp = await self.gateway.call_or_none(
                "pulls",
                lambda: self.gh.rest.repos.async_compare_commits(
                    self.ref.owner, self.ref.repo, basehead, per_page=1
                ),
            )
            self._compares[basehead] = None if resp is None else resp.json()
        return self._compares[basehead]

    async def pull(self, number: int) -> PullContext | None:
        resp = await self.gateway.call_or_none(
            "pulls", lambda: self.gh.rest.pulls.async_get(self.ref.owner, self.ref.repo, number)
        )
        if resp is None:
            return None
        data = resp.json()
        pr = PullContext(number, str(data["base"]["ref"]), str(data["head"]["sha"]))
        items = await self.gateway.paginate(
            "pulls",
            lambda page: self.gh.rest.pulls.async_list_files(
                self.ref.owner, self.ref.repo, number, per_page=100, page=page
            ),
            limit=MAX_PR_FILES,
        )
        pr.diff, pr.unpatched = files_to_diff(items)
        pr.capped = len(items) >= MAX_PR_FILES
        return pr

    async def choose_base(
        self, flag: str, pr: PullContext | None, default_branch: str
    ) -> tuple[BaseChoice, CoverageReport | None]:
        head = self.ref.head_sha
        branch = pr.base_ref if pr is not None else (self.ref.head_branch or default_branch)
        if pr is not None:
            cmp = await self.compare(f"{pr.base_ref}...{head}")
            merge_base = ((cmp or {}).get("merge_base_commit") or {}).get("sha")
            if not merge_base:
                return BaseChoice(BaseRule.NONE, branch=branch), None
            found = await self.report(merge_base, flag)
            if found is not None:
                return BaseChoice(BaseRule.MERGE_BASE, merge_base, branch, merge_base), found
            target, rule, offset = str(merge_base), BaseRule.NEAREST_ANCESTOR, 0
        else:
            target, rule, offset, merge_base = head, BaseRule.FIRST_PARENT, 1, None
        for sha in await self.candidates(flag, branch, [head, target]):
            cmp = await self.compare(f"{sha}...{target}")
            if cmp is None or cmp.get("status") not in ("ahead", "identical"):
                continue
            if int(cmp.get("behind_by") or 0) != 0:
                continue
            behind = max(int(cmp.get("ahead_by") or 0) - offset, 0)
            found = await self.report(sha, flag)
            if found is not None:
                return BaseChoice(rule, sha, branch, merge_base, behind), found
        return BaseChoice(BaseRule.NONE, branch=branch, merge_base=merge_base), None

    def links(self, flag: str) -> Links:
        root = self.ctx.services.settings.public_url.rstrip("/")
        owner, repo, sha = self.ref.owner, self.ref.repo, self.ref.head_sha
        report = f"{root}/{quote(owner)}/{quote(repo)}/commit/{sha}/"
        if flag != DEFAULT_FLAG:
            report += f"{quote(flag, safe='')}/"
        return Links(report, file=report + "{path}.html", line=report + "{path}.html#L{line}")

    async def feedback(
        self, flag: str, head: CoverageReport, pr: PullContext | None, default_branch: str
    ) -> FeedbackInput:
        choice, base = await self.choose_base(flag, pr, default_branch)
        diff = pr.diff if pr is not None else None
        patch: PatchCoverage | None = None
        if diff is not None:
            patch = patch_coverage([head], diff)
        return FeedbackInput.build(
            head_sha=self.ref.head_sha,
            head=head,
            base=base,
            base_choice=choice,
            links=self.links(flag),
            flag=flag,
            pr_number=pr.number if pr is not None else None,
            default_branch_push=pr is None and self.ref.head_branch == default_branch,
            patch=patch,
            unpatched=pr.unpatched if pr is not None else (),
            files_capped=pr.capped if pr is not None else False,
            changed_paths=diff.changed_paths() if diff is not None else (),
            renames=diff.renames() if diff is not None else None,
            config_problems=self.problems,
        )

    async def post_check(self, inp: FeedbackInput) -> None:
        """The check run of ``inp`` (see :mod:`app.feedback.check_plan` for why a re-publish
        creates a new check run), then both statuses."""
        verdict = evaluate(inp, self.config.gates)
        run = check_run(inp, verdict)
        owner, repo = self.ref.owner, self.ref.repo
        # newest first, one per name (GitHub's default filter=latest): the one GitHub shows
        existing = await find_check_runs(self.gateway, self.gh, owner, repo, inp.head_sha, run.name)
        current = existing[0] if existing else None
        plan = plan_check(current, run, rerequested=self.rerequested)
        log.info("check %r on %s: %s", run.name, inp.head_sha[:7], plan.value)
        first, *rest = run.requests()
        # the run and attempt, as github_runs.on_check_run reads them for a re-request
        first["external_id"] = self.ref.external_id()
        if plan is CheckPlan.FINISH and current is not None:
            await self._update_check(int(current["id"]), first, rest)
        elif plan is CheckPlan.CREATE:
            resp = await self.gateway.call(
                "checks", lambda: self.gh.rest.checks.async_create(owner, repo, data=first)
            )
            await self._update_check(int(resp.json()["id"]), None, rest)
        for payload in fb_status.statuses(inp, verdict):
            await post_status(self.gateway, self.gh, self.ref, payload)

    @property
    def rerequested(self) -> bool:
        """A ``check_run`` rerequest: its RunRef names the run only, with no event
        (github_runs.on_check_run)."""
        return self.ref.event is None

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


def files_to_diff(items: Sequence[dict[str, Any]]) -> tuple[Diff, tuple[str, ...]]:
    """PR files as the unified diff git would print, and the files GitHub gave no patch for
    (binary or too large: "not measured"). Removed files and pure renames need no patch."""
    parts: list[str] = []
    unpatched: list[str] = []
    for item in items:
        path = str(item["filename"])
        old = str(item.get("previous_filename") or path)
        status = item.get("status")
        patch = item.get("patch")
        if patch is None:
            pure_rename = status == "renamed" and not item.get("changes")
            if status not in ("removed", "unchanged") and not pure_rename:
                unpatched.append(path)
            continue
        head = f"diff --git a/{old} b/{path}\n"
        if status == "renamed":
            head += f"rename from {old}\nrename to {path}\n"
        if status == "added":
            head += f"new file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        elif status == "removed":
            head += f"deleted file mode 100644\n--- a/{old}\n+++ /dev/null\n"
        else:
            head += f"--- a/{old}\n+++ b/{path}\n"
        parts.append(head + patch + ("" if patch.endswith("\n") else "\n"))
    return parse_diff("".join(parts), "pull request files"), tuple(unpatched)


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
    """The default branch's ``badge:`` keys become the repository's badge settings; the badges
    are invalidated when that changed them, so the next badge is drawn with them."""
    badge = config.badge

    def store() -> bool:
        with ctx.store.engine.begin() as conn:
            return apply_config_badge(
                conn, repo_id, thresholds=badge.thresholds, stale_days=badge.stale_days
            )

    if (badge.thresholds or badge.stale_days is not None) and await anyio.to_thread.run_sync(store):
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
