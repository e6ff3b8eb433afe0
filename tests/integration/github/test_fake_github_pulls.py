"""The fake GitHub driven by the real githubkit client (App auth, base_url = the fake).

Comments, pull requests, compare, contents and injected faults.
"""

from __future__ import annotations

import base64
import io
import zipfile

import httpx
import pytest
from githubkit.exception import RequestFailed

from tests.support.fake_github import diff_entry

SHA = "a" * 40
OTHER_SHA = "b" * 40


def status_of(call) -> int:  # type: ignore[no-untyped-def]
    with pytest.raises(RequestFailed) as info:
        call()
    return info.value.response.status_code


# --------------------------------------------------------------------------- comments


def test_comments_paginate_author_and_limits(world) -> None:  # type: ignore[no-untyped-def]
    fake, repo, pr, _fpr, _run, gh = world
    bait = fake.state.add_comment(repo, pr.number, "<!-- coverhub -->\nby a person", user="mallory")
    for i in range(119):
        fake.state.add_comment(repo, pr.number, f"chatter {i}")
    mine = fake.state.add_comment(
        repo, pr.number, "<!-- coverhub -->\nold", user=fake.state.bot.login
    )
    comments = list(
        gh.rest.paginate(
            gh.rest.issues.list_comments,
            owner="octo-org",
            repo="app",
            issue_number=pr.number,
            per_page=100,
        )
    )
    assert len(comments) == 121 and [c.id for c in comments] == sorted(c.id for c in comments)
    assert len(fake.state.requests_to("GET", f"/issues/{pr.number}/comments")) == 2
    by_id = {c.id: c for c in comments}
    assert by_id[bait.id].user.type == "User" and by_id[bait.id].performed_via_github_app is None
    assert (
        by_id[mine.id].user.login == f"{fake.app.slug}[bot]" and by_id[mine.id].user.type == "Bot"
    )
    assert by_id[mine.id].performed_via_github_app.id == fake.app.app_id

    new = gh.rest.issues.create_comment("octo-org", "app", pr.number, body="b" * 65536)
    assert new.status_code == 201 and new.parsed_data.user.login == f"{fake.app.slug}[bot]"
    updated = gh.rest.issues.update_comment(
        "octo-org", "app", mine.id, body="<!-- coverhub -->\nnew"
    )
    assert updated.parsed_data.body.endswith("new") and mine.history == ["<!-- coverhub -->\nold"]
    assert (
        status_of(
            lambda: gh.rest.issues.create_comment("octo-org", "app", pr.number, body="b" * 65537)
        )
        == 422
    )
    assert (
        status_of(
            lambda: gh.rest.issues.update_comment("octo-org", "app", mine.id, body="b" * 65537)
        )
        == 422
    )
    assert (
        status_of(lambda: gh.rest.issues.update_comment("octo-org", "app", 999999, body="x")) == 404
    )
    assert status_of(lambda: gh.rest.issues.create_comment("octo-org", "app", 999, body="x")) == 404
    assert len(fake.state.comments_on(repo, pr.number)) == 122


# ------------------------------------------------------------------ pulls, compare, contents


def test_pulls_head_filter_files_cap_and_commit_pulls(world) -> None:  # type: ignore[no-untyped-def]
    fake, repo, pr, fork_pr, _run, gh = world
    found = gh.rest.pulls.list("octo-org", "app", head="outsider:feature", state="open").parsed_data
    assert [p.number for p in found] == [fork_pr.number] and found[0].head.repo.fork is True
    assert {p.number for p in gh.rest.pulls.list("octo-org", "app").parsed_data} == {1, 2}
    fork_pr.state = "closed"
    assert [p.number for p in gh.rest.pulls.list("octo-org", "app").parsed_data] == [pr.number]
    assert len(gh.rest.pulls.list("octo-org", "app", state="all").parsed_data) == 2
    fork_pr.head_repo = None  # the fork was deleted
    assert gh.rest.pulls.get("octo-org", "app", fork_pr.number).parsed_data.head.repo is None

    pr.files = [diff_entry(f"src/f{i}.py", "@@ -1,1 +1,2 @@\n a\n+b") for i in range(3100)]
    pr.files[1] = diff_entry("logo.png", None, status="added")
    files = list(
        gh.rest.paginate(
            gh.rest.pulls.list_files,
            owner="octo-org",
            repo="app",
            pull_number=pr.number,
            per_page=100,
        )
    )
    assert len(files) == 3000 and not files[1].patch and files[0].additions == 1
    got = gh.rest.pulls.get("octo-org", "app", pr.number).parsed_data
    assert got.head.sha == SHA and got.changed_files == 3100
    with httpx.Client(base_url=fake.url, headers=fake.token_headers(repo)) as client:
        too_big = client.get(
            f"repos/octo-org/app/pulls/{pr.number}",
            headers={"Accept": "application/vnd.github.diff"},
        )
        assert too_big.status_code == 406
        pr.files = pr.files[:2]
        diff = client.get(
            f"repos/octo-org/app/pulls/{pr.number}",
            headers={"Accept": "application/vnd.github.diff"},
        )
        assert diff.status_code == 200 and diff.text.startswith(
            "diff --git a/src/f0.py b/src/f0.py"
        )
    # commits/{sha}/pulls: the same-repo head is found; a fork head on the base repo is not
    assert [
        p.number
        for p in gh.rest.repos.list_pull_requests_associated_with_commit(
            "octo-org", "app", SHA
        ).parsed_data
    ] == [pr.number]
    assert (
        gh.rest.repos.list_pull_requests_associated_with_commit(
            "octo-org", "app", OTHER_SHA
        ).parsed_data
        == []
    )


