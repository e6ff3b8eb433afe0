"""Shared scenario helpers of the publishing tests (test_publish*.py): reports, runs, and waiting
until GitHub (the fake) received what a run publishes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from tests.integration.github_app.conftest import App

T = TypeVar("T")

BASE = "b" * 40
SHA = "1" * 40
NEXT = "2" * 40


def lcov(files: dict[str, dict[int, int]]) -> bytes:
    out = []
    for path, lines in files.items():
        out.append(f"SF:{path}")
        out += [f"DA:{n},{hits}" for n, hits in sorted(lines.items())]
        out.append("end_of_record")
    return ("\n".join(out) + "\n").encode()


BASE_LCOV = lcov({"src/a.py": {1: 1, 2: 1, 3: 0, 4: 0}})  # 50%
# the PR adds lines 5-6 (5 covered, 6 not) and covers line 3: 4 of 6
HEAD_LCOV = lcov({"src/a.py": {1: 1, 2: 1, 3: 1, 4: 0, 5: 1, 6: 0}})
PATCH = "@@ -4,1 +4,3 @@\n x = 4\n+y = 5\n+z = 6\n"


def push_base(app: App, repo: Any, sha: str = BASE, data: bytes = BASE_LCOV) -> Any:
    run = app.fake.state.add_workflow_run(repo, head_sha=sha, head_branch="main", event="push")
    app.fake.state.add_artifact(run, "coverage", {"lcov.info": data})
    app.complete(run)
    return run


def pr_run(app: App, repo: Any, pr: Any, sha: str = SHA, data: bytes = HEAD_LCOV, **kw: Any) -> Any:
    run = app.fake.state.add_workflow_run(
        repo, head_sha=sha, pull_requests=[pr], event="pull_request", **kw
    )
    app.fake.state.add_artifact(run, "coverage", {"lcov.info": data})
    return run


def comment_writes(app: App) -> list[Any]:
    """Every comment create and edit GitHub received (answered or not)."""
    return app.fake.state.requests_to("POST", "/comments") + app.fake.state.requests_to(
        "PATCH", "/issues/comments/"
    )


def done(app: App, count: int, sha: str = SHA, comments: int = 0) -> None:
    """Until ``count`` run jobs ended (a run job completes once published) and GitHub got the
    statuses of every run on ``sha`` and at least ``comments`` comment writes."""
    ended = app.wait_run_jobs(count)
    assert all(j.status == "done" for j in ended), [j.last_error for j in ended]
    published = sum(1 for j in ended if j.payload["head_sha"] == sha)
    wait_for(
        lambda: (
            len(app.fake.state.statuses_for(sha, "coverhub/patch")) >= published
            and len(comment_writes(app)) >= comments
        ),
        "the run's coverage was not published",
    )


def wait_for(probe: Callable[[], T], what: str, seconds: float = 20) -> T:
    """Poll ``probe`` until it returns something truthy (state, not time, is what we wait on)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(what)


def bot_comments(app: App, repo: Any, number: int) -> list[Any]:
    return [c for c in app.fake.state.comments_on(repo, number) if c.via_app]


def config(app: App, repo: Any, text: str, ref: str = "main") -> None:
    app.fake.state.put_file(repo, ".github/coverhub.yml", text, ref=ref)


def annotation_keys(check: Any) -> list[tuple[str, int, int]]:
    return [(a["path"], a["start_line"], a["end_line"]) for a in check.annotations]
