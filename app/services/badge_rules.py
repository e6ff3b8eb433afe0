"""What a badge says, decided from what the database knows (pure: no I/O, no clock of its own).

A badge never shows a confident number it cannot stand behind: an unknown repository, branch or
flag is grey "unknown"; a branch with no new result for ``stale_days`` days, or a deleted branch,
is grey "stale". The SVG title says which commit a number comes from and when it was measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import badges
from app.services.repo_settings import BadgeSettings

GREY = "lightgrey"
#: Branch badges (and every grey badge): caches must revalidate; GitHub's camo proxy honours
#: no-cache, and the ETag makes the revalidation a cheap 304.
BRANCH_CACHE = "max-age=60, no-cache"
#: A commit's badge never changes once it has a number.
COMMIT_CACHE = "max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class Measured:
    """The newest upload a badge can show."""

    sha: str
    branch: str | None
    covered: int
    total: int
    display: str
    unit: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class BadgeState:
    """Everything the database says about one badge request."""

    owner: str
    repo: str
    found: bool  # the repository exists and may be shown to this request
    ref: str  # the branch name, or the commit sha for a commit badge
    flag: str
    commit_badge: bool
    measured: Measured | None = None
    branch_deleted_at: datetime | None = None
    settings: BadgeSettings = field(default_factory=BadgeSettings)


@dataclass(frozen=True, slots=True)
class BadgeView:
    message: str
    color: str
    title: str
    cache_control: str
    #: wall-clock time after which this view is wrong (a number turning stale); None: never
    valid_until: datetime | None


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _percent(covered: int, total: int) -> Decimal:
    return Decimal(covered * 100) / Decimal(total)


def unknown_view(owner: str, repo: str, what: str) -> BadgeView:
    return BadgeView(
        "unknown", GREY, f"unknown: no coverage for {owner}/{repo} {what}", BRANCH_CACHE, None
    )


def decide(state: BadgeState, now: datetime) -> BadgeView:
    """The badge for ``state`` at time ``now`` (timezone-aware UTC)."""
    subject = f"commit {state.ref[:12]}" if state.commit_badge else f"branch {state.ref}"
    if state.flag != "default":
        subject += f" flag {state.flag}"
    m = state.measured
    if not state.found or m is None:
        return unknown_view(state.owner, state.repo, subject)
    where = f"{state.owner}/{state.repo} {subject}"
    measured = f"commit {m.sha[:7]} measured {_when(m.created_at)}"
    deleted = state.branch_deleted_at
    if not state.commit_badge and deleted is not None and deleted >= m.created_at:
        title = f"stale: {where} was deleted {_when(deleted)}; last result {measured}"
        return BadgeView("stale", GREY, title, BRANCH_CACHE, None)
    stale_after = timedelta(days=state.settings.stale_days)
    age = now - m.created_at
    if not state.commit_badge and age >= stale_after:
        title = (
            f"stale: {where} has no result for {age.days} days"
            f" (stale after {state.settings.stale_days}); last result {measured}"
        )
        return BadgeView("stale", GREY, title, BRANCH_CACHE, None)
    if m.total > 0:
        color = badges.color_for(_percent(m.covered, m.total), state.settings.thresholds)
    else:
        color = GREY
    title = f"coverage of {where}: {m.display} of {m.unit}, {measured}"
    if state.commit_badge:
        return BadgeView(m.display, color, title, COMMIT_CACHE, None)
    return BadgeView(m.display, color, title, BRANCH_CACHE, m.created_at + stale_after)