def test_compare_and_contents(world) -> None:  # type: ignore[no-untyped-def]
    fake, repo, _pr, _fpr, _run, gh = world
    files = [diff_entry(f"f{i}.py", "@@ -0,0 +1 @@\n+x", status="added") for i in range(310)]
    commits = [f"{i:040x}" for i in range(1, 6)]
    fake.state.set_comparison(
        repo, "main", SHA, merge_base_sha="c" * 40, files=files, commits=commits
    )
    cmp = gh.rest.repos.compare_commits("octo-org", "app", f"main...{SHA}").parsed_data
    assert cmp.merge_base_commit.sha == "c" * 40 and len(cmp.files) == 300 and cmp.ahead_by == 5
    paged = list(
        gh.rest.paginate(
            gh.rest.repos.compare_commits,
            map_func=lambda r: r.parsed_data.commits,
            owner="octo-org", repo="app", basehead=f"main...{SHA}", per_page=2,
        )
    )  # fmt: skip
    assert [c.sha for c in paged] == commits
    assert status_of(lambda: gh.rest.repos.compare_commits("octo-org", "app", "x...y")) == 404

    config = "coverage:\n  target: 80\n"
    fake.state.put_file(repo, ".github/coverhub.yml", config)  # on the default branch
    fake.state.put_file(repo, ".github/coverhub.yml", "coverage:\n  target: 0\n", ref=SHA)
    got = gh.rest.repos.get_content(
        "octo-org", "app", ".github/coverhub.yml", ref="main"
    ).parsed_data
    assert got.type == "file" and base64.b64decode(got.content).decode() == config
    head = gh.rest.repos.get_content("octo-org", "app", ".github/coverhub.yml", ref=SHA).parsed_data
    assert b"target: 0" in base64.b64decode(head.content)
    raw = gh.rest.repos.get_content(
        "octo-org",
        "app",
        ".github/coverhub.yml",
        headers={"Accept": "application/vnd.github.raw+json"},
    )
    assert raw.text == config
    assert status_of(lambda: gh.rest.repos.get_content("octo-org", "app", ".coverhub.yml")) == 404


# --------------------------------------------------------------------------- faults


def test_injected_faults_then_success(world) -> None:  # type: ignore[no-untyped-def]
    fake, repo, _pr, _fpr, _run, _gh = world
    gh = fake.githubkit(repo.installation_id, auto_retry=False)
    fake.fail("POST", r"/statuses/", 500)
    fake.fail("POST", r"/check-runs$", 429, headers={"Retry-After": "7"})
    assert (
        status_of(
            lambda: gh.rest.repos.create_commit_status("octo-org", "app", SHA, state="pending")
        )
        == 500
    )
    assert (
        gh.rest.repos.create_commit_status("octo-org", "app", SHA, state="pending").status_code
        == 201
    )
    with pytest.raises(RequestFailed) as info:
        gh.rest.checks.create("octo-org", "app", name="coverhub", head_sha=SHA)
    assert (
        info.value.response.status_code == 429 and info.value.response.headers["retry-after"] == "7"
    )
    assert (
        gh.rest.checks.create("octo-org", "app", name="coverhub", head_sha=SHA).status_code == 201
    )
    assert len(fake.state.statuses_for(SHA)) == 1 and len(fake.state.checks_for(SHA)) == 1
    assert [r.status for r in fake.state.requests_to("POST", "/statuses/")] == [500, 201]


# --------------------------------------------------------------------------- async, as the App


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_streamed_download_and_async_delivery(world) -> None:  # type: ignore[no-untyped-def]
    fake, repo, _pr, _fpr, run, _gh = world
    payload = bytes(range(256)) * 4096  # 1 MiB, streamed in chunks
    art = fake.state.add_artifact(run, "coverage", {"big.bin": payload})
    async with fake.githubkit(repo.installation_id) as gh:
        resp = await gh.rest.actions.async_download_artifact(
            "octo-org", "app", art.id, "zip", stream=True
        )
        chunks = [chunk async for chunk in resp.aiter_bytes()]
    assert b"".join(chunks) == art.data
    assert [("authorization" in r.headers, r.status) for r in fake.blob.requests] == [(False, 200)]

    # webhook delivery from async code; no server listening → recorded as a failed delivery
    delivery = await fake.hooks.adeliver(
        "workflow_run",
        fake.hooks.payloads.workflow_run(run, "completed"),
        url="http://127.0.0.1:9/webhooks/github",
    )
    assert delivery.status_code == 0 and fake.state.deliveries == [delivery]


def test_hand_made_zip_is_served_as_a_zip(world) -> None:  # type: ignore[no-untyped-def]
    fake, _repo, _pr, _fpr, run, gh = world
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../etc/evil.xml", "<coverage/>")  # path traversal, as an attacker would
    art = fake.state.add_artifact(run, "coverage", raw=buf.getvalue())
    assert art.zipped
    resp = gh.rest.actions.download_artifact("octo-org", "app", art.id, "zip")
    assert resp.content == buf.getvalue() and resp.headers["content-type"] == "application/zip"
    assert fake.blob.requests[0].path.endswith("/coverage.zip")
