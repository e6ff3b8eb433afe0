"""GitHub's ``delete`` event: a deleted branch's badge turns grey "stale" and says why; a deleted
tag changes nothing. (The App subscribes to the event: infra/github-app.yml.)"""

from __future__ import annotations

import re

from app.db.schema import webhook_deliveries
from tests.integration.github_app.conftest import App
from tests.integration.github_app.publish_kit import BASE, BASE_LCOV, done

FEATURE = "f" * 40


def badge(app: App, branch: str) -> str:
    resp = app.client.get(f"/octo-org/app/badge.svg?branch={branch}")
    assert resp.status_code == 200
    match = re.search(r'aria-label="([^"]+)"', resp.text)
    assert match is not None
    return match[1]


def title(app: App, branch: str) -> str:
    text = app.client.get(f"/octo-org/app/badge.svg?branch={branch}").text
    match = re.search(r"<title>([^<]+)</title>", text)
    assert match is not None
    return match[1]


def test_a_deleted_branch_badge_turns_stale_and_a_deleted_tag_changes_nothing(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    for sha, branch in ((BASE, "main"), (FEATURE, "feature")):
        run = app.fake.state.add_workflow_run(repo, head_sha=sha, event="push", head_branch=branch)
        app.fake.state.add_artifact(run, "coverage", {"lcov.info": BASE_LCOV})
        app.complete(run)
        done(app, 1 if branch == "main" else 2, sha)
    assert badge(app, "feature") == "coverage: 50.0%"

    tag = app.deliver("delete", app.fake.hooks.payloads.delete(repo, "feature", ref_type="tag"))
    assert tag.status_code == 202
    app.wait_deliveries()
    assert badge(app, "feature") == "coverage: 50.0%"

    gone = app.deliver("delete", app.fake.hooks.payloads.delete(repo, "feature"))
    assert gone.status_code == 202
    app.wait_deliveries()
    assert badge(app, "feature") == "coverage: stale"
    assert "was deleted" in title(app, "feature")
    assert badge(app, "main") == "coverage: 50.0%"  # other branches keep theirs
    statuses = sorted(
        d.status for d in app.rows(webhook_deliveries, webhook_deliveries.c.event == "delete")
    )
    assert statuses == ["done", "ignored"]
