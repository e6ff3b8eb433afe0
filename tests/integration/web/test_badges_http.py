"""Badges over HTTP: what a README (through GitHub's image proxy) gets for every state of a
repository, branch and flag; caching headers and 304s; results and settings that change; private
repositories with badge tokens; and invalidation reaching a second replica through Redis."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import badges
from app import demo
from app.cli import main as cli_main
from app.ports.cache import RedisCache
from app.ports.queue import InProcessQueue
from app.services.badges import invalidate_badges
from app.services.repo_settings import (
    BadgeSettings,
    badge_settings_of,
    mark_branch_deleted,
    repository_id_of,
    set_badge_config,
)
from app.web.app import create_app
from tests.support.readside import (
    age_results,
    ingest,
    lcov,
    make_private,
    run,
    services_of,
    sha_of,
)

DEMO = f"/{demo.OWNER}/{demo.REPO}"
DATA = Path(demo.__file__).parent / "data"
STEP3 = (DATA / "step3.go-says").read_text().strip()  # what `go test -cover` printed
GREY = badges.NAMED_COLORS["lightgrey"]


def title_of(svg: str) -> str:
    found = re.search(r"<title>(.*?)</title>", svg)
    assert found is not None
    return found.group(1)


def aria(svg: str) -> str:
    found = re.search(r'aria-label="([^"]*)"', svg)
    assert found is not None
    return found.group(1)


def fill_of_message(svg: str) -> str:
    fills = re.findall(r'<rect x="\d+" width="\d+" height="20" fill="(#[0-9a-f]+)"/>', svg)
    assert fills, svg
    return fills[0]


def test_default_branch_badge_shows_the_tools_number_and_which_commit(client: TestClient) -> None:
    r = client.get(f"{DEMO}/badge.svg")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/svg+xml; charset=utf-8"
    assert aria(r.text) == f"coverage: {STEP3}"
    title = title_of(r.text)
    assert demo.demo_sha("step3")[:7] in title and "branch main" in title
    assert re.search(r"measured \d{4}-\d\d-\d\d \d\d:\d\d UTC", title)
    assert fill_of_message(r.text) == badges.NAMED_COLORS["brightgreen"]  # 93.1% >= 90
    # exactly what the badges package draws for that message: shields' look
    expected = badges.render("coverage", STEP3, "brightgreen", "flat", title=title)
    assert r.text == expected


def test_branch_badge_headers_suit_the_image_proxy(client: TestClient) -> None:
    r = client.get(f"{DEMO}/badge.svg")
    assert r.headers["cache-control"] == "public, max-age=60, no-cache"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["etag"].startswith('"')
    assert int(r.headers["content-length"]) == len(r.content)


@pytest.mark.parametrize("inm", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_if_none_match_gives_304(client: TestClient, inm: str) -> None:
    first = client.get(f"{DEMO}/badge.svg")
    etag = first.headers["etag"]
    again = client.get(f"{DEMO}/badge.svg", headers={"if-none-match": inm.format(etag=etag)})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == first.headers["cache-control"]


def test_stale_etag_gets_the_badge(client: TestClient) -> None:
    r = client.get(f"{DEMO}/badge.svg", headers={"if-none-match": '"nope"'})
    assert r.status_code == 200 and STEP3 in r.text


def test_commit_badge_is_immutable_and_shows_that_commit(client: TestClient) -> None:
    sha = demo.demo_sha("step1")
    r = client.get(f"{DEMO}/commit/{sha}/badge.svg")
    step1 = (DATA / "step1.go-says").read_text().strip()
    assert aria(r.text) == f"coverage: {step1}"
    assert sha[:7] in title_of(r.text)
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    "path",
    [
        "/nobody/nothing/badge.svg",
        f"{DEMO}/badge.svg?branch=no-such-branch",
        f"{DEMO}/badge.svg?flag=no-such-flag",
        f"{DEMO}/commit/{'0' * 40}/badge.svg",
        "/badge/nobody/nothing.svg",
    ],
)
def test_unknown_is_a_grey_badge_never_a_broken_image(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert aria(r.text) == "coverage: unknown"
    assert fill_of_message(r.text) == GREY
    assert title_of(r.text).startswith("unknown: no coverage for")
    assert "no-cache" in r.headers["cache-control"]  # never cached as immutable


def test_style_and_label_parameters(client: TestClient) -> None:
    r = client.get(f"{DEMO}/badge.svg?style=for-the-badge&label=go%20cover")
    title = title_of(r.text)
    assert r.text == badges.render("go cover", STEP3, "brightgreen", "for-the-badge", title=title)
    odd = client.get(f"{DEMO}/badge.svg?style=no-such-style")
    assert odd.status_code == 200 and odd.text == client.get(f"{DEMO}/badge.svg").text


def test_covered_compatible_aliases(client: TestClient) -> None:
    assert (
        client.get(f"/badge/{demo.OWNER}/{demo.REPO}.svg").content
        == client.get(f"{DEMO}/badge.svg").content
    )
    r = client.get(f"/badge/redirect/{demo.OWNER}/{demo.REPO}/", follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["location"] == f"{DEMO}/commit/{demo.demo_sha('step3')}/"


def test_a_new_result_shows_at_once(client: TestClient) -> None:
    services = services_of(client)
    run(client, ingest, services, "acme", "app", sha_of("one"), "main", lcov({1: 1, 2: 0}))
    assert aria(client.get("/acme/app/badge.svg").text) == "coverage: 50.0%"
    run(client, ingest, services, "acme", "app", sha_of("two"), "main", lcov({1: 1, 2: 1}))
    r = client.get("/acme/app/badge.svg")
    assert aria(r.text) == "coverage: 100.0%"
    assert sha_of("two")[:7] in title_of(r.text)


def test_no_result_for_n_days_is_stale_and_configurable(client: TestClient) -> None:
    services = services_of(client)
    run(client, ingest, services, "acme", "old", sha_of("old"), "main", lcov({1: 1, 2: 0}))
    assert aria(client.get("/acme/old/badge.svg").text) == "coverage: 50.0%"
    age_results(client, "acme", "old", 40)
    run(client, invalidate_badges, services, "acme", "old")
    r = client.get("/acme/old/badge.svg")
    assert aria(r.text) == "coverage: stale"
    assert fill_of_message(r.text) == GREY
    assert "no result for 40 days (stale after 30)" in title_of(r.text)
    assert sha_of("old")[:7] in title_of(r.text)
    # the commit's own badge keeps its number: it says what that commit measured
    assert aria(client.get(f"/acme/old/commit/{sha_of('old')}/badge.svg").text) == (
        "coverage: 50.0%"
    )
    with services.engine.begin() as conn:
        set_badge_config(conn, repository_id_of(conn, "acme", "old"), stale_days=60)
    run(client, invalidate_badges, services, "acme", "old")
    assert aria(client.get("/acme/old/badge.svg").text) == "coverage: 50.0%"
    with services.engine.begin() as conn:  # `coverhub badge-config acme/old --reset`
        set_badge_config(conn, repository_id_of(conn, "acme", "old"), reset=True)
    run(client, invalidate_badges, services, "acme", "old")
    assert aria(client.get("/acme/old/badge.svg").text) == "coverage: stale"


def test_deleted_branch_is_stale_until_a_new_result(client: TestClient) -> None:
    services = services_of(client)
    run(client, ingest, services, "acme", "br", sha_of("f1"), "feature", lcov({1: 1}))
    assert aria(client.get("/acme/br/badge.svg?branch=feature").text) == "coverage: 100.0%"
    with services.engine.begin() as conn:
        mark_branch_deleted(conn, repository_id_of(conn, "acme", "br"), "feature")
    run(client, invalidate_badges, services, "acme", "br")
    r = client.get("/acme/br/badge.svg?branch=feature")
    assert aria(r.text) == "coverage: stale"
    assert "was deleted" in title_of(r.text)
    # the branch is pushed again and a result lands: the ingestion hook refreshes the badge
    run(client, ingest, services, "acme", "br", sha_of("f2"), "feature", lcov({1: 1, 2: 0}))
    assert aria(client.get("/acme/br/badge.svg?branch=feature").text) == "coverage: 50.0%"


def test_thresholds_per_repository(client: TestClient) -> None:
    services = services_of(client)
    with services.engine.begin() as conn:
        rid = repository_id_of(conn, demo.OWNER, demo.REPO)
        set_badge_config(conn, rid, thresholds=((95.0, "brightgreen"), (0.0, "yellow")))
    run(client, invalidate_badges, services, demo.OWNER, demo.REPO)
    assert fill_of_message(client.get(f"{DEMO}/badge.svg").text) == badges.NAMED_COLORS["yellow"]


def test_flag_badges(client: TestClient) -> None:
    services = services_of(client)
    sha = sha_of("flags")
    run(client, ingest, services, "acme", "fl", sha, "main", lcov({1: 1, 2: 0}), "unit")
    assert aria(client.get("/acme/fl/badge.svg?flag=unit").text) == "coverage: 50.0%"
    assert "flag unit" in title_of(client.get("/acme/fl/badge.svg?flag=unit").text)
    assert aria(client.get("/acme/fl/badge.svg").text) == "coverage: unknown"


# ------------------------------------------------------------------ private repositories


@pytest.fixture
def redis_client(settings_factory: Any, redis_url: str) -> Iterator[TestClient]:
    """The app with its cache on Redis (under the default namespace the CLI also uses)."""

    async def seed(services: Any) -> None:
        await demo.seed(services)

    settings = settings_factory(redis_url=redis_url)
    app = create_app(settings, cache=RedisCache(redis_url), queue=InProcessQueue(), on_ready=seed)
    with TestClient(app) as c:
        yield c


def wait_until(check: Any, seconds: float) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not within {seconds} s")
        time.sleep(0.02)
    return time.monotonic() - started


def test_private_badge_needs_the_token_rotated_by_the_cli(
    redis_client: TestClient,
    settings_factory: Any,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    c = redis_client
    make_private(c, demo.OWNER, demo.REPO)
    run(c, invalidate_badges, services_of(c), demo.OWNER, demo.REPO)
    anonymous = c.get(f"{DEMO}/badge.svg")
    assert aria(anonymous.text) == "coverage: unknown"
    assert STEP3 not in anonymous.text  # not in the title either
    assert anonymous.headers["cache-control"].startswith("private,")

    data_dir = str(services_of(c).settings.data_dir)
    monkeypatch.setenv("COVERHUB_DATA_DIR", data_dir)
    monkeypatch.setenv("COVERHUB_REDIS_URL", redis_url)
    assert cli_main(["badge-token", "rotate", f"{demo.OWNER}/{demo.REPO}"]) == 0
    token = capsys.readouterr().out.strip()
    assert len(token) >= 32

    def shows_number(tok: str) -> bool:
        return aria(c.get(f"{DEMO}/badge.svg?token={tok}").text) == f"coverage: {STEP3}"

    wait_until(lambda: shows_number(token), 1.0)
    r = c.get(f"{DEMO}/badge.svg?token={token}")
    assert r.headers["cache-control"] == "private, max-age=60, no-cache"
    assert aria(c.get(f"{DEMO}/badge.svg?token=wrong{token}").text) == "coverage: unknown"
    assert aria(c.get(f"{DEMO}/badge.svg").text) == "coverage: unknown"
    sha = demo.demo_sha("step3")
    assert STEP3 in c.get(f"{DEMO}/commit/{sha}/badge.svg?token={token}").text

    # stored hashed, never as the token
    with services_of(c).engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT token_hash FROM badge_settings").scalar_one()
    assert stored != token and token not in stored and len(stored) == 64

    # rotation: the old token stops working on the running server within a second
    assert cli_main(["badge-token", "rotate", f"{demo.OWNER}/{demo.REPO}"]) == 0
    new = capsys.readouterr().out.strip()
    wait_until(lambda: not shows_number(token), 1.0)
    assert shows_number(new)


def test_cli_refuses_an_unknown_repository(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COVERHUB_DATA_DIR", str(services_of(client).settings.data_dir))
    assert cli_main(["badge-token", "rotate", "nobody/nothing"]) == 1
    assert "no repository nobody/nothing" in capsys.readouterr().err


def test_cli_badge_config_sets_and_resets(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    services = services_of(client)
    monkeypatch.setenv("COVERHUB_DATA_DIR", str(services.settings.data_dir))
    run(client, ingest, services, "acme", "cfg", sha_of("c1"), "main", lcov({1: 1, 2: 0}))
    repo = "acme/cfg"
    assert cli_main(["badge-config", repo]) == 1  # nothing to change: refused, saying so
    assert "nothing to change" in capsys.readouterr().err
    assert cli_main(["badge-config", repo, "--stale-days", "9", "--thresholds", "40:blue"]) == 0
    with services.engine.connect() as conn:
        settings = badge_settings_of(conn, repository_id_of(conn, "acme", "cfg"))
    assert settings.stale_days == 9 and settings.thresholds == ((40.0, "blue"),)
    assert cli_main(["badge-config", repo, "--reset"]) == 0
    with services.engine.connect() as conn:
        settings = badge_settings_of(conn, repository_id_of(conn, "acme", "cfg"))
    assert settings == BadgeSettings()  # the defaults again


# ------------------------------------------------------------------ two replicas


def test_invalidation_reaches_a_second_replica_within_a_second(
    settings_factory: Any, redis_url: str, redis_namespace: str
) -> None:
    settings = settings_factory()  # both replicas: the same database and storage

    async def seed(services: Any) -> None:
        await demo.seed(services)

    first = create_app(settings, cache=RedisCache(redis_url, redis_namespace), on_ready=seed)
    second = create_app(
        settings, cache=RedisCache(redis_url, redis_namespace), run_jobs_in_process=False
    )
    with TestClient(first) as a, TestClient(second) as b:
        before = b.get(f"{DEMO}/badge.svg")
        assert aria(before.text) == f"coverage: {STEP3}"
        assert b.get(f"{DEMO}/badge.svg").content == before.content  # warm on B
        sha = sha_of("replica")
        assert aria(b.get(f"{DEMO}/commit/{sha}/badge.svg").text) == "coverage: unknown"
        run(a, ingest, services_of(a), demo.OWNER, demo.REPO, sha, "main", lcov({1: 1, 2: 0}))
        elapsed = wait_until(
            lambda: aria(b.get(f"{DEMO}/badge.svg").text) == "coverage: 50.0%", 1.0
        )
        assert elapsed < 1.0
        assert sha[:7] in title_of(b.get(f"{DEMO}/badge.svg").text)
        # B's cached "unknown" commit badge was dropped too
        assert aria(b.get(f"{DEMO}/commit/{sha}/badge.svg").text) == "coverage: 50.0%"


def test_badges_are_served_while_redis_is_down(settings_factory: Any) -> None:
    from tests.support.servers import free_port

    async def seed(services: Any) -> None:
        await demo.seed(services)

    dead = RedisCache(f"redis://127.0.0.1:{free_port()}/0")
    app = create_app(settings_factory(), cache=dead, queue=InProcessQueue(), on_ready=seed)
    with TestClient(app) as c:
        for _ in range(2):
            r = c.get(f"{DEMO}/badge.svg")
            assert r.status_code == 200 and aria(r.text) == f"coverage: {STEP3}"


def test_badges_render_on_a_miss_once_never_per_request(client: TestClient) -> None:
    import asyncio

    from app.services.badges import BadgeRequest, badge_service_for

    service = badge_service_for(services_of(client))
    client.get(f"{DEMO}/badge.svg")
    before = service.renders
    for _ in range(20):
        assert client.get(f"{DEMO}/badge.svg").status_code == 200
    assert service.renders == before  # warm: served from memory

    async def burst() -> set[bytes]:
        req = BadgeRequest.build(demo.OWNER, demo.REPO, None, style="plastic")
        badges_ = await asyncio.gather(*(service.get(req) for _ in range(32)))
        return {b.svg for b in badges_}

    assert len(run(client, burst)) == 1
    assert service.renders == before + 1  # 32 concurrent misses, one render
