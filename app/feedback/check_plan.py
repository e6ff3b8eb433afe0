"""How a result reaches GitHub as a check run when one of that name may already be there (pure).

GitHub *appends* the annotations of every create and update call to a check run's list, and no
call removes one. So a check run can be given annotations once, and re-publishing a result
(a workflow re-run, a redelivered webhook, a ``check_run`` rerequest) must not PATCH a check
that already carries them: the check would list every uncovered line twice, and the lines of an
older result that are covered now would stay.

GitHub shows, per commit and check name, the newest check run (the PR's checks list, the
branch protection's required check, ``GET /commits/{sha}/check-runs`` with its default
``filter=latest``), so a re-publish creates a new check run, and the newest one shows the
current result with each annotation once. (A check suite keeps at most 1000 check runs of a name;
older ones are deleted by GitHub, which re-publishing a commit never approaches.)

* no check of that name yet: create one;
* the newest is still open (the pending check opened when the workflow was requested) and has
  no annotations: finish it (it gets its annotations for the first time);
* the newest is completed and already says exactly this (conclusion, title, summary, number of
  annotations): leave it (a redelivery posts nothing);
* otherwise, and always for an explicit re-run request (the user asked for a fresh check; GitHub
  reset the check suite to queued): create a new check run.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from app.feedback.check import CheckRun


class CheckPlan(StrEnum):
    CREATE = "create"  # a new check run: a clean annotation list
    FINISH = "finish"  # complete the open check run (it has no annotations yet)
    KEEP = "keep"  # the newest check run already says exactly this


def plan_check(current: dict[str, Any] | None, run: CheckRun, *, rerequested: bool) -> CheckPlan:
    """What to do with ``run`` given ``current``, the newest check run of its name on the
    commit as GitHub lists it (or None when there is none)."""
    if current is None:
        return CheckPlan.CREATE
    output = current.get("output") or {}
    annotated = int(output.get("annotations_count") or 0) > 0
    if current.get("status") != "completed":
        return CheckPlan.CREATE if annotated else CheckPlan.FINISH
    if rerequested:
        return CheckPlan.CREATE
    said = (
        current.get("conclusion"),
        output.get("title"),
        output.get("summary"),
        int(output.get("annotations_count") or 0),
    )
    if said == (run.conclusion, run.title, run.summary, len(run.annotations)):
        return CheckPlan.KEEP
    return CheckPlan.CREATE
