"""JSON of pull requests, comments, comparisons, contents and hook deliveries (see render.py)."""

from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING, Any

from tests.support.fake_github import spec
from tests.support.fake_github.models import (
    Comment,
    Comparison,
    HookDelivery,
    PullRequest,
    Repo,
    User,
    fake_sha,
    iso,
    now,
)

if TYPE_CHECKING:
    from tests.support.fake_github.state import State

WEB = "https://github.com"
_TEMPLATE_REPO = re.compile(r"(octocat/Hello-World|octo-org/octo-repo|octo-org/octo-docs)")


def swap(node: Any, api: str, full_name: str | None = None) -> Any:
    """Point an official example at the fake: API host, and the example repo's name."""
    if isinstance(node, dict):
        return {k: swap(v, api, full_name) for k, v in node.items()}
    if isinstance(node, list):
        return [swap(v, api, full_name) for v in node]
    if isinstance(node, str):
        node = node.replace("https://api.github.com", api)
        if full_name:
            node = _TEMPLATE_REPO.sub(full_name, node)
    return node


class PullsRendering:
    state: State
    api: str

    def user(self, user: User) -> dict[str, Any]:
        raise NotImplementedError

    def app(self) -> dict[str, Any]:
        raise NotImplementedError

    def repo(self, repo: Repo) -> dict[str, Any]:
        raise NotImplementedError

    # ----------------------------------------------------------------- issues and pulls

    def comment(self, c: Comment) -> dict[str, Any]:
        full = c.repo.full_name
        return {
            "id": c.id,
            "node_id": base64.b64encode(f"012:IssueComment{c.id}".encode()).decode(),
            "url": f"{self.api}/repos/{full}/issues/comments/{c.id}",
            "html_url": f"{WEB}/{full}/pull/{c.issue_number}#issuecomment-{c.id}",
            "body": c.body,
            "user": self.user(c.user),
            "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at),
            "issue_url": f"{self.api}/repos/{full}/issues/{c.issue_number}",
            "author_association": "NONE" if c.via_app else "CONTRIBUTOR",
            "performed_via_github_app": self.app() if c.via_app else None,
        }

    def pull(self, pr: PullRequest, *, simple: bool = False) -> dict[str, Any]:
        template = (
            spec.example("pull-request-simple-items")[0] if simple else spec.example("pull-request")
        )
        data: dict[str, Any] = swap(template, self.api, pr.repo.full_name)
        data.update(
            id=pr.id,
            number=pr.number,
            state=pr.state,
            locked=False,
            active_lock_reason=None,
            title=pr.title,
            user=self.user(pr.user),
            body=None,
            labels=[],
            milestone=None,
            assignee=None,
            assignees=[],
            requested_reviewers=[],
            requested_teams=[],
            draft=pr.draft,
            auto_merge=None,
            created_at=iso(pr.created_at),
            updated_at=iso(pr.created_at),
            closed_at=None if pr.state == "open" else iso(now()),
            merged_at=iso(now()) if pr.merged else None,
            merge_commit_sha=fake_sha(f"merge-{pr.head_sha}-{pr.base_sha}"),
            author_association="CONTRIBUTOR",
        )
        for side, ref, sha, repo in (
            ("head", pr.head_ref, pr.head_sha, pr.head_repo),
            ("base", pr.base_ref, pr.base_sha, pr.repo),
        ):
            owner = (repo or pr.repo).owner
            data[side] = {
                "label": f"{owner.login}:{ref}",
                "ref": ref,
                "sha": sha,
                "user": self.user(owner),
                "repo": None if repo is None else self.repo(repo),
            }
        if not simple:
            data.update(
                merged=pr.merged,
                merged_by=None,
                mergeable=True,
                rebaseable=True,
                mergeable_state="clean",
                comments=len(self.state.comments_on(pr.repo, pr.number)),
                changed_files=len(pr.files),
                additions=sum(f["additions"] for f in pr.files),
                deletions=sum(f["deletions"] for f in pr.files),
            )
        return data

    def comparison(self, cmp: Comparison, commits: list[str]) -> dict[str, Any]:
        data: dict[str, Any] = swap(spec.example("commit-comparison"), self.api, cmp.repo.full_name)
        template = data["commits"][0]

        def commit(sha: str) -> dict[str, Any]:
            c: dict[str, Any] = swap(template, self.api, cmp.repo.full_name)
            c.update(sha=sha, url=f"{self.api}/repos/{cmp.repo.full_name}/commits/{sha}")
            c["parents"] = []
            return c

        data.update(
            status="ahead" if not cmp.behind_by else "diverged",
            ahead_by=len(cmp.commits),
            behind_by=cmp.behind_by,
            total_commits=len(cmp.commits),
            base_commit=commit(cmp.base),
            merge_base_commit=commit(cmp.merge_base_sha),
            commits=[commit(sha) for sha in commits],
            files=cmp.files[:300],
        )
        return data

    def content(self, repo: Repo, path: str, ref: str, data: bytes) -> dict[str, Any]:
        sha = fake_sha(data.hex())
        url = f"{self.api}/repos/{repo.full_name}/contents/{path}?ref={ref}"
        encoded = base64.encodebytes(data).decode()
        return {
            "type": "file",
            "encoding": "base64",
            "size": len(data),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "content": encoded,
            "sha": sha,
            "url": url,
            "git_url": f"{self.api}/repos/{repo.full_name}/git/blobs/{sha}",
            "html_url": f"{WEB}/{repo.full_name}/blob/{ref}/{path}",
            "download_url": f"https://raw.githubusercontent.com/{repo.full_name}/{ref}/{path}",
            "_links": {
                "self": url,
                "git": f"{self.api}/repos/{repo.full_name}/git/blobs/{sha}",
                "html": f"{WEB}/{repo.full_name}/blob/{ref}/{path}",
            },
        }

    def delivery(self, d: HookDelivery, *, full: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": d.id,
            "guid": d.guid,
            "delivered_at": iso(d.delivered_at),
            "redelivery": d.redelivery,
            "duration": d.duration,
            "status": "OK"
            if 200 <= d.status_code < 300
            else "failed to connect"
            if d.status_code == 0
            else f"Invalid HTTP Response: {d.status_code}",
            "status_code": d.status_code,
            "event": d.event,
            "action": d.action,
            "installation_id": d.installation_id,
            "repository_id": d.repository_id,
            "throttled_at": None,
        }
        if full:
            out["url"] = d.url
            out["request"] = {"headers": dict(d.headers), "payload": json.loads(d.body)}
            out["response"] = {"headers": dict(d.response_headers), "payload": d.response_body}
        return out


def diff_entry(
    filename: str,
    patch: str | None = None,
    *,
    status: str = "modified",
    previous_filename: str | None = None,
    repo: str = "octo-org/octo-repo",
    sha: str = "0" * 40,
) -> dict[str, Any]:
    """A PR file / compare file entry; `patch=None` means GitHub left it out (binary or too big)."""
    added = deleted = 0
    for line in (patch or "").splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            deleted += 1
    entry: dict[str, Any] = {
        "sha": fake_sha(filename + (patch or "")),
        "filename": filename,
        "status": status,
        "additions": added,
        "deletions": deleted,
        "changes": added + deleted,
        "blob_url": f"{WEB}/{repo}/blob/{sha}/{filename}",
        "raw_url": f"{WEB}/{repo}/raw/{sha}/{filename}",
        "contents_url": f"https://api.github.com/repos/{repo}/contents/{filename}?ref={sha}",
    }
    if patch is not None:
        entry["patch"] = patch
    if previous_filename is not None:
        entry["previous_filename"] = previous_filename
    return entry
