"""Publishing a commit's result again (re-run attempts, re-run requests, a second workflow on the
same commit) on the fake GitHub: the check GitHub shows lists each annotation once, because
GitHub appends annotations on every update and coverhub never updates a completed check."""

from __future__ import annotations

from typing import Any

from app.feedback.check import ExternalId
from tests.integration.github_app.conftest import App
from tests.integration.github_app.publish_kit import (
    BASE,
    SHA,
    annotation_keys,
    config,
    done,
    lcov,
    wait_for,
)
from tests.support.fake_github.render_pulls import diff_entry

# 120 added lines, every other one uncovered: 60 one-line ranges, two requests' worth
BIG_PATCH = "@@ -0,0 +1,120 @@\n" + "".join(f"+line{n}\n" for n in range(1, 121))
BIG_LCOV = lcov({"src/big.py": {n: n % 2 for n in range(1, 121)}})
EXPECTED = [("src/big.py", n, n) for n in range(2, 121, 2)]


def big_pr(app: App, repo: Any) -> Any:
    pr = app.fake.state.add_pull_request(
        repo, head_sha=SHA, files=[diff_entry("src/big.py", BIG_PATCH, status="added")]
    )
    app.fake.state.set_comparison(repo, "main", SHA, merge_base_sha=BASE)
    return pr


def requested(app: App, run: Any) -> Any:
    """The workflow run starts: coverhub opens a pending check; wait until GitHub has it."""
    before = {c.id for c in app.fake.state.checks_for(SHA)}
    resp = app.deliver("workflow_run", app.fake.hooks.payloads.workflow_run(run, "requested"))
    assert resp.status_code == 202
    return wait_for(
        lambda: next((c for c in app.fake.state.checks_for(SHA) if c.id not in before), None),
        "no pending check was opened",
    )


def assert_each_annotation_once(app: App, name: str = "coverhub") -> Any:
    for check in app.fake.state.checks_for(SHA, name):
        keys = annotation_keys(check)
        assert len(keys) == len(set(keys)), f"check {check.id} repeats annotations"
        sent = [len((b.get("output") or {}).get("annotations") or []) for b in check.sent]
        assert all(n <= 50 for n in sent)
    shown = app.fake.state.shown_check(SHA, name)
    assert shown is not None and shown.data["status"] == "completed"
    return shown


