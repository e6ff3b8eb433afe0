"""workflow_run deliveries to stored reports, against the fake GitHub (a real HTTP server).

Each scenario checks what a user would see: what was stored and recorded (totals equal to what
coverage.py printed for the same run), and what GitHub received.
"""

from __future__ import annotations

import io
import zipfile

from app.db.schema import jobs, pull_requests
from app.services.github_runs import RUN_JOB
from tests.integration.github_app.conftest import SIX_XML, App, six_expected

SHA = "1" * 40
OTHER = "2" * 40
GO_PROFILE = b"mode: set\nexample.com/m/a.go:3.2,4.10 2 1\nexample.com/m/a.go:5.2,6.10 3 0\n"


def test_same_repo_pull_request_run_is_stored_with_the_tools_numbers(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    pr = app.fake.state.add_pull_request(repo, head_sha=SHA)
    run = app.fake.state.add_workflow_run(
        repo, head_sha=SHA, pull_requests=[pr], event="pull_request"
    )
    app.fake.state.add_artifact(run, "coverage-report", {"coverage.xml": SIX_XML})
    app.fake.state.add_artifact(run, "build-logs", {"log.txt": b"not coverage"})
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "done", job.last_error
    covered, total, display = six_expected()
    merged = app.merged(SHA)
    assert (merged.native_covered, merged.native_total, merged.native_display) == (
        covered,
        total,
        display,
    )
    [upload] = app.uploads_of(SHA)
    assert (upload.source, upload.workflow_run_id, upload.run_attempt) == (
        "workflow_run",
        run.id,
        1,
    )
    # the raw file is kept, under the commit and flag
    store = app.client.app.state.services.store  # type: ignore[attr-defined]
    key = f"octo-org/app/{SHA}/default/raw/coverage-report/coverage.xml"
    assert store.open(key).read() == SIX_XML
    # only the matching artifact was downloaded, and never with the token at the storage host
    assert [r for r in app.fake.blob.requests if "authorization" in r.headers] == []
    assert len(app.fake.blob.requests) == 1


def test_fork_pull_request_is_found_through_the_api(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    fork = app.fake.fork(repo, "outsider")
    pr = app.fake.state.add_pull_request(repo, head_sha=SHA, head_repo=fork, head_ref="patch-1")
    run = app.fake.state.add_workflow_run(
        repo, head_sha=SHA, head_repo=fork, head_branch="patch-1", event="pull_request"
    )
    app.fake.state.add_artifact(run, "coverage", {"coverage.xml": SIX_XML})
    payload = app.fake.hooks.payloads.workflow_run(run, "completed")
    assert payload["workflow_run"]["pull_requests"] == []  # as GitHub sends it for forks
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "done", job.last_error
    [row] = app.rows(pull_requests)
    assert (row.number, row.head_sha, row.head_repo) == (pr.number, SHA, "outsider/app")
    # (publishing then reads the PR and its files: /pulls/{n}, /pulls/{n}/files)
    [listed] = [r for r in app.fake.state.requests_to("GET", "/pulls") if r.path.endswith("/pulls")]
    assert listed.query["head"] == "outsider:patch-1"


def test_push_to_the_default_branch(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, head_branch="main", event="push")
    app.fake.state.add_artifact(run, "coverage", {"cover.out": GO_PROFILE})
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "done", job.last_error
    merged = app.merged(SHA)
    # go: 2 of 5 statements -> printed as 40.0%
    assert (merged.branch, merged.native_covered, merged.native_total, merged.native_display) == (
        "main",
        2,
        5,
        "40.0%",
    )


def test_single_unzipped_file_artifact(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    app.fake.state.add_artifact(run, "coverage.out", raw=GO_PROFILE)
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "done", job.last_error
    assert app.merged(SHA).native_display == "40.0%"


def test_rerun_newest_attempt_replaces_the_older(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    art = app.fake.state.add_artifact(run, "coverage", {"cover.out": GO_PROFILE})
    app.complete(run)
    app.wait_run_jobs(1)
    # attempt 2 ran everything: 5 of 5 statements
    run.run_attempt = 2
    art.expired = True  # the old attempt's artifact is gone; the new one is newer
    app.fake.state.add_artifact(
        run, "coverage", {"cover.out": GO_PROFILE.replace(b" 0\n", b" 1\n")}
    )
    app.complete(run)
    ended = app.wait_run_jobs(2)
    assert all(j.status == "done" for j in ended), [j.last_error for j in ended]
    merged = app.merged(SHA)
    assert (merged.native_covered, merged.native_total) == (5, 5)
    attempts = {u.run_attempt: u.superseded for u in app.uploads_of(SHA)}
    assert attempts == {1: True, 2: False}


def test_two_workflows_on_one_commit_merge(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    unit = app.fake.state.add_workflow_run(
        repo, head_sha=SHA, event="push", head_branch="main", name="unit"
    )
    integ = app.fake.state.add_workflow_run(
        repo, head_sha=SHA, event="push", head_branch="main", name="integration"
    )
    app.fake.state.add_artifact(unit, "coverage", {"cover.out": GO_PROFILE})
    other = b"mode: set\nexample.com/m/a.go:3.2,4.10 2 0\nexample.com/m/a.go:5.2,6.10 3 1\n"
    app.fake.state.add_artifact(integ, "coverage", {"cover.out": other})
    app.complete(unit)
    app.complete(integ)
    ended = app.wait_run_jobs(2)
    assert all(j.status == "done" for j in ended), [j.last_error for j in ended]
    merged = app.merged(SHA)
    # set mode ORs the blocks: every block ran in one workflow or the other
    assert (merged.native_covered, merged.native_total) == (5, 5)
    assert len(app.uploads_of(SHA)) == 2


def test_matrix_artifacts_of_one_run_merge(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    app.fake.state.add_artifact(run, "coverage-py3.11", {"cover.out": GO_PROFILE})
    app.fake.state.add_artifact(
        run, "coverage-py3.12", {"cover.out": b"mode: set\nexample.com/m/a.go:5.2,6.10 3 1\n"}
    )
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "done", job.last_error
    assert (app.merged(SHA).native_covered, app.merged(SHA).native_total) == (5, 5)


def test_run_without_a_coverage_artifact_is_ignored(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    app.fake.state.add_artifact(run, "docs", {"index.html": b"<html></html>"})
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "done"
    assert app.uploads_of(SHA) == []


def test_pending_check_at_requested_released_when_no_coverage(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    resp = app.deliver("workflow_run", app.fake.hooks.payloads.workflow_run(run, "requested"))
    assert resp.status_code == 202
    app.wait_deliveries()
    [check] = app.fake.state.checks_for(SHA, "coverhub")
    assert check.data["status"] == "in_progress"
    # a second workflow starting on the same commit does not open another
    app.deliver("workflow_run", app.fake.hooks.payloads.workflow_run(run, "in_progress"))
    app.wait_deliveries()
    assert len(app.fake.state.checks_for(SHA, "coverhub")) == 1
    app.complete(run)  # no artifact at all
    app.wait_run_jobs()
    [check] = app.fake.state.checks_for(SHA, "coverhub")
    assert (check.data["status"], check.data["conclusion"]) == ("completed", "neutral")


def test_expired_artifact_is_a_clear_error_on_the_check(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    app.fake.state.add_artifact(run, "coverage", {"cover.out": GO_PROFILE}, expired=True)
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "dead"
    assert "artifact coverage has expired" in job.last_error
    [check] = app.fake.state.checks_for(SHA, "coverhub")
    assert check.data["conclusion"] == "failure"
    assert "artifact coverage has expired" in check.data["output"]["summary"]


def test_unreadable_coverage_file_fails_the_check_never_a_silent_pass(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    app.fake.state.add_artifact(run, "coverage", {"coverage.xml": b"<coverage line-rate='1'"})
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "dead"
    [check] = app.fake.state.checks_for(SHA, "coverhub")
    assert check.data["conclusion"] == "failure"
    assert "coverage.xml" in check.data["output"]["summary"]
    assert app.uploads_of(SHA) == []


def zip_with(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return buf.getvalue()


def symlink_entry(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = 0o120777 << 16
    return info, target.encode()


def test_hostile_zips_are_refused_with_a_reason(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    cases = {
        "traversal": zip_with([("../../etc/cron.d/x", GO_PROFILE)]),
        "absolute": zip_with([("/etc/passwd", GO_PROFILE)]),
        "link": zip_with([symlink_entry("cover.out", "/etc/passwd")]),
        "bomb": zip_with([("cover.out", b"mode: set\n" + b"\n" * (300 << 20))]),
    }
    runs = {}
    for n, (label, data) in enumerate(cases.items()):
        sha = f"{n + 3}" * 40
        run = app.fake.state.add_workflow_run(repo, head_sha=sha, event="push", head_branch="main")
        app.fake.state.add_artifact(run, "coverage", raw=data)
        runs[label] = sha
        app.complete(run)
    ended = app.wait_run_jobs(len(cases), seconds=60)
    errors = {j.payload["head_sha"]: j.last_error for j in ended}
    assert all(j.status == "dead" for j in ended), errors
    for label, sha in runs.items():
        [check] = app.fake.state.checks_for(sha, "coverhub")
        assert check.data["conclusion"] == "failure", label
        assert app.uploads_of(sha) == [], label
    assert "inflates more than 250 times" in errors[runs["bomb"]]
    assert "symlink" in errors[runs["link"]] or "link" in errors[runs["link"]]
    assert ".." in errors[runs["traversal"]]
    assert "absolute" in errors[runs["absolute"]]


def test_github_500_then_success(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    app.fake.state.add_artifact(run, "coverage", {"cover.out": GO_PROFILE})
    app.fake.fail("GET", r"/actions/runs/\d+/artifacts", 500, times=2)
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "done", job.last_error
    assert app.merged(SHA).native_display == "40.0%"
    gateway = app.client.app.state.services.github  # type: ignore[attr-defined]
    assert gateway.waits[:2] == [1.0, 2.0]  # backoff between the retries


def test_429_with_retry_after_is_waited_out(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    app.fake.state.add_artifact(run, "coverage", {"cover.out": GO_PROFILE})
    app.fake.fail("GET", r"/actions/runs/\d+/artifacts", 429, headers={"Retry-After": "3"})
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "done", job.last_error
    gateway = app.client.app.state.services.github  # type: ignore[attr-defined]
    assert 3.0 in gateway.waits


def test_long_rate_limit_reschedules_the_job(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    app.fake.state.add_artifact(run, "coverage", {"cover.out": GO_PROFILE})
    app.fake.fail("GET", r"/actions/runs/\d+/artifacts", 429, headers={"Retry-After": "3600"})
    app.complete(run)
    import time

    for _ in range(400):
        found = app.rows(jobs, jobs.c.kind == RUN_JOB)
        if found and found[0].last_error:
            break
        time.sleep(0.05)
    [job] = found
    assert job.status == "queued"  # not holding a worker for an hour
    assert "rate limit" in job.last_error and "3600" in job.last_error


def test_redelivered_completed_run_is_not_ingested_twice(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    app.fake.state.add_artifact(run, "coverage", {"cover.out": GO_PROFILE})
    app.complete(run, guid="run-delivery-1")
    app.wait_run_jobs()
    again = app.complete(run, guid="run-delivery-1")
    assert again.json()["status"] == "already processed"
    # a different delivery of the same run and attempt is the same job, too
    app.complete(run, guid="run-delivery-2")
    app.wait_deliveries()
    assert len(app.rows(jobs, jobs.c.kind == RUN_JOB)) == 1
    assert len(app.fake.blob.requests) == 1
    assert len(app.uploads_of(SHA)) == 1


def test_missing_permission_names_it(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    app.fake.state.add_artifact(run, "coverage", {"cover.out": GO_PROFILE})
    app.fake.fail(
        "GET",
        r"/actions/runs/\d+/artifacts",
        403,
        body={"message": "Resource not accessible by integration"},
    )
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "dead"
    assert "the App needs the Actions: read permission" in job.last_error
    assert job.attempts == 1  # not retried: retrying cannot grant a permission


def test_html_report_is_stored_as_one_archive_and_served(app: App, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.support.htmlcov import make_htmlcov

    htmlcov = make_htmlcov(tmp_path)
    files = {
        f"htmlcov/{p.relative_to(htmlcov).as_posix()}": p.read_bytes()
        for p in htmlcov.rglob("*")
        if p.is_file()
    }
    assert len(files) > 5
    repo = app.fake.install("octo-org/app")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    app.fake.state.add_artifact(run, "coverage", {"cover.out": GO_PROFILE, **files})
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "done", job.last_error
    store = app.client.app.state.services.store  # type: ignore[attr-defined]
    html_objects = list(store.list(f"octo-org/app/{SHA}/default/html/"))
    assert html_objects == [
        f"octo-org/app/{SHA}/default/html/archive.bin",
        f"octo-org/app/{SHA}/default/html/index.json",
    ]
    page = app.client.get(f"/octo-org/app/commit/{SHA}/index.html")
    assert page.status_code == 200
    assert page.content == files["htmlcov/index.html"]
    assert "sandbox" in page.headers["content-security-policy"]
    assert "allow-same-origin" not in page.headers["content-security-policy"]


def test_suspended_installation_ends_the_job_saying_so(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    app.fake.state.add_artifact(run, "coverage", {"cover.out": GO_PROFILE})
    assert repo.installation is not None
    repo.installation.suspended = True
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "dead"
    assert "refused an installation token" in job.last_error and "(403)" in job.last_error
    assert "unreachable" not in job.last_error
    assert job.attempts == 1  # not retried: a retry cannot unsuspend the App
    minted = app.fake.state.requests_to("POST", "/access_tokens")
    # asked once for the work and once to report the failure, never again per network retry
    assert len(minted) == 2
    assert app.uploads_of(SHA) == []
