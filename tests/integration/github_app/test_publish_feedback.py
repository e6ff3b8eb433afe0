"""Statuses and the sticky comment through the real wiring, on the fake GitHub: faults, several
pull requests on one commit, "on change" mode, size limits, and comments that are not ours."""

from __future__ import annotations

from typing import Any

from app.feedback.comment import MARKER
from tests.integration.github_app.conftest import App
from tests.integration.github_app.publish_kit import (
    BASE,
    BASE_LCOV,
    HEAD_LCOV,
    NEXT,
    PATCH,
    SHA,
    annotation_keys,
    bot_comments,
    comment_writes,
    config,
    done,
    lcov,
    pr_run,
    push_base,
)
from tests.support.fake_github.render_pulls import diff_entry

CONTEXTS = ("coverhub/project", "coverhub/patch")


def one_pr(app: App, repo: Any, sha: str = SHA, files: list[Any] | None = None) -> Any:
    pr = app.fake.state.add_pull_request(
        repo, head_sha=sha, files=files or [diff_entry("src/a.py", PATCH)]
    )
    app.fake.state.set_comparison(repo, "main", sha, merge_base_sha=BASE)
    return pr


def test_a_500_on_the_status_endpoint_is_retried_once_per_context(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    pr = one_pr(app, repo)
    app.fake.fail("POST", r"/statuses/", 500)
    run = pr_run(app, repo, pr)
    app.complete(run)
    done(app, 1, comments=1)
    posts = app.fake.state.requests_to("POST", f"/statuses/{SHA}")
    assert [r.status for r in posts] == [500, 201, 201]
    for context in CONTEXTS:  # the failed request created nothing; the retry created one
        [status] = app.fake.state.statuses_for(SHA, context)
        assert status.state == "success"
    assert app.client.app.state.services.github.waits == [1.0]  # type: ignore[attr-defined]

    # the next attempt of the run: one more per context, again through a 500
    app.fake.fail("POST", r"/statuses/", 500)
    run.run_attempt = 2
    app.fake.state.add_artifact(run, "coverage", {"lcov.info": HEAD_LCOV})
    app.complete(run)
    done(app, 2, comments=1)
    for context in CONTEXTS:
        assert len(app.fake.state.statuses_for(SHA, context)) == 2


def test_several_pull_requests_on_one_commit_get_one_comment_each(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    push_base(app, repo)
    done(app, 1, BASE)
    files = [diff_entry("src/a.py", PATCH)]
    to_main = app.fake.state.add_pull_request(repo, head_sha=SHA, files=files)
    to_release = app.fake.state.add_pull_request(
        repo, head_sha=SHA, base_ref="release", head_ref="feature", files=files
    )
    app.fake.state.set_comparison(repo, "main", SHA, merge_base_sha=BASE)
    app.fake.state.set_comparison(repo, "release", SHA, merge_base_sha="c" * 40)
    run = app.fake.state.add_workflow_run(
        repo, head_sha=SHA, pull_requests=[to_main, to_release], event="pull_request"
    )
    app.fake.state.add_artifact(run, "coverage", {"lcov.info": HEAD_LCOV})
    app.complete(run)
    done(app, 2, comments=2)

    # the commit's check and statuses once
    assert len(app.fake.state.checks_for(SHA, "coverhub")) == 1
    for context in CONTEXTS:
        assert len(app.fake.state.statuses_for(SHA, context)) == 1
    # each pull request its own comment, against its own base
    [main_comment] = bot_comments(app, repo, to_main.number)
    [release_comment] = bot_comments(app, repo, to_release.number)
    assert BASE[:7] in main_comment.body and "+16.7" in main_comment.body
    assert "no base report" in release_comment.body and BASE[:7] not in release_comment.body

    # published again (a re-run request): still one comment on each, nothing new
    check = app.fake.state.shown_check(SHA, "coverhub")
    assert check is not None
    app.deliver("check_run", app.fake.hooks.payloads.check_run(check, "rerequested"))
    done(app, 3, comments=2)
    assert [c.id for c in bot_comments(app, repo, to_main.number)] == [main_comment.id]
    assert [c.id for c in bot_comments(app, repo, to_release.number)] == [release_comment.id]
    assert len(app.fake.state.requests_to("POST", "/comments")) == 2


def test_on_change_mode_posts_then_stays_quiet_then_edits_the_one_comment(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    config(app, repo, "comment:\n  when: on_change\n")
    push_base(app, repo)
    done(app, 1, BASE)
    pr = one_pr(app, repo)
    app.complete(pr_run(app, repo, pr))
    done(app, 2, comments=1)
    [comment] = bot_comments(app, repo, pr.number)
    assert SHA[:7] in comment.body

    # a new push whose coverage says the same: check and statuses, no comment write
    pr.head_sha = NEXT
    app.fake.state.set_comparison(repo, "main", NEXT, merge_base_sha=BASE)
    app.complete(pr_run(app, repo, pr, sha=NEXT))
    done(app, 3, NEXT)
    assert app.fake.state.shown_check(NEXT, "coverhub") is not None
    assert len(comment_writes(app)) == 1
    assert comment.history == [] and SHA[:7] in comment.body

    # a push that changes the figures: the one comment is edited
    third = "3" * 40
    pr.head_sha = third
    app.fake.state.set_comparison(repo, "main", third, merge_base_sha=BASE)
    app.complete(pr_run(app, repo, pr, sha=third, data=BASE_LCOV.replace(b"4,0", b"4,1")))
    done(app, 4, third, comments=2)
    assert [c.id for c in bot_comments(app, repo, pr.number)] == [comment.id]
    assert len(comment.history) == 1 and third[:7] in comment.body
    assert len(app.fake.state.requests_to("POST", "/comments")) == 1


def many_files_pr(app: App, repo: Any, files: int, added: int) -> Any:
    """``files`` added files of ``added`` lines each, every other line uncovered; long paths
    so that the comment's full detail is far over GitHub's 65,536 characters."""
    patch = f"@@ -0,0 +1,{added} @@\n" + "".join(f"+x{n}\n" for n in range(1, added + 1))
    paths = [f"src/package_{n:03d}/a_rather_long_module_name_{n:03d}.py" for n in range(files)]
    pr = one_pr(app, repo, files=[diff_entry(p, patch, status="added") for p in paths])
    data = lcov({p: {n: n % 2 for n in range(1, added + 1)} for p in paths})
    app.complete(pr_run(app, repo, pr, data=data))
    done(app, 1, comments=1)
    return pr


def test_a_huge_comment_is_trimmed_under_githubs_limit(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    pr = many_files_pr(app, repo, files=300, added=40)  # 6,000 uncovered ranges
    [write] = app.fake.state.requests_to("POST", "/comments")
    assert write.status == 201  # GitHub refuses bodies over 65,536 characters with a 422
    [comment] = bot_comments(app, repo, pr.number)
    assert comment.body.startswith(MARKER) and len(comment.body) <= 65_536
    assert "Uncovered changed lines (6000 in 300 files)" in comment.body
    assert "more file" in comment.body  # the detail shrank to fit, and says so


def test_more_than_500_uncovered_ranges_are_capped_and_sent_50_at_a_time(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    many_files_pr(app, repo, files=30, added=40)  # 600 uncovered ranges
    [check] = app.fake.state.checks_for(SHA, "coverhub")
    assert len(check.annotations) == 500 == len(set(annotation_keys(check)))
    sent = [len((b.get("output") or {}).get("annotations") or []) for b in check.sent]
    assert sent == [50] * 10  # the create and nine updates, GitHub's 50 per request
    assert "100 annotations left out (at most 500 are shown)" in check.data["output"]["summary"]
    assert check.data["conclusion"] == "success"


def test_status_descriptions_at_140_characters_are_kept_and_longer_ones_cut(app: App) -> None:
    """GitHub answers 422 to a description over 140 characters. The error statuses carry the
    artifact's name: a name that makes the text exactly 140 is kept whole, one more is cut."""
    repo = app.fake.install("octo-org/app")
    broken = b"SF:a.py\nDA:x\nend_of_record\n"

    def fail_with(artifact: str, sha: str, jobs: int) -> list[str]:
        run = app.fake.state.add_workflow_run(repo, head_sha=sha, head_branch="main", event="push")
        app.fake.state.add_artifact(run, artifact, {"lcov.info": broken})
        app.complete(run)
        assert all(j.status == "dead" for j in app.wait_run_jobs(jobs))
        posted = [app.fake.state.statuses_for(sha, c) for c in CONTEXTS]
        assert all(len(p) == 1 and p[0].state == "error" for p in posted), posted
        return [p[0].description or "" for p in posted]

    short = fail_with("coverage", "a" * 40, 1)[0]
    assert len(short) < 140 and "artifact coverage:" in short
    name = "coverage" + "-" * (140 - len(short))
    exact = fail_with(name, "c" * 40, 2)
    assert exact == [short.replace("artifact coverage:", f"artifact {name}:")] * 2
    assert all(len(d) == 140 for d in exact)
    cut = fail_with(name + "x", "d" * 40, 3)
    whole = short.replace("artifact coverage:", f"artifact {name}x:")
    assert len(whole) == 141
    assert cut == [whole[:139].rstrip() + "…"] * 2


def test_the_apps_comment_is_found_past_the_first_page_and_others_are_left_alone(
    app: App,
) -> None:
    repo = app.fake.install("octo-org/app")
    pr = one_pr(app, repo)
    other_app = app.fake.state.user("other-app[bot]", "Bot")
    bait = app.fake.state.add_comment(repo, pr.number, MARKER + "\nmine", other_app.login)
    for n in range(120):  # the conversation goes on: our comment ends up on page 2
        app.fake.state.add_comment(repo, pr.number, f"comment {n}", "reviewer")
    ours = app.fake.state.add_comment(
        repo, pr.number, MARKER + "\nolder result", app.fake.state.bot.login
    )
    app.complete(pr_run(app, repo, pr))
    done(app, 1, comments=1)
    assert bait.body == MARKER + "\nmine" and bait.history == []
    assert [c.id for c in bot_comments(app, repo, pr.number)] == [ours.id]
    assert ours.history == [MARKER + "\nolder result"] and SHA[:7] in ours.body
    assert app.fake.state.requests_to("POST", "/comments") == []
    pages = app.fake.state.requests_to("GET", f"/issues/{pr.number}/comments")
    assert len(pages) == 2


def test_a_refused_status_ends_the_job_and_the_check_says_why(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    pr = one_pr(app, repo)
    app.fake.fail("POST", r"/statuses/", 403, body={"message": "Resource not accessible"})
    app.complete(pr_run(app, repo, pr))
    [job] = app.wait_run_jobs()
    assert job.status == "dead" and job.attempts == 1
    assert "Commit statuses: write" in job.last_error
    check = app.fake.state.shown_check(SHA, "coverhub")  # what GitHub shows on the commit
    assert check is not None and check.data["conclusion"] == "failure"
    assert "Commit statuses: write" in check.data["output"]["summary"]
    assert app.merged(SHA).native_covered is not None  # the numbers stay recorded


def test_publishing_that_fails_past_its_retries_is_done_by_the_next_attempt(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    pr = one_pr(app, repo)
    app.fake.fail("POST", r"/statuses/", 502, times=4)  # every try of the job's first attempt
    app.complete(pr_run(app, repo, pr))
    [job] = app.wait_run_jobs()
    assert job.status == "done" and job.attempts == 2
    for context in CONTEXTS:
        [status] = app.fake.state.statuses_for(SHA, context)
        assert status.state == "success"
    checks = app.fake.state.checks_for(SHA, "coverhub")
    assert [c.data["conclusion"] for c in checks] == ["success"]
    [comment] = app.fake.state.comments_on(repo, pr.number)
    assert "%" in comment.body
