"""Webhook deliveries to the service under test, as GitHub's hookshot sends them.

Payloads start from the official examples (npm @octokit/webhooks-examples, vendored) and take
their ids, shas, repositories and people from the fake's state; every App delivery carries
`installation` (the examples do not) and fork runs get an empty `pull_requests` (github.md §1.1).
Bodies are signed with X-Hub-Signature-256 (and the legacy SHA-1 header) over the raw bytes.
Each delivery is recorded (it also shows in GET /app/hook/deliveries); `redeliver` sends the same
body with the same X-GitHub-Delivery GUID.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from tests.support.fake_github import spec
from tests.support.fake_github.models import (
    CheckRun,
    HookDelivery,
    Installation,
    PullRequest,
    Repo,
    User,
    WorkflowRun,
    fake_sha,
    iso,
    now,
)

if TYPE_CHECKING:
    from tests.support.fake_github.render import Renderer
    from tests.support.fake_github.server import FakeGitHub

HOOK_ID = 77001
RUN_STATUS = {"requested": "queued", "in_progress": "in_progress", "completed": "completed"}


def signature(secret: str, body: bytes, method: str = "sha256") -> str:
    digest = hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()
    return f"{method}={digest}"


def _rename(node: Any, old: str, new: str) -> Any:
    if isinstance(node, dict):
        return {k: _rename(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [_rename(v, old, new) for v in node]
    return node.replace(old, new) if isinstance(node, str) else node


class Payloads:
    """Payload builders: each returns a dict (event payload) ready for `WebhookSender.deliver`."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake

    @property
    def render(self) -> Renderer:
        return self.fake.render

    def user(self, user: User) -> dict[str, Any]:
        data = self.render.user(user)
        data.pop("user_view_type", None)
        return data

    def repo(self, repo: Repo, template: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = _rename(template, template["full_name"], repo.full_name)
        data.update(
            id=repo.id,
            node_id=self.render.repo(repo)["node_id"],
            name=repo.name,
            full_name=repo.full_name,
            owner={**data["owner"], **self.user(repo.owner)},
            private=repo.private,
            fork=repo.fork,
            default_branch=repo.default_branch,
        )
        if "visibility" in data:
            data["visibility"] = "private" if repo.private else "public"
        data.setdefault("has_discussions", False)
        return data

    def _common(self, payload: dict[str, Any], repo: Repo, sender: User) -> dict[str, Any]:
        payload["repository"] = self.repo(repo, payload["repository"])
        payload["sender"] = self.user(sender)
        payload.pop("organization", None)
        payload.pop("enterprise", None)
        if repo.installation is not None:
            inst = repo.installation
            payload["installation"] = {"id": inst.id, "node_id": f"MDIzOkludGVncmF0aW9u{inst.id}"}
        return payload

    def workflow_run(self, run: WorkflowRun, action: str = "completed") -> dict[str, Any]:
        example = "requested" if action == "in_progress" else action
        payload: dict[str, Any] = spec.webhook_example("workflow_run", example)
        payload["action"] = action
        wr = payload["workflow_run"]
        rendered = self.render.workflow_run(run)
        for key in (
            "id", "name", "head_branch", "head_sha", "path", "event", "workflow_id",
            "run_attempt", "display_title", "url", "html_url", "jobs_url", "logs_url",
            "artifacts_url", "cancel_url", "rerun_url", "workflow_url",
            "previous_attempt_url", "created_at", "updated_at", "run_started_at",
        ):  # fmt: skip
            wr[key] = rendered[key]
        wr["status"] = RUN_STATUS[action]
        wr["conclusion"] = run.conclusion if action == "completed" else None
        wr["actor"] = wr["triggering_actor"] = self.user(run.actor)
        wr["repository"] = self.repo(run.repo, wr["repository"])
        wr["head_repository"] = self.repo(run.head_repo, wr["head_repository"])
        wr["head_commit"]["id"] = run.head_sha
        # GitHub leaves pull_requests empty for runs from forks (github.md §1.1)
        wr["pull_requests"] = [] if run.head_repo.fork else rendered["pull_requests"]
        payload["workflow"] = _rename(
            payload["workflow"], "Codertocat/Hello-World", run.repo.full_name
        )
        payload["workflow"].update(id=run.workflow_id, name=run.name, path=run.path)
        return self._common(payload, run.repo, run.actor)

    def pull_request(
        self, pr: PullRequest, action: str = "opened", *, before: str | None = None,
        changes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        example = "opened" if action == "edited" else action
        payload: dict[str, Any] = spec.webhook_example("pull_request", example)
        payload["action"] = action
        payload["number"] = pr.number
        rendered = self.render.pull(pr)
        body = _rename(
            payload["pull_request"], payload["repository"]["full_name"], pr.repo.full_name
        )
        for key in (
            "id", "number", "state", "title", "user", "body", "created_at", "updated_at",
            "closed_at", "merged_at", "merge_commit_sha", "draft", "labels", "assignee",
            "assignees", "requested_reviewers", "requested_teams", "milestone",
        ):  # fmt: skip
            body[key] = rendered[key]
        body.update(
            user=self.user(pr.user),
            merged=pr.merged,
            auto_merge=None,
            url=rendered["url"],
            html_url=rendered["html_url"],
            author_association="CONTRIBUTOR",
        )
        for side, ref, sha, repo in (
            ("head", pr.head_ref, pr.head_sha, pr.head_repo),
            ("base", pr.base_ref, pr.base_sha, pr.repo),
        ):
            owner = (repo or pr.repo).owner
            template = body[side]["repo"] or payload["repository"]
            body[side] = {
                "label": f"{owner.login}:{ref}",
                "ref": ref,
                "sha": sha,
                "user": self.user(owner),
                "repo": None if repo is None else self.repo(repo, template),
            }
        payload["pull_request"] = body
        if action == "synchronize":
            payload["before"] = before or fake_sha(f"before-{pr.head_sha}")
            payload["after"] = pr.head_sha
        else:
            payload.pop("before", None)
            payload.pop("after", None)
        if action == "edited":
            payload["changes"] = changes or {
                "base": {"ref": {"from": "old-base"}, "sha": {"from": "0" * 40}}
            }
        return self._common(payload, pr.repo, pr.user)

    def check_run(
        self, check: CheckRun, action: str = "rerequested", *, identifier: str = "rerun",
        sender: str = "maintainer",
    ) -> dict[str, Any]:  # fmt: skip
        payload: dict[str, Any] = spec.webhook_example("check_run", "requested_action")
        payload["action"] = action
        rendered = self.render.check_run(check)
        cr = _rename(payload["check_run"], payload["repository"]["full_name"], check.repo.full_name)
        for key in (
            "id", "node_id", "name", "head_sha", "external_id", "status", "conclusion",
            "started_at", "completed_at", "url", "html_url", "details_url",
        ):  # fmt: skip
            cr[key] = rendered[key]
        # webhooks always carry a details_url (GitHub falls back to the App's page)
        cr["details_url"] = rendered["details_url"] or rendered["app"]["html_url"]
        cr["app"].update(id=self.fake.app.app_id, slug=self.fake.app.slug, name=self.fake.app.slug)
        cr["check_suite"]["head_sha"] = rendered["head_sha"]
        cr["pull_requests"] = rendered["pull_requests"]
        cr["check_suite"]["pull_requests"] = rendered["pull_requests"]
        payload["check_run"] = cr
        if action == "requested_action":
            payload["requested_action"] = {"identifier": identifier}
        else:
            payload.pop("requested_action", None)
        return self._common(payload, check.repo, self.fake.state.user(sender))

    def installation(
        self, inst: Installation, action: str = "created", repos: list[Repo] | None = None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = spec.webhook_example("installation", action)
        payload["installation"] = self._installation(inst)
        if repos is not None:
            payload["repositories"] = [self._repo_ref(r) for r in repos]
        payload["sender"] = self.user(inst.account)
        payload.pop("requester", None)
        return payload

    def installation_repositories(
        self, inst: Installation, action: str = "added", *, added: Sequence[Repo] = (),
        removed: Sequence[Repo] = (),
    ) -> dict[str, Any]:  # fmt: skip
        payload: dict[str, Any] = spec.webhook_example("installation_repositories", action)
        payload["installation"] = self._installation(inst)
        payload["repository_selection"] = inst.repository_selection
        payload["repositories_added"] = [self._repo_ref(r) for r in added]
        payload["repositories_removed"] = [self._repo_ref(r) for r in removed]
        payload["requester"] = None
        payload["sender"] = self.user(inst.account)
        return payload

    def delete(self, repo: Repo, ref: str, ref_type: str = "branch") -> dict[str, Any]:
        """A branch (or tag) ``ref`` of ``repo`` was deleted (an event without an action)."""
        payload: dict[str, Any] = spec.webhook_example("delete", None)
        payload.update(ref=ref, ref_type=ref_type, pusher_type="user")
        return self._common(payload, repo, repo.owner)

    def ping(self) -> dict[str, Any]:
        payload: dict[str, Any] = spec.webhook_example("ping", None)
        payload["hook_id"] = HOOK_ID
        payload["hook"].update(id=HOOK_ID, type="App", app_id=self.fake.app.app_id)
        payload.pop("repository", None)
        payload.pop("organization", None)
        return payload

    def _installation(self, inst: Installation) -> dict[str, Any]:
        data = self.render.installation(inst)
        data["created_at"] = data["updated_at"] = iso(now())
        return data

    @staticmethod
    def _repo_ref(repo: Repo) -> dict[str, Any]:
        return {
            "id": repo.id,
            "node_id": f"MDEwOlJlcG9zaXRvcnk{repo.id}",
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
        }


class WebhookSender:
    """Sends signed deliveries to `target_url` (set it, or pass url=...) and records them."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.payloads = Payloads(fake)
        self.target_url: str | None = None
        self.timeout = 10.0  # GitHub gives up after 10 s

    def reset(self) -> None:
        self.target_url = None

    def prepare(
        self, event: str, payload: dict[str, Any], *, url: str | None = None,
        guid: str | None = None, secret: str | None = None,
    ) -> HookDelivery:  # fmt: skip
        """Build (do not send) a delivery: raw body, headers, GUID; recorded when sent."""
        target = url or self.target_url
        if target is None:
            raise ValueError("no webhook URL: set fake_github.hooks.target_url or pass url=")
        body = json.dumps(payload, separators=(",", ":")).encode()
        key = self.fake.app.webhook_secret if secret is None else secret
        inst = payload.get("installation") or {}
        guid = guid or str(uuid.uuid4())
        headers = {
            "Accept": "*/*",
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/fake",
            "X-GitHub-Delivery": guid,
            "X-GitHub-Event": event,
            "X-GitHub-Hook-ID": str(HOOK_ID),
            "X-GitHub-Hook-Installation-Target-ID": str(self.fake.app.app_id),
            "X-GitHub-Hook-Installation-Target-Type": "integration",
            "X-Hub-Signature": signature(key, body, "sha1"),
            "X-Hub-Signature-256": signature(key, body),
        }
        return HookDelivery(
            id=self.fake.state.next_id(),
            guid=guid,
            event=event,
            action=payload.get("action"),
            installation_id=inst.get("id"),
            repository_id=(payload.get("repository") or {}).get("id"),
            url=target,
            headers=headers,
            body=body,
        )

    def deliver(self, event: str, payload: dict[str, Any], **kwargs: Any) -> HookDelivery:
        """POST a signed delivery now (blocking); returns the record with the response."""
        return self.send(self.prepare(event, payload, **kwargs))

    async def adeliver(self, event: str, payload: dict[str, Any], **kwargs: Any) -> HookDelivery:
        """`deliver` for async tests."""
        return await self.asend(self.prepare(event, payload, **kwargs))

    def send(self, delivery: HookDelivery) -> HookDelivery:
        started = time.perf_counter()
        try:
            with httpx.Client(timeout=self.timeout) as client:
                resp = client.post(delivery.url, content=delivery.body, headers=delivery.headers)
            self._finish(delivery, resp, started)
        except httpx.HTTPError as exc:
            self._finish(delivery, None, started, str(exc))
        return delivery

    async def asend(self, delivery: HookDelivery) -> HookDelivery:
        started = time.perf_counter()
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                resp = await client.post(
                    delivery.url, content=delivery.body, headers=delivery.headers
                )
            self._finish(delivery, resp, started)
        except httpx.HTTPError as exc:
            self._finish(delivery, None, started, str(exc))
        return delivery

    def _copy_for_redelivery(self, original: HookDelivery) -> HookDelivery:
        return HookDelivery(
            id=self.fake.state.next_id(),
            guid=original.guid,
            event=original.event,
            action=original.action,
            installation_id=original.installation_id,
            repository_id=original.repository_id,
            url=original.url,
            headers=dict(original.headers),
            body=original.body,
            redelivery=True,
        )

    def redeliver(self, original: HookDelivery) -> HookDelivery:
        """Send the same body, headers and X-GitHub-Delivery GUID again (redelivery=True)."""
        return self.send(self._copy_for_redelivery(original))

    async def aredeliver(self, original: HookDelivery) -> HookDelivery:
        return await self.asend(self._copy_for_redelivery(original))

    def _finish(
        self, d: HookDelivery, resp: httpx.Response | None, started: float, error: str = ""
    ) -> None:
        d.duration = round(time.perf_counter() - started, 3)
        d.delivered_at = now()
        if resp is not None:
            d.status_code = resp.status_code
            d.response_headers = dict(resp.headers)
            d.response_body = resp.text[:10000]
        else:
            d.status_code = 0
            d.response_body = error
        with self.fake.state.lock:
            self.fake.state.deliveries.append(d)
