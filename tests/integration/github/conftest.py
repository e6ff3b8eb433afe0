"""Fixtures of the fake GitHub's own tests (the fake's fixtures come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest

from tests.support.fake_github import FakeGitHub
from tests.support.fake_github.models import PullRequest, Repo, WorkflowRun

SHA = "a" * 40
OTHER_SHA = "b" * 40


class World(NamedTuple):
    fake: FakeGitHub
    repo: Repo
    pr: PullRequest
    fork_pr: PullRequest
    run: WorkflowRun
    gh: Any  # githubkit.GitHub as the installation


@pytest.fixture
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    """One installed repository with a same-repo PR, a fork PR and a run with artifacts."""
    fake: FakeGitHub = request.getfixturevalue("fake_github")
    repo = fake.install("octo-org/app")
    fork = fake.fork(repo, "outsider")
    pr = fake.state.add_pull_request(repo, head_sha=SHA, head_ref="feature")
    fork_pr = fake.state.add_pull_request(
        repo, head_sha=OTHER_SHA, head_ref="feature", head_repo=fork
    )
    run = fake.state.add_workflow_run(repo, head_sha=SHA, pull_requests=[pr])
    # inside `with`, githubkit keeps one httpx client (a new one per call costs ~40 ms)
    with fake.githubkit(repo.installation_id) as gh:
        yield World(fake, repo, pr, fork_pr, run, gh)
