"""Publishing to GitHub (the fake): check runs, statuses and the one sticky PR comment.

Every scenario asserts what GitHub received: check runs and their PATCH bodies, statuses,
comments (and who wrote them).
"""

from __future__ import annotations

from app.coverage.diff import parse_diff
from app.coverage.patch import patch_coverage
from app.feedback.comment import MARKER
from tests.integration.github_app.conftest import App
from tests.integration.github_app.publish_kit import (
    BASE,
    HEAD_LCOV,
    NEXT,
    PATCH,
    SHA,
    bot_comments,
    config,
    done,
    lcov,
    pr_run,
    push_base,
)
from tests.support.fake_github.render_pulls import diff_entry


def test_pr_against_its_merge_base_check_statuses_and_one_comment(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    push_base(app, repo)
    done(app, 1, BASE)
    pr = app.fake.state.add_pull_request(repo, head_sha=SHA, files=[diff_entry("src/a.py", PATCH)])
    app.fake.state.set_comparison(repo, "main", SHA, merge_base_sha=BASE)
    run = pr_run(app, repo, pr)
    app.complete(run)
    done(app, 2, comments=1)
    [check] = app.fake.state.checks_for(SHA, "coverhub")
    assert check.data["conclusion"] == "success"
    summary = check.data["output"]["summary"]
    assert BASE[:7] in summary and "merge base of main" in summary
    assert check.data["details_url"] == f"http://127.0.0.1:8000/octo-org/app/commit/{SHA}/"
    for context in ("coverhub/project", "coverhub/patch"):
        [status] = app.fake.state.statuses_for(SHA, context)
        assert status.state == "success"
        assert status.description is not None and len(status.description) <= 140
    [project] = app.fake.state.statuses_for(SHA, "coverhub/project")
    assert "66.7% (+16.7%)" in (project.description or "") and BASE[:7] in (
        project.description or ""
    )
    [comment] = bot_comments(app, repo, pr.number)
    assert comment.body.startswith(MARKER)
    assert "+16.7" in comment.body and BASE[:7] in comment.body

    # the same run delivered again, then a re-run attempt: same comment; the re-run's result is
    # a new check run (GitHub shows the newest), as updating would append its annotations
    app.complete(run)
    run.run_attempt = 2
    app.fake.state.add_artifact(run, "coverage", {"lcov.info": HEAD_LCOV.replace(b"6,0", b"6,1")})
    app.complete(run)
    done(app, 3, comments=2)
    assert len(app.fake.state.requests_to("POST", "/check-runs")) == 3  # base push, PR, re-run
    shown = app.fake.state.shown_check(SHA, "coverhub")
    assert shown is not None and shown.data["conclusion"] == "success"
    assert "83.3%" in shown.data["output"]["title"] and shown.annotations == []
    [comment] = bot_comments(app, repo, pr.number)
    assert len(app.fake.state.comments_on(repo, pr.number)) == 1
    assert comment.history and "83.3%" in comment.body


def test_someone_elses_comment_with_the_marker_is_left_alone(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    pr = app.fake.state.add_pull_request(repo, head_sha=SHA, files=[diff_entry("src/a.py", PATCH)])
    bait = app.fake.state.add_comment(repo, pr.number, MARKER + "\nplease overwrite", "mallory")
    app.fake.state.set_comparison(repo, "main", SHA, merge_base_sha=BASE)
    app.complete(pr_run(app, repo, pr))
    done(app, 1, comments=1)
    assert bait.body == MARKER + "\nplease overwrite" and bait.history == []
    [ours] = bot_comments(app, repo, pr.number)
    assert ours.id != bait.id
    # no base report at all: said in the summary and the comment
    [check] = app.fake.state.checks_for(SHA, "coverhub")
    assert "no base report found" in check.data["output"]["summary"]
    assert "no base report" in ours.body


def test_fork_pull_request_comment_goes_to_the_base_repository(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    push_base(app, repo)
    done(app, 1, BASE)
    fork = app.fake.fork(repo, "outsider")
    pr = app.fake.state.add_pull_request(
        repo,
        head_sha=SHA,
        head_repo=fork,
        head_ref="patch-1",
        files=[diff_entry("src/a.py", PATCH)],
    )
    app.fake.state.set_comparison(repo, "main", SHA, merge_base_sha=BASE)
    run = app.fake.state.add_workflow_run(
        repo, head_sha=SHA, head_repo=fork, head_branch="patch-1", event="pull_request"
    )
    app.fake.state.add_artifact(run, "coverage", {"lcov.info": HEAD_LCOV})
    app.complete(run)
    done(app, 2, comments=1)
    [comment] = bot_comments(app, repo, pr.number)
    assert BASE[:7] in comment.body
    assert app.fake.state.statuses_for(SHA, "coverhub/patch")


def test_patch_coverage_equals_the_engine_and_uncovered_lines_are_annotated(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    files = [
        diff_entry("src/a.py", PATCH),
        diff_entry("logo.png", None, status="added"),  # binary: no patch
    ]
    pr = app.fake.state.add_pull_request(repo, head_sha=SHA, files=files)
    app.fake.state.set_comparison(repo, "main", SHA, merge_base_sha=BASE)
    app.complete(pr_run(app, repo, pr))
    done(app, 1, comments=1)
    head = app.stored_report(f"octo-org/app/{SHA}/default/coverhub/report.json")
    diff = "diff --git a/src/a.py b/src/a.py\n--- a/src/a.py\n+++ b/src/a.py\n" + PATCH
    expected = patch_coverage([head], parse_diff(diff))
    assert (expected.covered, expected.total) == (1, 2)
    [status] = app.fake.state.statuses_for(SHA, "coverhub/patch")
    assert f"{expected.display} of {expected.total} changed lines" in (status.description or "")
    assert "1 file not measured" in (status.description or "")
    [check] = app.fake.state.checks_for(SHA, "coverhub")
    assert [(a["path"], a["start_line"], a["end_line"]) for a in check.annotations] == [
        ("src/a.py", 6, 6)
    ]
    assert "logo.png" in check.data["output"]["summary"]


def test_more_than_50_annotations_are_sent_in_batches(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    # 120 added lines, every other one uncovered: 60 separate uncovered ranges
    added = "".join(f"+line{n}\n" for n in range(1, 121))
    patch = f"@@ -0,0 +1,120 @@\n{added}"
    data = lcov({"src/big.py": {n: n % 2 for n in range(1, 121)}})
    pr = app.fake.state.add_pull_request(
        repo, head_sha=SHA, files=[diff_entry("src/big.py", patch, status="added")]
    )
    app.fake.state.set_comparison(repo, "main", SHA, merge_base_sha=BASE)
    app.complete(pr_run(app, repo, pr, data=data))
    done(app, 1, comments=1)
    [check] = app.fake.state.checks_for(SHA, "coverhub")
    assert len(check.annotations) == 60
    sent = [len((b.get("output") or {}).get("annotations") or []) for b in check.sent]
    assert all(n <= 50 for n in sent) and sum(sent) == 60
    assert check.data["conclusion"] == "success"


def test_push_to_default_branch_check_and_statuses_no_comment(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    push_base(app, repo)
    done(app, 1, BASE)
    app.fake.state.set_comparison(repo, BASE, NEXT, merge_base_sha=BASE, commits=[NEXT])
    push_base(app, repo, NEXT, HEAD_LCOV)
    done(app, 2, NEXT)
    [check] = app.fake.state.checks_for(NEXT, "coverhub")
    assert check.data["conclusion"] == "success"
    assert "first parent with a report" in check.data["output"]["summary"]
    [project] = app.fake.state.statuses_for(NEXT, "coverhub/project")
    assert BASE[:7] in (project.description or "")
    assert app.fake.state.requests_to("POST", "/comments") == []


def test_gate_target_above_coverage_fails_check_and_status(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    config(app, repo, "gates:\n  project: {target: 90}\n")
    pr = app.fake.state.add_pull_request(repo, head_sha=SHA, files=[diff_entry("src/a.py", PATCH)])
    app.fake.state.set_comparison(repo, "main", SHA, merge_base_sha=BASE)
    app.complete(pr_run(app, repo, pr))
    done(app, 1, comments=1)
    [check] = app.fake.state.checks_for(SHA, "coverhub")
    assert check.data["conclusion"] == "failure"
    [project] = app.fake.state.statuses_for(SHA, "coverhub/project")
    assert project.state == "failure" and "failed" in (project.description or "")


def test_informational_gate_is_neutral_and_comment_never(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    config(
        app,
        repo,
        "gates:\n  informational: true\n  project: {target: 90}\ncomment:\n  when: never\n",
    )
    pr = app.fake.state.add_pull_request(repo, head_sha=SHA, files=[diff_entry("src/a.py", PATCH)])
    app.fake.state.set_comparison(repo, "main", SHA, merge_base_sha=BASE)
    app.complete(pr_run(app, repo, pr))
    done(app, 1)
    [check] = app.fake.state.checks_for(SHA, "coverhub")
    assert check.data["conclusion"] == "neutral"
    [project] = app.fake.state.statuses_for(SHA, "coverhub/project")
    assert project.state == "success"
    assert app.fake.state.comments_on(repo, pr.number) == []


def test_check_run_rerequested_republishes(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    pr = app.fake.state.add_pull_request(repo, head_sha=SHA, files=[diff_entry("src/a.py", PATCH)])
    app.fake.state.set_comparison(repo, "main", SHA, merge_base_sha=BASE)
    app.complete(pr_run(app, repo, pr))
    done(app, 1, comments=1)
    [check] = app.fake.state.checks_for(SHA, "coverhub")
    assert "no base report found" in check.data["output"]["summary"]
    push_base(app, repo)  # the base's coverage arrives late
    done(app, 2, BASE, comments=1)
    resp = app.deliver("check_run", app.fake.hooks.payloads.check_run(check, "rerequested"))
    assert resp.status_code == 202
    done(app, 3, comments=2)
    shown = app.fake.state.shown_check(SHA, "coverhub")  # a fresh check run: the newest shows
    assert shown is not None and shown.id != check.id
    assert shown.data["conclusion"] == "success"
    assert "merge base of main" in shown.data["output"]["summary"]
    assert [a["start_line"] for a in shown.annotations] == [6]
    assert len(app.fake.state.statuses_for(SHA, "coverhub/project")) == 2
    # the re-request names only the run; the PR is found again and its one comment updated
    assert app.fake.state.requests_to("GET", f"/commits/{SHA}/pulls")
    [comment] = app.fake.state.comments_on(repo, pr.number)
    assert comment.history and BASE[:7] in comment.body


def test_processing_error_leaves_no_status_pending(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    app.fake.state.add_artifact(run, "coverage", {"coverage.xml": b"<coverage line-rate='1'"})
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "dead"
    for context in ("coverhub/project", "coverhub/patch"):
        [status] = app.fake.state.statuses_for(SHA, context)
        assert status.state == "error" and len(status.description or "") <= 140
