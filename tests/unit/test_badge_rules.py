"""What a badge says (pure decision table): number, grey unknown, grey stale (age or deleted
branch), colours from per-repository thresholds, cache policy and the title."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.errors import Invalid
from app.services.badge_rules import (
    BRANCH_CACHE,
    COMMIT_CACHE,
    BadgeState,
    Measured,
    decide,
)
from app.services.repo_settings import BadgeSettings, parse_thresholds

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def measured(
    days_ago: float, covered: int = 81, total: int = 100, display: str | None = None
) -> Measured:
    return Measured(
        "a1b2c3d4e5f6a7b8",
        "main",
        covered,
        total,
        display or f"{covered}.0%",
        "lines",
        NOW - timedelta(days=days_ago),
    )


def state(
    m: Measured | None,
    *,
    commit: bool = False,
    deleted: float | None = None,
    found: bool = True,
    settings: BadgeSettings | None = None,
) -> BadgeState:
    return BadgeState(
        "acme",
        "app",
        found,
        "a1b2c3d4e5f6a7b8" if commit else "main",
        "default",
        commit,
        m,
        None if deleted is None else NOW - timedelta(days=deleted),
        settings or BadgeSettings(),
    )


@pytest.mark.parametrize(
    "s, message, color",
    [
        (state(measured(1)), "81.0%", "green"),
        (state(measured(1, 95)), "95.0%", "brightgreen"),
        # the colour compares the exact value: 79.99 is below 80 even where it displays as 80.0%
        (state(measured(1, 7999, 10000, "80.0%")), "80.0%", "yellowgreen"),
        (state(None), "unknown", "lightgrey"),
        (state(measured(1), found=False), "unknown", "lightgrey"),
        (state(measured(30)), "stale", "lightgrey"),
        (state(measured(29.9)), "81.0%", "green"),
        (state(measured(40), settings=BadgeSettings(stale_days=60)), "81.0%", "green"),
        (state(measured(400), commit=True), "81.0%", "green"),  # a commit's number never ages
        (state(measured(3), deleted=1), "stale", "lightgrey"),  # deleted after the result
        (state(measured(1), deleted=3), "81.0%", "green"),  # a result after the deletion
        (state(measured(1, 0, 0)), "0.0%", "lightgrey"),  # nothing measurable
        (
            state(measured(1), settings=BadgeSettings(thresholds=((95.0, "blue"), (0.0, "red")))),
            "81.0%",
            "red",
        ),
    ],
)
def test_decision_table(s: BadgeState, message: str, color: str) -> None:
    view = decide(s, NOW)
    assert (view.message, view.color) == (message, color)


def test_titles_say_which_commit_and_when() -> None:
    view = decide(state(measured(2)), NOW)
    assert view.title == (
        "coverage of acme/app branch main: 81.0% of lines, commit a1b2c3d"
        " measured 2026-11-19 12:00 UTC"
    )
    stale = decide(state(measured(45)), NOW)
    assert stale.title.startswith(
        "stale: acme/app branch main has no result for 45 days (stale after 30)"
    )
    assert "commit a1b2c3d measured 2026-10-07 12:00 UTC" in stale.title
    assert "was deleted 2026-11-20" in decide(state(measured(3), deleted=1), NOW).title
    assert decide(state(None), NOW).title == "unknown: no coverage for acme/app branch main"


def test_cache_policy_and_validity() -> None:
    branch = decide(state(measured(1)), NOW)
    assert branch.cache_control == BRANCH_CACHE
    assert branch.valid_until == NOW - timedelta(days=1) + timedelta(days=30)  # then stale
    commit = decide(state(measured(1), commit=True), NOW)
    assert commit.cache_control == COMMIT_CACHE and commit.valid_until is None
    assert decide(state(None, commit=True), NOW).cache_control == BRANCH_CACHE


def test_thresholds_parse_and_validate() -> None:
    assert parse_thresholds("80:green, 95:brightgreen,0:red") == (
        (95.0, "brightgreen"),
        (80.0, "green"),
        (0.0, "red"),
    )
    for bad in ("80green", "x:green", "80:nocolour", "120:red", "80:red,80:green"):
        with pytest.raises(Invalid):
            parse_thresholds(bad)
