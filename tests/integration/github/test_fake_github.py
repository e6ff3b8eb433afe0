"""The fake GitHub driven by the real githubkit client (App auth, base_url = the fake).

What the fake records is asserted, as are pagination across pages, the 302 to the blob host
without the token, 401s, 410s and GitHub's 422 limits at and past the boundary.
"""

from __future__ import annotations

import io
import time
import zipfile

import httpx
import jwt
import pytest
from githubkit.exception import RequestFailed

from tests.support.fake_github import FakeApp, FakeGitHub

SHA = "a" * 40


def status_of(call) -> int:  # type: ignore[no-untyped-def]
    with pytest.raises(RequestFailed) as info:
        call()
    return info.value.response.status_code


# --------------------------------------------------------------------------- App auth


def test_app_jwt_routes_and_installation_token(fake_github: FakeGitHub) -> None:
    repos = [fake_github.install(f"org{i}/repo") for i in range(3)]
    app_gh = fake_github.githubkit()
    assert app_gh.rest.apps.get_authenticated().parsed_data.slug == fake_github.app.slug
    installs = list(app_gh.rest.paginate(app_gh.rest.apps.list_installations, per_page=2))
    assert [i.id for i in installs] == [r.installation_id for r in repos]
    assert len(fake_github.state.requests_to("GET", "/app/installations")) == 2
    inst = app_gh.rest.apps.get_repo_installation("org1", "repo").parsed_data
    assert inst.id == repos[1].installation_id
    assert app_gh.rest.apps.get_installation(inst.id).parsed_data.app_id == fake_github.app.app_id

    token = app_gh.rest.apps.create_installation_access_token(inst.id).parsed_data
    assert token.token.startswith("ghs_")
    assert time.strptime(token.expires_at, "%Y-%m-%dT%H:%M:%SZ")
    assert fake_github.state.tokens[token.token].installation is repos[1].installation

    # the installation client: githubkit exchanges its JWT for a token on first use
    gh = fake_github.githubkit(repos[1].installation_id)
    fake_github.state.put_file(repos[1], "README.md", "hi")
    assert gh.rest.repos.get_content("org1", "repo", "README.md").status_code == 200
    # a repository of another installation is invisible to that token
    assert status_of(lambda: gh.rest.repos.get_content("org0", "repo", "README.md")) == 404