def test_every_republish_shows_each_annotation_once(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    pr = big_pr(app, repo)
    run = app.fake.state.add_workflow_run(
        repo, head_sha=SHA, pull_requests=[pr], event="pull_request"
    )
    app.fake.state.add_artifact(run, "coverage", {"lcov.info": BIG_LCOV})

    # attempt 1: the pending check opened at "requested" is finished with its annotations
    pending = requested(app, run)
    assert pending.data["status"] == "in_progress"
    app.complete(run)
    done(app, 1, comments=1)
    first = assert_each_annotation_once(app)
    assert first.id == pending.id and annotation_keys(first) == EXPECTED

    # attempt 2 (a re-run): its own pending check, finished; the first one got nothing more
    run.run_attempt = 2
    app.fake.state.add_artifact(run, "coverage", {"lcov.info": BIG_LCOV})
    second_pending = requested(app, run)
    app.complete(run)
    done(app, 2, comments=1)
    second = assert_each_annotation_once(app)
    assert second.id == second_pending.id != first.id
    assert annotation_keys(second) == EXPECTED and annotation_keys(first) == EXPECTED

    # "Re-run" clicked on the check: a fresh check, each annotation once again
    sent_before = sum(len(c.sent) for c in app.fake.state.checks_for(SHA, "coverhub"))
    resp = app.deliver("check_run", app.fake.hooks.payloads.check_run(second, "rerequested"))
    assert resp.status_code == 202
    done(app, 3, comments=1)
    third = assert_each_annotation_once(app)
    assert third.id not in (first.id, second.id)
    assert annotation_keys(third) == EXPECTED
    assert third.data["conclusion"] == "success"
    # the older checks were not sent anything: only the new one got requests
    sent_after = sum(len(c.sent) for c in app.fake.state.checks_for(SHA, "coverhub"))
    assert sent_after - sent_before == len(third.sent) == 2  # create + one more batch


def test_a_changed_result_replaces_the_annotations_it_no_longer_has(app: App) -> None:
    """A re-run that covers some of the lines: the check GitHub shows lists only the lines still
    uncovered (an update could only have appended to the old list)."""
    repo = app.fake.install("octo-org/app")
    pr = big_pr(app, repo)
    run = app.fake.state.add_workflow_run(
        repo, head_sha=SHA, pull_requests=[pr], event="pull_request"
    )
    app.fake.state.add_artifact(run, "coverage", {"lcov.info": BIG_LCOV})
    app.complete(run)
    done(app, 1, comments=1)
    run.run_attempt = 2  # now lines 1-100 are all covered
    better = lcov({"src/big.py": {n: 1 if n <= 100 else n % 2 for n in range(1, 121)}})
    app.fake.state.add_artifact(run, "coverage", {"lcov.info": better})
    app.complete(run)
    done(app, 2, comments=2)
    shown = assert_each_annotation_once(app)
    assert annotation_keys(shown) == [("src/big.py", n, n) for n in range(102, 121, 2)]


def test_the_same_result_published_again_sends_no_check_request(app: App) -> None:
    """A second workflow on the same commit reporting the same coverage (a matrix leg): the
    check already says it, so GitHub gets no check request at all; statuses are per run."""
    repo = app.fake.install("octo-org/app")
    pr = big_pr(app, repo)
    for name in ("CI", "CI (3.13)"):
        run = app.fake.state.add_workflow_run(
            repo, head_sha=SHA, pull_requests=[pr], event="pull_request", name=name
        )
        app.fake.state.add_artifact(run, "coverage", {"lcov.info": BIG_LCOV})
        app.complete(run)
        done(app, 1 if name == "CI" else 2, comments=1)
        if name == "CI":
            check_requests = len(app.fake.state.requests_to("POST", "/check-runs")) + len(
                app.fake.state.requests_to("PATCH", "/check-runs/")
            )
    assert check_requests == 2  # create + the second batch of annotations
    assert len(app.fake.state.requests_to("POST", "/check-runs")) == 1
    assert len(app.fake.state.requests_to("PATCH", "/check-runs/")) == 1
    [check] = app.fake.state.checks_for(SHA, "coverhub")
    assert annotation_keys(check) == EXPECTED
    assert len(app.fake.state.statuses_for(SHA, "coverhub/project")) == 2  # one per run


FLAGS = 'flags:\n  unit: {artifacts: ["coverage-unit*"]}\n'


def test_a_run_with_a_named_flag_only_completes_the_pending_check_it_opened(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    config(app, repo, FLAGS)
    pr = app.fake.state.add_pull_request(
        repo, head_sha=SHA, files=[diff_entry("src/big.py", BIG_PATCH, status="added")]
    )
    app.fake.state.set_comparison(repo, "main", SHA, merge_base_sha=BASE)
    run = app.fake.state.add_workflow_run(
        repo, head_sha=SHA, pull_requests=[pr], event="pull_request", name="Unit tests"
    )
    app.fake.state.add_artifact(run, "coverage-unit", {"lcov.info": BIG_LCOV})
    pending = requested(app, run)
    assert pending.data["name"] == "coverhub"
    app.complete(run)
    [job] = app.wait_run_jobs(1)
    assert job.status == "done", job.last_error

    shown = app.fake.state.shown_check(SHA, "coverhub")
    assert shown is not None and shown.id == pending.id
    assert (shown.data["status"], shown.data["conclusion"]) == ("completed", "neutral")
    output = shown.data["output"]
    assert output["title"] == "Coverage is reported per flag: unit"
    assert "Unit tests" in output["summary"] and "`coverhub (unit)`" in output["summary"]
    assert shown.annotations == []

    unit = app.fake.state.shown_check(SHA, "coverhub (unit)")
    assert unit is not None and unit.data["conclusion"] == "success"
    assert annotation_keys(unit) == EXPECTED
    # what a re-run request of that check needs: the run and attempt; also the flag and PR
    ext = ExternalId.decode(unit.data["external_id"])
    assert ext == ExternalId(run.id, "unit", pr.number, 1)
    [project] = app.fake.state.statuses_for(SHA, "coverhub/project (unit)")
    assert project.state == "success"
    assert app.fake.state.statuses_for(SHA, "coverhub/project") == []


def test_a_pending_check_another_workflow_opened_is_left_to_it(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    config(app, repo, FLAGS)
    pr = app.fake.state.add_pull_request(
        repo, head_sha=SHA, files=[diff_entry("src/big.py", BIG_PATCH, status="added")]
    )
    app.fake.state.set_comparison(repo, "main", SHA, merge_base_sha=BASE)
    other = app.fake.state.add_workflow_run(
        repo, head_sha=SHA, pull_requests=[pr], event="pull_request", name="Integration"
    )
    pending = requested(app, other)  # the other workflow started first and is still running
    unit = app.fake.state.add_workflow_run(
        repo, head_sha=SHA, pull_requests=[pr], event="pull_request", name="Unit tests"
    )
    app.fake.state.add_artifact(unit, "coverage-unit", {"lcov.info": BIG_LCOV})
    app.complete(unit)
    [job] = app.wait_run_jobs(1)
    assert job.status == "done", job.last_error
    assert app.fake.state.shown_check(SHA, "coverhub (unit)") is not None
    shown = app.fake.state.shown_check(SHA, "coverhub")
    assert shown is not None and shown.id == pending.id
    assert shown.data["status"] == "in_progress"  # the merge gate waits for Integration
