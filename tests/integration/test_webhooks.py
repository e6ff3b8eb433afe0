"""POST /webhooks/github: signature, size cap, ping, unknown events, durable records, dedupe."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from app.db.schema import installations, jobs, pull_requests, repositories, webhook_deliveries
from app.web.app import create_app
from app.web.webhooks import MAX_BODY
from app.webhooks.signature import sign

SECRET = "webhook-secret-for-tests"
PEM_TEXT = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"


@pytest.fixture
def client(settings_factory) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = settings_factory(
        github_app_id="1",
        github_private_key=PEM_TEXT,
        github_webhook_secret=SECRET,
        sweep_interval="0.2",
    )
    with TestClient(create_app(settings)) as c:
        yield c


def deliver(
    client: TestClient,
    event: str,
    payload: Any,
    *,
    delivery: str | None = None,
    secret: str = SECRET,
    body: bytes | None = None,
) -> Any:
    raw = body if body is not None else json.dumps(payload).encode()
    return client.post(
        "/webhooks/github",
        content=raw,
        headers={
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "X-Hub-Signature-256": sign(secret, raw),
            "Content-Type": "application/json",
        },
    )


def rows(client: TestClient, table: sa.Table) -> list[Any]:
    with client.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        return list(conn.execute(sa.select(table)))


def wait_delivery(client: TestClient, delivery: str, *statuses: str) -> Any:
    for _ in range(250):
        for row in rows(client, webhook_deliveries):
            if row.delivery_id == delivery and row.status in statuses:
                return row
        time.sleep(0.02)
    raise AssertionError(
        f"delivery {delivery} never reached {statuses}: {rows(client, webhook_deliveries)}"
    )


INSTALLATION = {
    "action": "created",
    "installation": {"id": 42, "account": {"login": "octo-org", "type": "Organization"}},
    "repositories": [
        {"id": 1001, "name": "app", "full_name": "octo-org/app", "private": False},
        {"id": 1002, "name": "secret", "full_name": "octo-org/secret", "private": True},
    ],
    "sender": {"login": "octocat"},
}


def test_signature_missing_or_wrong_is_401(client: TestClient) -> None:
    raw = json.dumps(INSTALLATION).encode()
    r = client.post(
        "/webhooks/github",
        content=raw,
        headers={"X-GitHub-Event": "installation", "X-GitHub-Delivery": "d-1"},
    )
    assert r.status_code == 401
    r = deliver(client, "installation", INSTALLATION, secret="not-the-secret")
    assert r.status_code == 401
    assert rows(client, webhook_deliveries) == []


def test_ping_is_200(client: TestClient) -> None:
    r = deliver(client, "ping", {"zen": "Design for failure.", "hook_id": 1})
    assert r.status_code == 200


def test_unknown_event_is_202_and_not_recorded(client: TestClient) -> None:
    r = deliver(client, "star", {"action": "created"})
    assert r.status_code == 202 and r.json()["status"] == "ignored"
    assert rows(client, webhook_deliveries) == []


def test_body_at_the_limit_is_accepted_and_past_it_is_413(client: TestClient) -> None:
    base = json.dumps({"action": "created", "pad": ""}).encode()
    at_limit = base.replace(b'"pad": ""', b'"pad": "' + b"x" * (MAX_BODY - len(base)) + b'"')
    assert len(at_limit) == MAX_BODY
    r = deliver(client, "star", None, body=at_limit)
    assert r.status_code == 202
    r = deliver(client, "star", None, body=at_limit + b" ")
    assert r.status_code == 413


def test_malformed_headers_and_body_are_400(client: TestClient) -> None:
    assert deliver(client, "installation", None, body=b"{not json").status_code == 400
    assert deliver(client, "installation", None, body=b"[1, 2]").status_code == 400
    assert deliver(client, "installation", INSTALLATION, delivery="bad id!").status_code == 400


def test_installation_is_recorded_by_the_job(client: TestClient) -> None:
    r = deliver(client, "installation", INSTALLATION, delivery="inst-1")
    assert r.status_code == 202
    row = wait_delivery(client, "inst-1", "done")
    assert (row.event, row.action, row.attempts) == ("installation", "created", 1)
    [inst] = rows(client, installations)
    assert (inst.id, inst.account_login, inst.removed_at) == (42, "octo-org", None)
    repos = {(r.owner, r.name): r for r in rows(client, repositories)}
    assert repos[("octo-org", "app")].installation_id == 42
    assert repos[("octo-org", "secret")].private is True


def test_processed_delivery_is_not_done_again(client: TestClient) -> None:
    deliver(client, "installation", INSTALLATION, delivery="inst-2")
    wait_delivery(client, "inst-2", "done")
    again = deliver(client, "installation", INSTALLATION, delivery="inst-2")
    assert again.status_code == 202 and again.json()["status"] == "already processed"
    time.sleep(0.2)
    [row] = [r for r in rows(client, webhook_deliveries) if r.delivery_id == "inst-2"]
    assert row.attempts == 1
    assert len([j for j in rows(client, jobs) if j.key == "delivery:inst-2"]) == 1


def test_failed_delivery_is_processed_again_on_redelivery(client: TestClient) -> None:
    broken = {"action": "created", "installation": {"account": {"login": "x"}}}  # no id
    deliver(client, "installation", broken, delivery="inst-3")
    row = wait_delivery(client, "inst-3", "failed")
    assert "malformed installation payload: KeyError" in row.last_error
    for _ in range(250):  # the runner records the job's end right after the delivery's
        job = next(j for j in rows(client, jobs) if j.key == "delivery:inst-3")
        if job.status != "running":
            break
        time.sleep(0.02)
    assert job.status == "dead"  # a malformed payload is not retried...
    # ...and GitHub's redelivery (same GUID) of the now-fixed delivery is processed
    fixed = dict(INSTALLATION, installation={"id": 43, "account": {"login": "x"}})
    again = deliver(client, "installation", fixed, delivery="inst-3")
    assert again.status_code == 202 and again.json()["status"] == "accepted"
    row = wait_delivery(client, "inst-3", "done")
    assert row.attempts >= 2
    assert {i.id for i in rows(client, installations)} == {43}


def test_uninstall_keeps_data_and_deactivates(client: TestClient) -> None:
    deliver(client, "installation", INSTALLATION, delivery="inst-4")
    wait_delivery(client, "inst-4", "done")
    deliver(client, "installation", dict(INSTALLATION, action="deleted"), delivery="inst-5")
    wait_delivery(client, "inst-5", "done")
    [inst] = rows(client, installations)
    assert inst.removed_at is not None
    assert {r.name: r.active for r in rows(client, repositories)} == {"app": False, "secret": False}


def test_repositories_added_and_removed(client: TestClient) -> None:
    deliver(client, "installation", INSTALLATION, delivery="inst-6")
    wait_delivery(client, "inst-6", "done")
    deliver(
        client,
        "installation_repositories",
        {
            "action": "added",
            "installation": INSTALLATION["installation"],
            "repositories_added": [
                {"id": 1003, "name": "new", "full_name": "octo-org/new", "private": False}
            ],
            "repositories_removed": [{"id": 1001, "name": "app", "full_name": "octo-org/app"}],
        },
        delivery="inst-7",
    )
    wait_delivery(client, "inst-7", "done")
    assert {r.name: r.active for r in rows(client, repositories)} == {
        "app": False,
        "secret": True,
        "new": True,
    }


def pull_request(action: str, number: int, head_sha: str, *, fork: bool = False) -> dict[str, Any]:
    head_repo = (
        {"id": 9, "full_name": "someone/app-fork"}
        if fork
        else {"id": 1001, "full_name": "octo-org/app"}
    )
    return {
        "action": action,
        "number": number,
        "installation": {"id": 42},
        "repository": {
            "id": 1001,
            "name": "app",
            "full_name": "octo-org/app",
            "private": False,
            "default_branch": "main",
            "owner": {"login": "octo-org"},
        },
        "pull_request": {
            "number": number,
            "state": "closed" if action == "closed" else "open",
            "merged": False,
            "head": {"sha": head_sha, "ref": "feature", "repo": head_repo},
            "base": {"sha": "b" * 40, "ref": "main", "repo": {"id": 1001}},
        },
    }


def test_pull_requests_map_sha_to_pr_forks_included(client: TestClient) -> None:
    deliver(client, "pull_request", pull_request("opened", 7, "a" * 40, fork=True), delivery="pr-1")
    wait_delivery(client, "pr-1", "done")
    deliver(
        client, "pull_request", pull_request("synchronize", 7, "c" * 40, fork=True), delivery="pr-2"
    )
    wait_delivery(client, "pr-2", "done")
    [pr] = rows(client, pull_requests)
    assert (pr.number, pr.head_sha, pr.head_repo, pr.base_ref, pr.state) == (
        7,
        "c" * 40,
        "someone/app-fork",
        "main",
        "open",
    )
    [repo] = rows(client, repositories)
    assert repo.default_branch == "main"
    deliver(client, "pull_request", pull_request("labeled", 7, "c" * 40), delivery="pr-3")
    assert wait_delivery(client, "pr-3", "ignored").status == "ignored"


def test_acknowledgement_does_not_wait_for_the_job(client: TestClient) -> None:
    started = time.perf_counter()
    r = deliver(client, "installation", INSTALLATION, delivery="fast-1")
    assert r.status_code == 202
    assert r.json()["status"] == "accepted" and isinstance(r.json()["job"], int)
    # the job's effect comes after the answer (p99 budget: bench/bench_webhooks.py measures it)
    assert time.perf_counter() - started < 5
