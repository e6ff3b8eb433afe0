"""The fake against GitHub's official descriptions, and its webhook deliveries.

Every vendored REST operation is called and its answer validated with jsonschema against the
official response schema (tests/data/github/rest-openapi.json, from npm @octokit/openapi);
every webhook payload the fake builds is validated against the official webhook schema (npm
@octokit/openapi-webhooks) and parsed by githubkit's strict models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from githubkit.webhooks import verify
from githubkit_schemas.latest import models
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.fake_github import FakeGitHub, diff_entry, signature, spec
from tests.support.fake_github.server import ServerThread

SHA = "a" * 40
FORK_SHA = "f" * 40


def seed(fake: FakeGitHub) -> dict[str, Any]:
    repo = fake.install("octo-org/app")
    fork = fake.fork(repo)
    pr = fake.state.add_pull_request(
        repo, head_sha=SHA, files=[diff_entry("a.py", "@@ -1 +1,2 @@\n a\n+b"), diff_entry("b.bin")]
    )
    fork_pr = fake.state.add_pull_request(repo, head_sha=FORK_SHA, head_repo=fork)
    run = fake.state.add_workflow_run(repo, head_sha=SHA, pull_requests=[pr])
    fork_run = fake.state.add_workflow_run(
        repo, head_sha=FORK_SHA, head_repo=fork, event="pull_request"
    )
    art = fake.state.add_artifact(run, "coverage", {"coverage.xml": "<coverage/>"})
    fake.state.put_file(repo, ".github/coverhub.yml", "coverage: {}\n")
    fake.state.set_comparison(repo, "main", SHA, files=pr.files, commits=[SHA])
    comment = fake.state.add_comment(repo, pr.number, "hello")
    return {
        "repo": repo,
        "pr": pr,
        "fork_pr": fork_pr,
        "run": run,
        "fork_run": fork_run,
        "art": art,
        "comment": comment,
    }


class Receiver:
    """A stand-in for the service's webhook endpoint: verifies, records, fails on demand."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.got: list[tuple[dict[str, str], bytes, bool]] = []
        self.fail_first = True
        self.server = ServerThread(
            Starlette(routes=[Route("/webhooks/github", self.hook, methods=["POST"])])
        )
        self.url = f"http://127.0.0.1:{self.server.port}/webhooks/github"

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        ok = verify(self.secret, body, request.headers.get("x-hub-signature-256", ""))
        self.got.append((dict(request.headers), body, ok))
        if not ok:
            return Response(status_code=401)
        if self.fail_first:
            self.fail_first = False
            return Response(status_code=500)
        return Response(status_code=202)


@pytest.fixture
def receiver(fake_github: FakeGitHub):  # type: ignore[no-untyped-def]
    rec = Receiver(fake_github.app.webhook_secret)
    rec.server.start()
    fake_github.hooks.target_url = rec.url
    yield rec
    rec.server.stop()