def test_401_on_missing_bad_or_foreign_credentials(fake_github: FakeGitHub) -> None:
    repo = fake_github.install("octo-org/app")
    fake_github.state.put_file(repo, "x", "y")
    url = fake_github.url
    with httpx.Client(base_url=url) as client:
        assert client.get("app").status_code == 401
        assert client.get("repos/octo-org/app/contents/x").status_code == 401
        bad = client.get("repos/octo-org/app/contents/x", headers={"Authorization": "token nope"})
        assert bad.status_code == 401 and bad.json()["message"] == "Bad credentials"
        assert client.get("app", headers={"Authorization": "Bearer not.a.jwt"}).status_code == 401
        now = int(time.time())
        stranger = FakeApp.generate(app_id=fake_github.app.app_id)
        forged = jwt.encode(
            {"iat": now - 60, "exp": now + 500, "iss": str(fake_github.app.app_id)},
            stranger.private_key_pem,
            algorithm="RS256",
        )
        assert client.get("app", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
        expired = jwt.encode(
            {"iat": now - 1200, "exp": now - 600, "iss": str(fake_github.app.app_id)},
            fake_github.app.private_key_pem,
            algorithm="RS256",
        )
        assert client.get("app", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
        too_long = jwt.encode(
            {"iat": now - 60, "exp": now + 3600, "iss": str(fake_github.app.app_id)},
            fake_github.app.private_key_pem,
            algorithm="RS256",
        )
        assert client.get("app", headers={"Authorization": f"Bearer {too_long}"}).status_code == 401

    gh = fake_github.githubkit(repo.installation_id)
    assert gh.rest.repos.get_content("octo-org", "app", "x").status_code == 200
    (token,) = fake_github.state.tokens
    fake_github.state.expire_tokens()
    with httpx.Client(base_url=url, headers={"Authorization": f"token {token}"}) as client:
        assert client.get("repos/octo-org/app/contents/x").status_code == 401
        # the App JWT is not accepted where an installation token is required
        now = int(time.time())
        app_jwt = jwt.encode(
            {"iat": now - 60, "exp": now + 500, "iss": str(fake_github.app.app_id)},
            fake_github.app.private_key_pem,
            algorithm="RS256",
        )
        assert client.get("app", headers={"Authorization": f"Bearer {app_jwt}"}).status_code == 200
        as_app = client.get(
            "repos/octo-org/app/contents/x", headers={"Authorization": f"Bearer {app_jwt}"}
        )
        assert as_app.status_code == 401


def test_narrowed_token_and_unsupported_api_version(fake_github: FakeGitHub) -> None:
    a = fake_github.install("octo-org/a")
    fake_github.install("octo-org/b")
    app_gh = fake_github.githubkit()
    token = app_gh.rest.apps.create_installation_access_token(
        a.installation_id, data={"repositories": ["a"]}
    ).parsed_data
    assert [r.full_name for r in token.repositories] == ["octo-org/a"]
    headers = {"Authorization": f"token {token.token}"}
    with httpx.Client(base_url=fake_github.url, headers=headers) as client:
        assert client.get("repos/octo-org/a/pulls").status_code == 200
        assert client.get("repos/octo-org/b/pulls").status_code == 404
        old = client.get("repos/octo-org/a/pulls", headers={"X-GitHub-Api-Version": "2001-01-01"})
        assert old.status_code == 400
        ok = client.get("repos/octo-org/a/pulls", headers={"X-GitHub-Api-Version": "2022-11-28"})
        assert ok.status_code == 200
        for name in ("limit", "remaining", "used", "reset", "resource"):
            assert f"x-ratelimit-{name}" in ok.headers
        assert int(ok.headers["x-ratelimit-used"]) == 3


# --------------------------------------------------------------------------- actions


def test_artifacts_paginated_newest_first_and_filtered(world) -> None:  # type: ignore[no-untyped-def]
    fake, _repo, _pr, _fpr, run, gh = world
    from datetime import timedelta

    arts = [
        fake.state.add_artifact(run, f"coverage-{i}", {"c.xml": "x"}, age=timedelta(minutes=10 - i))
        for i in range(5)
    ]
    listed = list(
        gh.rest.paginate(
            gh.rest.actions.list_workflow_run_artifacts,
            map_func=lambda r: r.parsed_data.artifacts,
            owner="octo-org",
            repo="app",
            run_id=run.id,
            per_page=2,
        )
    )
    assert [a.id for a in listed] == [a.id for a in reversed(arts)]
    assert len(fake.state.requests_to("GET", f"/runs/{run.id}/artifacts")) == 3
    page = gh.rest.actions.list_workflow_run_artifacts("octo-org", "app", run.id, per_page=2)
    assert 'rel="next"' in page.headers["link"] and 'rel="last"' in page.headers["link"]
    assert page.parsed_data.total_count == 5
    one = gh.rest.actions.list_workflow_run_artifacts("octo-org", "app", run.id, name="coverage-3")
    assert [a.id for a in one.parsed_data.artifacts] == [arts[3].id]
    got = gh.rest.actions.get_artifact("octo-org", "app", arts[0].id).parsed_data
    assert got.workflow_run.head_sha == SHA and got.size_in_bytes == len(arts[0].data)
    full = gh.rest.actions.get_workflow_run("octo-org", "app", run.id).parsed_data
    assert full.head_sha == SHA and [p.number for p in full.pull_requests] == [1]
    bare = gh.rest.actions.get_workflow_run("octo-org", "app", run.id, exclude_pull_requests=True)
    assert bare.parsed_data.pull_requests == []


def test_artifact_download_redirects_to_blob_host_without_the_token(world) -> None:  # type: ignore[no-untyped-def]
    fake, repo, _pr, _fpr, run, gh = world
    art = fake.state.add_artifact(run, "coverage", {"coverage.xml": "<coverage/>"})
    single = fake.state.add_artifact(run, "lcov.info", raw=b"SF:a.py\nend_of_record\n")

    # githubkit follows the 302 itself; httpx drops Authorization across origins
    data = gh.rest.actions.download_artifact("octo-org", "app", art.id, "zip").content
    assert zipfile.ZipFile(io.BytesIO(data)).read("coverage.xml") == b"<coverage/>"
    assert (
        gh.rest.actions.download_artifact("octo-org", "app", single.id, "zip").content
        == single.data
    )
    assert [r.status for r in fake.blob.requests] == [200, 200]
    for request in fake.blob.requests:
        assert "authorization" not in request.headers
    (token,) = fake.state.tokens
    assert all(token not in str(r.headers) + r.query for r in fake.blob.requests)

    # the 302 itself: Location on the blob host, another port than the API
    no_follow = fake.githubkit(repo.installation_id, follow_redirects=False)
    resp = no_follow.rest.actions.download_artifact("octo-org", "app", art.id, "zip")
    location = resp.headers["location"]
    assert resp.status_code == 302 and location.startswith(fake.blob.url + "/")
    assert httpx.URL(location).port != httpx.URL(fake.url).port
    with httpx.Client() as client:
        refused = client.get(location, headers={"Authorization": f"token {token}"})
        assert refused.status_code == 403 and b"InvalidAuthenticationInfo" in refused.content
        assert client.get(location).content == art.data
        assert client.get(location.replace("sig=", "sig=0")).status_code == 403
    fake.blob.ttl = -1
    stale = no_follow.rest.actions.download_artifact("octo-org", "app", art.id, "zip")
    with httpx.Client() as client:
        assert client.get(stale.headers["location"]).status_code == 403

    art.expired = True
    assert (
        status_of(lambda: gh.rest.actions.download_artifact("octo-org", "app", art.id, "zip"))
        == 410
    )
    listed = gh.rest.actions.list_workflow_run_artifacts("octo-org", "app", run.id).parsed_data
    assert {a.name: a.expired for a in listed.artifacts} == {"coverage": True, "lcov.info": False}


# --------------------------------------------------------------------------- checks and statuses


def _notes(n: int) -> list[dict[str, object]]:
    return [
        {
            "path": "a.py",
            "start_line": i,
            "end_line": i,
            "annotation_level": "warning",
            "message": "not covered",
        }
        for i in range(1, n + 1)
    ]


def test_check_runs_create_update_list_and_limits(world) -> None:  # type: ignore[no-untyped-def]
    fake, repo, _pr, _fpr, run, gh = world
    created = gh.rest.checks.create(
        "octo-org",
        "app",
        name="coverhub",
        head_sha=SHA,
        status="in_progress",
        external_id=str(run.id),
    ).parsed_data
    assert created.status == "in_progress" and created.app.slug == fake.app.slug
    summary = "s" * 65535
    done = gh.rest.checks.update(
        "octo-org", "app", created.id, conclusion="failure",
        output={"title": "72.0%", "summary": summary, "annotations": _notes(50)},
    ).parsed_data  # fmt: skip
    assert done.status == "completed" and done.conclusion == "failure" and done.completed_at
    gh.rest.checks.update(
        "octo-org",
        "app",
        created.id,
        output={"title": "72.0%", "summary": "s", "annotations": _notes(30)},
    )
    (check,) = fake.state.checks_for(SHA, "coverhub")
    assert len(check.annotations) == 80 and len(check.sent) == 3
    assert check.sent[0]["external_id"] == str(run.id)
    assert (
        gh.rest.checks.get("octo-org", "app", created.id).parsed_data.output.annotations_count == 80
    )

    gh.rest.checks.create("octo-org", "app", name="coverhub", head_sha=SHA, status="queued")
    gh.rest.checks.create("octo-org", "app", name="coverhub (unit)", head_sha=SHA)
    latest = gh.rest.checks.list_for_ref("octo-org", "app", SHA).parsed_data
    assert latest.total_count == 2
    every = gh.rest.checks.list_for_ref(
        "octo-org", "app", SHA, filter_="all", check_name="coverhub"
    )
    assert [c.id for c in every.parsed_data.check_runs][-1] == created.id
    assert every.parsed_data.total_count == 2

    # GitHub's limits, sent past githubkit's own body validation
    raw = fake.githubkit(repo.installation_id, rest_api_validate_body=False)
    base = {"name": "coverhub", "head_sha": SHA}
    too_many = {**base, "output": {"title": "t", "summary": "s", "annotations": _notes(51)}}
    assert status_of(lambda: raw.rest.checks.create("octo-org", "app", data=too_many)) == 422
    too_long = {**base, "output": {"title": "t", "summary": "s" * 65536}}
    assert status_of(lambda: raw.rest.checks.create("octo-org", "app", data=too_long)) == 422
    assert (
        status_of(
            lambda: raw.rest.checks.create("octo-org", "app", data={**base, "conclusion": "stale"})
        )
        == 422
    )
    assert (
        status_of(
            lambda: raw.rest.checks.create("octo-org", "app", data={**base, "status": "completed"})
        )
        == 422
    )
    assert status_of(lambda: raw.rest.checks.create("octo-org", "app", data={"name": "x"})) == 422
    assert len(fake.state.checks_for(SHA)) == 3


def test_statuses_description_limit_and_listing(world) -> None:  # type: ignore[no-untyped-def]
    fake, _repo, _pr, _fpr, _run, gh = world
    ok = gh.rest.repos.create_commit_status(
        "octo-org", "app", SHA, state="success", context="coverhub/project", description="d" * 140
    )
    assert ok.status_code == 201 and ok.parsed_data.creator.login == f"{fake.app.slug}[bot]"
    with pytest.raises(RequestFailed) as info:
        gh.rest.repos.create_commit_status(
            "octo-org",
            "app",
            SHA,
            state="success",
            context="coverhub/project",
            description="d" * 141,
        )
    assert info.value.response.status_code == 422
    assert "maximum is 140 characters" in info.value.response.json()["errors"][0]["message"]
    for i in range(4):
        gh.rest.repos.create_commit_status("octo-org", "app", SHA, state="pending", context=f"c{i}")
    gh.rest.repos.create_commit_status("octo-org", "app", SHA, state="error")
    assert [s.context for s in fake.state.statuses_for(SHA)][-1] == "default"
    assert len(fake.state.statuses_for(SHA, "COVERHUB/project")) == 1
    listed = list(
        gh.rest.paginate(
            gh.rest.repos.list_commit_statuses_for_ref,
            owner="octo-org",
            repo="app",
            ref=SHA,
            per_page=4,
        )
    )
    assert len(listed) == 6 and listed[0].context == "default"


def test_ghes_style_api_prefix(fake_github_app: FakeApp) -> None:
    with FakeGitHub(fake_github_app, api_prefix="/api/v3") as ghes:
        assert ghes.url.endswith("/api/v3/")
        repo = ghes.install("corp/service")
        run = ghes.state.add_workflow_run(repo, head_sha=SHA)
        for i in range(3):
            ghes.state.add_artifact(run, f"coverage-{i}", raw=b"x")
        with ghes.githubkit(repo.installation_id) as gh:
            names = [
                a.name
                for a in gh.rest.paginate(
                    gh.rest.actions.list_workflow_run_artifacts,
                    map_func=lambda r: r.parsed_data.artifacts,
                    owner="corp",
                    repo="service",
                    run_id=run.id,
                    per_page=2,
                )
            ]
            assert sorted(names) == ["coverage-0", "coverage-1", "coverage-2"]
            art = run.artifacts[0]
            assert (
                gh.rest.actions.download_artifact("corp", "service", art.id, "zip").content == b"x"
            )
        # recorded paths are API paths, the same with or without the prefix
        assert ghes.state.requests_to("GET", f"/repos/corp/service/actions/runs/{run.id}/artifacts")
        with httpx.Client() as client:
            assert client.get(ghes.url.replace("/api/v3/", "/app")).status_code == 404
