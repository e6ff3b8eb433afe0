"""Badge thresholds from ``.github/coverhub.yml``: a default-branch run stores the keys its
configuration sets, and the badge the web app serves is drawn with them; a pull request's run
(configuration from its base branch) never changes them."""

from __future__ import annotations

import re

import badges
from app.services.repo_settings import badge_settings_of, repository_id_of, set_badge_config
from tests.integration.github_app.conftest import App
from tests.integration.github_app.publish_kit import (
    BASE,
    BASE_LCOV,
    NEXT,
    PATCH,
    SHA,
    config,
    done,
    pr_run,
    push_base,
)
from tests.support.fake_github.render_pulls import diff_entry

BLUE, ORANGE = badges.NAMED_COLORS["blue"], badges.NAMED_COLORS["orange"]
YELLOW, YELLOWGREEN = badges.NAMED_COLORS["yellow"], badges.NAMED_COLORS["yellowgreen"]


def badge_fill(app: App) -> str:
    """The fill colour of the message half of the default branch's badge, as served."""
    resp = app.client.get("/octo-org/app/badge.svg")
    assert resp.status_code == 200
    assert 'aria-label="coverage: 50.0%"' in resp.text  # the base's 2 of 4 lines
    fills = re.findall(r'<rect x="\d+" width="\d+" height="20" fill="(#[0-9a-f]+)"/>', resp.text)
    assert fills, resp.text
    return str(fills[0])


def test_a_push_to_main_sets_the_badge_colours_and_a_pull_request_does_not(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    config(app, repo, "badge:\n  thresholds: {50: blue, 0: red}\n  stale_days: 7\n")
    config(app, repo, "badge:\n  thresholds: {0: yellow}\n  stale_days: 3\n", ref="release")
    push_base(app, repo)
    done(app, 1, BASE)
    assert badge_fill(app) == BLUE  # 50% reaches the 50 threshold; by default it is orange

    # a PR into release: its configuration (release's) sets other thresholds, not stored
    pr = app.fake.state.add_pull_request(
        repo, head_sha=SHA, base_ref="release", files=[diff_entry("src/a.py", PATCH)]
    )
    app.fake.state.set_comparison(repo, "release", SHA, merge_base_sha=BASE)
    app.complete(pr_run(app, repo, pr))
    done(app, 2, comments=1)
    assert badge_fill(app) == BLUE
    with app.engine.connect() as conn:
        stored = badge_settings_of(conn, repository_id_of(conn, "octo-org", "app"))
    assert stored.thresholds == ((50.0, "blue"), (0.0, "red")) and stored.stale_days == 7


def test_keys_the_config_leaves_out_or_drops_fall_back_to_the_cli_setting(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    push_base(app, repo)
    done(app, 1, BASE)
    with app.engine.begin() as conn:  # what `coverhub badge-config --thresholds 0:yellowgreen` does
        rid = repository_id_of(conn, "octo-org", "app")
        set_badge_config(conn, rid, thresholds=((0.0, "yellowgreen"),), stale_days=60)
    assert badge_fill(app) == YELLOWGREEN

    # the default branch's config sets stale_days only: the CLI's thresholds stay
    config(app, repo, "badge:\n  stale_days: 9\n")
    push_base(app, repo, NEXT, BASE_LCOV)
    done(app, 2, NEXT)
    assert badge_fill(app) == YELLOWGREEN
    with app.engine.connect() as conn:
        assert badge_settings_of(conn, rid).stale_days == 9

    # now it sets thresholds: the file wins over the CLI, and the served badge changes at once
    config(app, repo, "badge:\n  thresholds: {50: blue, 0: red}\n")
    third = "3" * 40
    push_base(app, repo, third, BASE_LCOV)
    done(app, 3, third)
    assert badge_fill(app) == BLUE
    assert badge_fill(app) not in (ORANGE, YELLOW)

    # the file drops both keys again: the CLI's values are back, not the file's last ones
    config(app, repo, "comment:\n  when: always\n")
    fourth = "4" * 40
    push_base(app, repo, fourth, BASE_LCOV)
    done(app, 4, fourth)
    assert badge_fill(app) == YELLOWGREEN
    with app.engine.connect() as conn:
        assert badge_settings_of(conn, rid).stale_days == 60