def test_every_operation_answers_as_the_official_schema_says(
    fake_github: FakeGitHub, receiver: Receiver
) -> None:
    s = seed(fake_github)
    repo, pr, run, art = s["repo"], s["pr"], s["run"], s["art"]
    delivery = fake_github.hooks.deliver("ping", fake_github.hooks.payloads.ping())
    app_gh = fake_github.githubkit()
    token = app_gh.rest.apps.create_installation_access_token(
        repo.installation_id
    ).parsed_data.token
    base = "repos/octo-org/app"
    iid = repo.installation_id
    note = {"path": "a.py", "start_line": 2, "end_line": 2, "annotation_level": "warning"}
    finish = {"conclusion": "success", "output": {"title": "t", "summary": "s"}}
    finish["output"]["annotations"] = [{**note, "message": "not covered"}]  # type: ignore[index]
    status = {"state": "pending", "context": "coverhub/project", "description": "waiting"}
    hook = f"app/hook/deliveries/{delivery.id}"
    runs = f"{base}/actions/runs/{run.id}"
    arts = f"{base}/actions/artifacts/{art.id}"
    calls = [  # (operationId, method, path, json body or None, auth: "jwt" or "token")
        ("apps/get-authenticated", "GET", "app", None, "jwt"),
        ("apps/list-installations", "GET", "app/installations", None, "jwt"),
        ("apps/get-installation", "GET", f"app/installations/{iid}", None, "jwt"),
        ("apps/create-installation-access-token", "POST",
         f"app/installations/{iid}/access_tokens", {"repositories": ["app"]}, "jwt"),
        ("apps/get-repo-installation", "GET", f"{base}/installation", None, "jwt"),
        ("apps/list-webhook-deliveries", "GET", "app/hook/deliveries", None, "jwt"),
        ("apps/get-webhook-delivery", "GET", hook, None, "jwt"),
        ("apps/redeliver-webhook-delivery", "POST", f"{hook}/attempts", None, "jwt"),
        ("actions/get-workflow-run", "GET", runs, None, "token"),
        ("actions/list-workflow-run-artifacts", "GET", f"{runs}/artifacts", None, "token"),
        ("actions/get-artifact", "GET", arts, None, "token"),
        ("actions/download-artifact", "GET", f"{arts}/zip", None, "token"),
        ("checks/create", "POST", f"{base}/check-runs",
         {"name": "coverhub", "head_sha": SHA, "status": "in_progress"}, "token"),
        ("checks/update", "PATCH", f"{base}/check-runs/{{check}}", finish, "token"),
        ("checks/get", "GET", f"{base}/check-runs/{{check}}", None, "token"),
        ("checks/list-for-ref", "GET", f"{base}/commits/{SHA}/check-runs", None, "token"),
        ("repos/create-commit-status", "POST", f"{base}/statuses/{SHA}", status, "token"),
        ("repos/list-commit-statuses-for-ref", "GET", f"{base}/commits/{SHA}/statuses", None,
         "token"),
        ("issues/list-comments", "GET", f"{base}/issues/{pr.number}/comments", None, "token"),
        ("issues/create-comment", "POST", f"{base}/issues/{pr.number}/comments",
         {"body": "<!-- coverhub -->"}, "token"),
        ("issues/update-comment", "PATCH", f"{base}/issues/comments/{s['comment'].id}",
         {"body": "edited"}, "token"),
        ("pulls/list", "GET", f"{base}/pulls?head=outsider:feature", None, "token"),
        ("pulls/get", "GET", f"{base}/pulls/{pr.number}", None, "token"),
        ("pulls/list-files", "GET", f"{base}/pulls/{pr.number}/files", None, "token"),
        ("repos/compare-commits-with-basehead", "GET", f"{base}/compare/main...{SHA}", None,
         "token"),
        ("repos/get-content", "GET", f"{base}/contents/.github/coverhub.yml", None, "token"),
        ("repos/list-pull-requests-associated-with-commit", "GET", f"{base}/commits/{SHA}/pulls",
         None, "token"),
    ]  # fmt: skip
    assert {c[0] for c in calls} == set(spec.operations()), "every vendored operation is exercised"
    check_id = None
    with httpx.Client(base_url=fake_github.url) as client:
        for operation_id, method, path, body, auth in calls:
            headers = {"Authorization": f"token {token}"}
            if auth == "jwt":
                headers = {"Authorization": f"Bearer {app_jwt(fake_github)}"}
            resp = client.request(
                method, path.replace("{check}", str(check_id)), json=body, headers=headers
            )
            assert 200 <= resp.status_code < 400, (operation_id, resp.status_code, resp.text)
            documented = spec.operations()[operation_id].statuses()
            assert resp.status_code in documented, (operation_id, resp.status_code)
            if resp.status_code == 302:
                assert resp.headers["location"].startswith(fake_github.blob.url)
                continue
            payload = resp.json()
            assert spec.response_errors(operation_id, resp.status_code, payload) == [], operation_id
            if operation_id == "checks/create":
                check_id = payload["id"]
    fake_github.wait_background()
    assert fake_github.state.schema_errors == []


def app_jwt(fake: FakeGitHub) -> str:
    import time

    import jwt

    now = int(time.time())
    claims = {"iat": now - 60, "exp": now + 540, "iss": str(fake.app.app_id)}
    return jwt.encode(claims, fake.app.private_key_pem, algorithm="RS256")


