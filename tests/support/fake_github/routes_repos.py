"""Repository routes (installation token): actions, checks, statuses, comments, pulls, contents."""

from __future__ import annotations

from typing import Any

from tests.support.fake_github.api import Api, Ctx, HTTPError, Reply, invalid
from tests.support.fake_github.models import (
    Artifact,
    CheckRun,
    Comment,
    PullRequest,
    Status,
    iso,
    now,
)

STATUS_LIMIT_PER_CONTEXT = 1000
COMMENT_MAX = 65536
DESCRIPTION_MAX = 140


def _int(ctx: Ctx, name: str) -> int:
    try:
        return int(ctx.params[name])
    except ValueError as exc:
        raise HTTPError(404, "Not Found") from exc


def _pull(ctx: Ctx) -> PullRequest:
    repo = ctx.repo()
    number = _int(ctx, "pull_number" if "pull_number" in ctx.params else "issue_number")
    with ctx.state.lock:
        for pr in ctx.state.pulls:
            if pr.repo is repo and pr.number == number:
                return pr
    raise HTTPError(404, "Not Found")


def _check_run_fields(ctx: Ctx, body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Apply a create/update body the way GitHub does; 422 where GitHub refuses."""
    data = dict(current)
    for key in ("name", "head_sha", "details_url", "external_id", "started_at", "completed_at"):
        if key in body:
            data[key] = body[key]
    if "status" in body:
        data["status"] = body["status"]
    if body.get("conclusion") is not None:
        if body["conclusion"] == "stale":
            raise invalid(
                "CheckRun",
                "conclusion",
                "You cannot change a check run conclusion to stale, only GitHub can set this.",
            )
        data["conclusion"] = body["conclusion"]
        data["status"] = "completed"
    if data.get("status") == "completed" or body.get("completed_at"):
        if data.get("conclusion") is None:
            raise invalid(
                "CheckRun",
                "conclusion",
                "conclusion must be set when status is completed or completed_at is given",
                "missing_field",
            )
        data["status"] = "completed"
        data.setdefault("completed_at", iso(now()))
        data["completed_at"] = data["completed_at"] or iso(now())
    if "output" in body:
        output = body["output"]
        data["output"] = {k: output.get(k) for k in ("title", "summary", "text")}
        for note in output.get("annotations") or []:
            columns = "start_column" in note or "end_column" in note
            if columns and note["start_line"] != note["end_line"]:
                raise invalid(
                    "CheckRun",
                    "annotations",
                    "start_column and end_column may only be used when start_line equals end_line",
                )
    return data


def register(api: Api) -> None:
    base = "/repos/{owner}/{repo}"

    # ---------------------------------------------------------------- actions

    @api.route("GET", base + "/actions/runs/{run_id}", "actions/get-workflow-run", "token")
    async def get_run(ctx: Ctx) -> Reply:
        repo = ctx.repo()
        run = ctx.state.runs.get(_int(ctx, "run_id"))
        if run is None or run.repo is not repo:
            raise HTTPError(404, "Not Found")
        data = ctx.render.workflow_run(run)
        if ctx.query("exclude_pull_requests") == "true":
            data["pull_requests"] = []
        return Reply(200, data)

    @api.route(
        "GET",
        base + "/actions/runs/{run_id}/artifacts",
        "actions/list-workflow-run-artifacts",
        "token",
    )
    async def list_artifacts(ctx: Ctx) -> Reply:
        repo = ctx.repo()
        run = ctx.state.runs.get(_int(ctx, "run_id"))
        if run is None or run.repo is not repo:
            raise HTTPError(404, "Not Found")
        with ctx.state.lock:
            items = sorted(run.artifacts, key=lambda a: (a.created_at, a.id), reverse=True)
        if ctx.query("direction") == "asc":
            items.reverse()
        if (name := ctx.query("name")) is not None:
            items = [a for a in items if a.name == name]
        chunk, headers = ctx.paginate(items)
        body = {"total_count": len(items), "artifacts": [ctx.render.artifact(a) for a in chunk]}
        return Reply(200, body, headers)

    def _artifact(ctx: Ctx) -> Artifact:
        repo = ctx.repo()
        art = ctx.state.artifacts.get(_int(ctx, "artifact_id"))
        if art is None or art.run.repo is not repo:
            raise HTTPError(404, "Not Found")
        return art

    @api.route("GET", base + "/actions/artifacts/{artifact_id}", "actions/get-artifact", "token")
    async def get_artifact(ctx: Ctx) -> Reply:
        return Reply(200, ctx.render.artifact(_artifact(ctx)))

    @api.route(
        "GET",
        base + "/actions/artifacts/{artifact_id}/{archive_format}",
        "actions/download-artifact",
        "token",
    )
    async def download_artifact(ctx: Ctx) -> Reply:
        art = _artifact(ctx)
        if ctx.params["archive_format"] != "zip":
            raise HTTPError(404, "Not Found")
        if art.expired:
            raise HTTPError(410, "Artifact has expired")
        return Reply(302, None, {"Location": ctx.fake.blob.signed_url(art)})

    # ---------------------------------------------------------------- checks

    @api.route("POST", base + "/check-runs", "checks/create", "token")
    async def create_check(ctx: Ctx) -> Reply:
        repo = ctx.repo()
        body = ctx.body
        start = {"status": "queued", "conclusion": None, "started_at": iso(now())}
        data = _check_run_fields(ctx, body, start)
        with ctx.state.lock:
            check = CheckRun(ctx.state.next_id(), repo, data)
            check.annotations.extend((body.get("output") or {}).get("annotations") or [])
            check.sent.append(body)
            ctx.state.check_runs.append(check)
        return Reply(201, ctx.render.check_run(check))

    def _check(ctx: Ctx) -> CheckRun:
        repo = ctx.repo()
        wanted = _int(ctx, "check_run_id")
        with ctx.state.lock:
            for check in ctx.state.check_runs:
                if check.id == wanted and check.repo is repo:
                    return check
        raise HTTPError(404, "Not Found")

    @api.route("PATCH", base + "/check-runs/{check_run_id}", "checks/update", "token")
    async def update_check(ctx: Ctx) -> Reply:
        check = _check(ctx)
        data = _check_run_fields(ctx, ctx.body, check.data)
        with ctx.state.lock:
            check.data = data
            check.annotations.extend((ctx.body.get("output") or {}).get("annotations") or [])
            check.sent.append(ctx.body)
        return Reply(200, ctx.render.check_run(check))

    @api.route("GET", base + "/check-runs/{check_run_id}", "checks/get", "token")
    async def get_check(ctx: Ctx) -> Reply:
        return Reply(200, ctx.render.check_run(_check(ctx)))

    @api.route("GET", base + "/commits/{ref}/check-runs", "checks/list-for-ref", "token")
    async def list_checks(ctx: Ctx) -> Reply:
        repo = ctx.repo()
        ref = ctx.params["ref"]
        with ctx.state.lock:
            items = [
                c for c in ctx.state.check_runs if c.repo is repo and c.data["head_sha"] == ref
            ]
        items.sort(key=lambda c: c.id, reverse=True)
        if (name := ctx.query("check_name")) is not None:
            items = [c for c in items if c.data["name"] == name]
        if (status := ctx.query("status")) is not None:
            items = [c for c in items if c.data["status"] == status]
        app_id = ctx.query("app_id")
        if app_id is not None and app_id != str(ctx.state.app_id):
            items = []
        if ctx.query("filter", "latest") == "latest":
            newest: dict[str, CheckRun] = {}
            for c in items:  # newest first: keep the first of each name
                newest.setdefault(c.data["name"], c)
            items = list(newest.values())
        chunk, headers = ctx.paginate(items)
        body = {"total_count": len(items), "check_runs": [ctx.render.check_run(c) for c in chunk]}
        return Reply(200, body, headers)

    # ---------------------------------------------------------------- statuses

    @api.route("POST", base + "/statuses/{sha}", "repos/create-commit-status", "token")
    async def create_status(ctx: Ctx) -> Reply:
        repo = ctx.repo()
        body = ctx.body
        description = body.get("description")
        if description is not None and len(description) > DESCRIPTION_MAX:
            raise invalid(
                "Status", "description", "description is too long (maximum is 140 characters)"
            )
        context = body.get("context") or "default"
        sha = ctx.params["sha"]
        with ctx.state.lock:
            if len(ctx.state.statuses_for(sha, context)) >= STATUS_LIMIT_PER_CONTEXT:
                raise invalid(
                    "Status",
                    "context",
                    "This SHA and context has reached the maximum number of statuses.",
                )
            st = Status(
                ctx.state.next_id(),
                repo,
                sha,
                body["state"],
                context,
                description,
                body.get("target_url"),
                ctx.state.bot,
            )
            ctx.state.statuses.append(st)
        location = f"{ctx.render.api}/repos/{repo.full_name}/statuses/{sha}"
        return Reply(201, ctx.render.status(st), {"Location": location})

    @api.route(
        "GET", base + "/commits/{ref}/statuses", "repos/list-commit-statuses-for-ref", "token"
    )
    async def list_statuses(ctx: Ctx) -> Reply:
        repo = ctx.repo()
        with ctx.state.lock:
            items = [s for s in ctx.state.statuses if s.repo is repo and s.sha == ctx.params["ref"]]
        items.reverse()  # newest first
        chunk, headers = ctx.paginate(items)
        return Reply(200, [ctx.render.status(s) for s in chunk], headers)

    # ---------------------------------------------------------------- comments

    @api.route("GET", base + "/issues/{issue_number}/comments", "issues/list-comments", "token")
    async def list_comments(ctx: Ctx) -> Reply:
        pr = _pull(ctx)
        items = sorted(ctx.state.comments_on(pr.repo, pr.number), key=lambda c: c.id)
        if (since := ctx.query("since")) is not None:
            items = [c for c in items if iso(c.updated_at) >= since]
        chunk, headers = ctx.paginate(items)
        return Reply(200, [ctx.render.comment(c) for c in chunk], headers)

    def _body(ctx: Ctx) -> str:
        body = ctx.body["body"]
        if len(body) > COMMENT_MAX:
            raise invalid("IssueComment", "data", "Body is too long (maximum is 65536 characters)")
        return str(body)

    @api.route("POST", base + "/issues/{issue_number}/comments", "issues/create-comment", "token")
    async def create_comment(ctx: Ctx) -> Reply:
        pr = _pull(ctx)
        text = _body(ctx)
        with ctx.state.lock:
            comment = Comment(
                ctx.state.next_id(), pr.repo, pr.number, text, ctx.state.bot, via_app=True
            )
            ctx.state.comments.append(comment)
        data = ctx.render.comment(comment)
        return Reply(201, data, {"Location": data["url"]})

    @api.route("PATCH", base + "/issues/comments/{comment_id}", "issues/update-comment", "token")
    async def update_comment(ctx: Ctx) -> Reply:
        repo = ctx.repo()
        wanted = _int(ctx, "comment_id")
        text = _body(ctx)
        with ctx.state.lock:
            for comment in ctx.state.comments:
                if comment.id == wanted and comment.repo is repo:
                    comment.history.append(comment.body)
                    comment.body = text
                    comment.updated_at = now()
                    return Reply(200, ctx.render.comment(comment))
        raise HTTPError(404, "Not Found")

    # ---------------------------------------------------------------- pulls

    @api.route("GET", base + "/pulls", "pulls/list", "token")
    async def list_pulls(ctx: Ctx) -> Reply:
        repo = ctx.repo()
        state = ctx.query("state", "open")
        head = ctx.query("head")
        base_ref = ctx.query("base")
        with ctx.state.lock:
            items = [p for p in ctx.state.pulls if p.repo is repo]
        if state != "all":
            items = [p for p in items if p.state == state]
        if head:
            owner, _, ref = head.partition(":")
            items = [
                p
                for p in items
                if p.head_repo is not None
                and p.head_repo.owner.login.lower() == owner.lower()
                and (not ref or p.head_ref == ref)
            ]
        if base_ref:
            items = [p for p in items if p.base_ref == base_ref]
        items.sort(
            key=lambda p: (p.created_at, p.id), reverse=ctx.query("direction", "desc") == "desc"
        )
        chunk, headers = ctx.paginate(items)
        return Reply(200, [ctx.render.pull(p, simple=True) for p in chunk], headers)

    @api.route("GET", base + "/pulls/{pull_number}", "pulls/get", "token")
    async def get_pull(ctx: Ctx) -> Reply:
        pr = _pull(ctx)
        if "diff" in ctx.request.headers.get("accept", ""):
            if len(pr.files) > 300:
                raise HTTPError(406, "Sorry, the diff exceeded the maximum number of files (300).")
            text = "".join(
                f"diff --git a/{f['filename']} b/{f['filename']}\n--- a/{f['filename']}\n"
                f"+++ b/{f['filename']}\n{f.get('patch', '')}\n"
                for f in pr.files
            )
            return Reply(200, None, {"Content-Type": "application/vnd.github.diff"}, text.encode())
        return Reply(200, ctx.render.pull(pr))

    @api.route("GET", base + "/pulls/{pull_number}/files", "pulls/list-files", "token")
    async def list_files(ctx: Ctx) -> Reply:
        chunk, headers = ctx.paginate(_pull(ctx).files, cap=3000)
        return Reply(200, chunk, headers)

    @api.route(
        "GET",
        base + "/commits/{commit_sha}/pulls",
        "repos/list-pull-requests-associated-with-commit",
        "token",
    )
    async def commit_pulls(ctx: Ctx) -> Reply:
        """PRs whose head commit is in this repository (a fork's head sha asked on the base: [])."""
        repo = ctx.repo()
        sha = ctx.params["commit_sha"]
        with ctx.state.lock:
            items = [p for p in ctx.state.pulls if p.head_sha == sha and p.head_repo is repo]
        chunk, headers = ctx.paginate(items)
        return Reply(200, [ctx.render.pull(p, simple=True) for p in chunk], headers)

    # ---------------------------------------------------------------- compare, contents

    @api.route("GET", base + "/compare/{basehead}", "repos/compare-commits-with-basehead", "token")
    async def compare(ctx: Ctx) -> Reply:
        repo = ctx.repo()
        base_, sep, head = ctx.params["basehead"].partition("...")
        if not sep:
            raise HTTPError(404, "Not Found")
        with ctx.state.lock:
            found = [
                c
                for c in ctx.state.comparisons
                if c.repo is repo and (c.base, c.head) == (base_, head)
            ]
        if not found:
            raise HTTPError(404, "Not Found")
        cmp = found[-1]
        if ctx.query("page") is None and ctx.query("per_page") is None:
            data = ctx.render.comparison(cmp, cmp.commits[:250])
            return Reply(200, data)
        chunk, headers = ctx.paginate(cmp.commits)
        data = ctx.render.comparison(cmp, chunk)
        if int(ctx.query("page") or 1) > 1:
            data["files"] = []
        return Reply(200, data, headers)

    @api.route("GET", base + "/contents/{path}", "repos/get-content", "token")
    async def get_content(ctx: Ctx) -> Reply:
        repo = ctx.repo()
        path = ctx.params["path"].strip("/")
        ref = ctx.query("ref") or repo.default_branch
        with ctx.state.lock:
            data = ctx.state.contents.get((repo.id, ref, path))
        if data is None:
            raise HTTPError(404, "Not Found")
        if "raw" in ctx.request.headers.get("accept", ""):
            return Reply(200, None, {"Content-Type": "application/vnd.github.raw"}, data)
        return Reply(200, ctx.render.content(repo, path, ref, data))
