"""JSON of the fake's objects, built on GitHub's official sample responses.

Each builder starts from an official example (tests/data/github/rest-examples.json), points its
URLs at the fake and overwrites the fields the state knows. The shapes are checked against the
official schemas by tests/integration/github/test_fake_github.py and at run time by the server.
"""

from __future__ import annotations

import base64
from typing import Any

from tests.support.fake_github import spec
from tests.support.fake_github.models import (
    Artifact,
    CheckRun,
    Installation,
    PullRequest,
    Repo,
    Status,
    User,
    WorkflowRun,
    iso,
    now,
)
from tests.support.fake_github.render_pulls import WEB, PullsRendering, swap
from tests.support.fake_github.state import State


class Renderer(PullsRendering):
    def __init__(self, state: State, api: str) -> None:
        self.state = state
        self.api = api.rstrip("/")

    # ----------------------------------------------------------------- people and apps

    def user(self, user: User) -> dict[str, Any]:
        kind = "orgs" if user.type == "Organization" else "users"
        u = f"{self.api}/users/{user.login}"
        return {
            "login": user.login,
            "id": user.id,
            "node_id": base64.b64encode(f"04:User{user.id}".encode()).decode(),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": f"{self.api}/{kind}/{user.login}",
            "html_url": f"{WEB}/{user.login.removesuffix('[bot]')}",
            "followers_url": f"{u}/followers",
            "following_url": f"{u}/following{{/other_user}}",
            "gists_url": f"{u}/gists{{/gist_id}}",
            "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{u}/subscriptions",
            "organizations_url": f"{u}/orgs",
            "repos_url": f"{self.api}/{kind}/{user.login}/repos",
            "events_url": f"{u}/events{{/privacy}}",
            "received_events_url": f"{u}/received_events",
            "type": user.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def app(self) -> dict[str, Any]:
        data: dict[str, Any] = swap(spec.example("integration"), self.api)
        owner = self.state.user("coverhub-owners", "Organization")
        data.update(
            id=self.state.app_id,
            slug=self.state.app_slug,
            name=self.state.app_slug,
            client_id=f"Iv1.fake{self.state.app_id}",
            owner=self.user(owner),
            html_url=f"{WEB}/apps/{self.state.app_slug}",
            permissions=dict(Installation(0, owner).permissions),
            events=["workflow_run", "pull_request", "check_run", "check_suite"],
        )
        return data

    def installation(self, inst: Installation) -> dict[str, Any]:
        data: dict[str, Any] = swap(spec.example("installation"), self.api)
        data.update(
            id=inst.id,
            account=self.user(inst.account),
            repository_selection=inst.repository_selection,
            access_tokens_url=f"{self.api}/app/installations/{inst.id}/access_tokens",
            repositories_url=f"{self.api}/installation/repositories",
            html_url=f"{WEB}/organizations/{inst.account.login}/settings/installations/{inst.id}",
            app_id=self.state.app_id,
            app_slug=self.state.app_slug,
            target_id=inst.account.id,
            target_type=inst.account.type,
            permissions=dict(inst.permissions),
            events=["workflow_run", "pull_request"],
            suspended_at=iso(now()) if inst.suspended else None,
            suspended_by=None,
        )
        return data

    # ----------------------------------------------------------------- repositories

    def repo(self, repo: Repo) -> dict[str, Any]:
        """A full-repository-ish object, as in pull requests (schema `repository`)."""
        data: dict[str, Any] = swap(
            spec.example("pull-request")["base"]["repo"], self.api, repo.full_name
        )
        data.update(
            id=repo.id,
            node_id=base64.b64encode(f"010:Repository{repo.id}".encode()).decode(),
            name=repo.name,
            full_name=repo.full_name,
            owner=self.user(repo.owner),
            private=repo.private,
            visibility="private" if repo.private else "public",
            fork=repo.fork,
            default_branch=repo.default_branch,
            allow_forking=True,
        )
        for key in ("permissions", "template_repository", "organization", "parent", "source"):
            data.pop(key, None)
        return data

    def minimal_repo(self, repo: Repo) -> dict[str, Any]:
        data = self.repo(repo)
        for key in ("allow_rebase_merge", "allow_squash_merge", "allow_merge_commit"):
            data.pop(key, None)
        return data

    # ----------------------------------------------------------------- actions

    def workflow_run(self, run: WorkflowRun) -> dict[str, Any]:
        data: dict[str, Any] = swap(spec.example("workflow-run"), self.api, run.repo.full_name)
        base = f"{self.api}/repos/{run.repo.full_name}/actions/runs/{run.id}"
        data.update(
            id=run.id,
            name=run.name,
            head_branch=run.head_branch,
            head_sha=run.head_sha,
            path=run.path,
            event=run.event,
            status=run.status,
            conclusion=run.conclusion,
            workflow_id=run.workflow_id,
            run_attempt=run.run_attempt,
            display_title=f"{run.name} on {run.head_branch}",
            url=base,
            html_url=f"{WEB}/{run.repo.full_name}/actions/runs/{run.id}",
            jobs_url=f"{base}/jobs",
            logs_url=f"{base}/logs",
            artifacts_url=f"{base}/artifacts",
            cancel_url=f"{base}/cancel",
            rerun_url=f"{base}/rerun",
            previous_attempt_url=f"{base}/attempts/{run.run_attempt - 1}"
            if run.run_attempt > 1
            else None,
            workflow_url=f"{self.api}/repos/{run.repo.full_name}/actions/workflows/{run.workflow_id}",
            created_at=iso(run.created_at),
            updated_at=iso(run.created_at),
            run_started_at=iso(run.created_at),
            actor=self.user(run.actor),
            triggering_actor=self.user(run.actor),
            pull_requests=[self.pr_minimal(pr) for pr in run.pull_requests],
            repository=self.minimal_repo(run.repo),
            head_repository=self.minimal_repo(run.head_repo),
            referenced_workflows=[],
        )
        data["head_commit"]["id"] = run.head_sha
        return data

    def pr_minimal(self, pr: PullRequest) -> dict[str, Any]:
        def side(ref: str, sha: str, repo: Repo | None) -> dict[str, Any]:
            repo = repo or pr.repo
            return {
                "ref": ref,
                "sha": sha,
                "repo": {
                    "id": repo.id,
                    "url": f"{self.api}/repos/{repo.full_name}",
                    "name": repo.name,
                },
            }

        return {
            "id": pr.id,
            "number": pr.number,
            "url": f"{self.api}/repos/{pr.repo.full_name}/pulls/{pr.number}",
            "head": side(pr.head_ref, pr.head_sha, pr.head_repo),
            "base": side(pr.base_ref, pr.base_sha, pr.repo),
        }

    def artifact(self, art: Artifact) -> dict[str, Any]:
        repo = art.run.repo
        url = f"{self.api}/repos/{repo.full_name}/actions/artifacts/{art.id}"
        return {
            "id": art.id,
            "node_id": base64.b64encode(f"08:Artifact{art.id}".encode()).decode(),
            "name": art.name,
            "size_in_bytes": len(art.data),
            "url": url,
            "archive_download_url": f"{url}/zip",
            "expired": art.expired,
            "created_at": iso(art.created_at),
            "updated_at": iso(art.created_at),
            "expires_at": iso(art.created_at.replace(year=art.created_at.year + 1)),
            "digest": art.digest,
            "workflow_run": {
                "id": art.run.id,
                "repository_id": repo.id,
                "head_repository_id": art.run.head_repo.id,
                "head_branch": art.run.head_branch,
                "head_sha": art.run.head_sha,
            },
        }

    # ----------------------------------------------------------------- checks and statuses

    def check_run(self, check: CheckRun) -> dict[str, Any]:
        full = check.repo.full_name
        url = f"{self.api}/repos/{full}/check-runs/{check.id}"
        out = dict(check.data)
        output = dict(out.get("output") or {})
        out["output"] = {
            "title": output.get("title"),
            "summary": output.get("summary"),
            "text": output.get("text"),
            "annotations_count": len(check.annotations),
            "annotations_url": f"{url}/annotations",
        }
        out.update(
            id=check.id,
            node_id=base64.b64encode(f"08:CheckRun{check.id}".encode()).decode(),
            url=url,
            html_url=f"{WEB}/{full}/runs/{check.id}",
            check_suite={"id": check.id + 7_000_000},
            app=self.app(),
            pull_requests=[
                self.pr_minimal(pr)
                for pr in self.state.pulls
                if pr.repo is check.repo
                and pr.head_repo is check.repo
                and pr.head_sha == out["head_sha"]
            ],
        )
        for key in ("external_id", "details_url", "started_at", "completed_at", "conclusion"):
            out.setdefault(key, None)
        out.pop("actions", None)
        return out

    def status(self, st: Status) -> dict[str, Any]:
        return {
            "url": f"{self.api}/repos/{st.repo.full_name}/statuses/{st.sha}",
            "avatar_url": f"https://avatars.githubusercontent.com/in/{self.state.app_id}?v=4",
            "id": st.id,
            "node_id": base64.b64encode(f"06:Status{st.id}".encode()).decode(),
            "state": st.state,
            "description": st.description,
            "target_url": st.target_url,
            "context": st.context,
            "created_at": iso(st.created_at),
            "updated_at": iso(st.created_at),
            "creator": self.user(st.creator),
        }