def test_webhook_payloads_follow_the_official_schemas_and_parse(fake_github: FakeGitHub) -> None:
    s = seed(fake_github)
    build = fake_github.hooks.payloads
    check = fake_github.githubkit(s["repo"].installation_id)
    with check:
        made = check.rest.checks.create(
            "octo-org", "app", name="coverhub", head_sha=SHA, external_id="1"
        )
    (check_run,) = fake_github.state.checks_for(SHA)
    assert made.status_code == 201
    inst = s["repo"].installation
    cases: list[tuple[str, dict[str, Any]]] = []
    for action in ("requested", "in_progress", "completed"):
        cases += [("workflow_run", build.workflow_run(s["run"], action))]
        cases += [("workflow_run", build.workflow_run(s["fork_run"], action))]
    for action in ("opened", "synchronize", "reopened", "closed", "edited"):
        cases += [("pull_request", build.pull_request(s["pr"], action))]
        cases += [("pull_request", build.pull_request(s["fork_pr"], action))]
    for action in ("created", "deleted", "suspend", "unsuspend", "new_permissions_accepted"):
        cases += [("installation", build.installation(inst, action, [s["repo"]]))]
    cases += [
        (
            "installation_repositories",
            build.installation_repositories(inst, "added", added=[s["repo"]]),
        )
    ]
    cases += [
        (
            "installation_repositories",
            build.installation_repositories(inst, "removed", removed=[s["repo"]]),
        )
    ]
    cases += [("check_run", build.check_run(check_run, "rerequested"))]
    cases += [("check_run", build.check_run(check_run, "requested_action", identifier="rerun"))]
    cases += [("ping", build.ping())]
    cases += [("delete", build.delete(s["repo"], "feature"))]
    cases += [("delete", build.delete(s["repo"], "v1.0", ref_type="tag"))]
    for event, payload in cases:
        assert spec.webhook_errors(event, payload) == [], (event, payload.get("action"))
        # githubkit's strict model of that event and action accepts it (the per-event union
        # parse_obj builds costs seconds for pull_request; the model of one action does not)
        words = [event, payload.get("action") or ""]
        name = "Webhook" + "".join(w.title() for w in "_".join(words).split("_"))
        getattr(models, name).model_validate(payload)
        if event not in ("ping", "installation", "installation_repositories"):
            assert payload["installation"]["id"] == inst.id

    same_repo = build.workflow_run(s["run"], "completed")["workflow_run"]
    assert [p["number"] for p in same_repo["pull_requests"]] == [s["pr"].number]
    fork = build.workflow_run(s["fork_run"], "completed")["workflow_run"]
    assert fork["pull_requests"] == [] and fork["head_repository"]["fork"] is True
    assert fork["head_repository"]["full_name"] == "outsider/app" and fork["head_sha"] == FORK_SHA
    fork_pr = build.pull_request(s["fork_pr"], "synchronize")
    assert fork_pr["pull_request"]["head"]["repo"]["fork"] is True and fork_pr["after"] == FORK_SHA
    assert build.check_run(check_run)["check_run"]["external_id"] == "1"


def test_signature_matches_githubs_published_vector() -> None:
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signature("It's a Secret to Everybody", b"Hello, World!") == expected


def test_deliveries_are_signed_recorded_listed_and_redelivered(
    fake_github: FakeGitHub, receiver: Receiver
) -> None:
    s = seed(fake_github)
    hooks = fake_github.hooks
    first = hooks.deliver("workflow_run", hooks.payloads.workflow_run(s["run"], "completed"))
    assert first.status_code == 500
    headers, body, ok = receiver.got[0]
    assert ok and json.loads(body)["workflow_run"]["id"] == s["run"].id
    assert (
        headers["x-github-event"] == "workflow_run" and headers["x-github-delivery"] == first.guid
    )
    assert headers["x-github-hook-installation-target-id"] == str(fake_github.app.app_id)
    assert headers["x-hub-signature"].startswith("sha1=")
    bad = hooks.deliver("ping", hooks.payloads.ping(), secret="wrong")
    assert bad.status_code == 401 and receiver.got[-1][2] is False
    good = hooks.deliver("ping", hooks.payloads.ping())
    assert good.status_code == 202

    with fake_github.githubkit() as gh:
        listed = list(gh.rest.paginate(gh.rest.apps.list_webhook_deliveries, per_page=1))
        assert [d.guid for d in listed] == [good.guid, bad.guid, first.guid]
        failed = gh.rest.apps.list_webhook_deliveries(status="failure").parsed_data
        assert {d.guid for d in failed} == {first.guid, bad.guid}
        detail = gh.rest.apps.get_webhook_delivery(first.id).parsed_data
        assert detail.request.headers.model_extra["X-GitHub-Delivery"] == first.guid
        assert gh.rest.apps.redeliver_webhook_delivery(first.id).status_code == 202
    fake_github.wait_background()
    again = fake_github.state.deliveries[-1]
    assert again.redelivery and again.guid == first.guid and again.status_code == 202
    assert receiver.got[-1][1] == body and receiver.got[-1][0]["x-github-delivery"] == first.guid
    # the test side can redeliver too (same GUID, same bytes)
    assert hooks.redeliver(first).guid == first.guid and receiver.got[-1][1] == body


def test_vendored_reference_is_small_and_complete() -> None:
    data = Path(spec.DATA)
    total = sum(p.stat().st_size for p in data.rglob("*.json"))
    assert total < 1_000_000, total
    info = spec.rest_description()["info"]
    assert info["x-vendored-from"].startswith("npm @octokit/openapi@")
    assert len(spec.operations()) == 27
    for event in (
        "workflow_run",
        "pull_request",
        "installation",
        "installation_repositories",
        "check_run",
        "ping",
    ):
        assert spec.webhook_file(event)["examples"]
