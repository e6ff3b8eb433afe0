"""Re-publishing a check run: finish the open one, keep one that says it already, else a new one
(GitHub appends annotations on every update, so a completed check is never updated again)."""

from __future__ import annotations

from typing import Any

import pytest

from app.feedback.check import Annotation, CheckRun
from app.feedback.check_plan import CheckPlan, plan_check

RUN = CheckRun(
    name="coverhub",
    head_sha="1" * 40,
    conclusion="success",
    title="66.7% (+16.7%) · patch 50% · all gates passed",
    summary="## Coverage\n",
    details_url=None,
    external_id=None,
    annotations=(Annotation("a.py", 6, 6, "Added line 6 is not covered by tests.", "Uncovered"),),
)


def listed(status: str = "completed", annotations: int = 1, **changes: Any) -> dict[str, Any]:
    """A check run as ``GET /commits/{sha}/check-runs`` lists it."""
    check: dict[str, Any] = {
        "id": 7,
        "status": status,
        "conclusion": RUN.conclusion if status == "completed" else None,
        "output": {"title": RUN.title, "summary": RUN.summary, "annotations_count": annotations},
    }
    output = changes.pop("output", {})
    check.update(changes)
    check["output"].update(output)
    return check


@pytest.mark.parametrize(
    ("current", "rerequested", "plan"),
    [
        (None, False, CheckPlan.CREATE),
        (None, True, CheckPlan.CREATE),
        # the pending check opened at "requested": finished, its annotations sent once
        (listed("in_progress", 0), False, CheckPlan.FINISH),
        (listed("queued", 0), True, CheckPlan.FINISH),
        # an open check that somehow has annotations would get them twice: a new one instead
        (listed("in_progress", 3), False, CheckPlan.CREATE),
        # a redelivery of the same result: nothing is sent
        (listed(), False, CheckPlan.KEEP),
        # a user's re-run request always gets a fresh check (GitHub reset the suite to queued)
        (listed(), True, CheckPlan.CREATE),
        # anything different: a new check run, never an update that appends annotations
        (listed(conclusion="failure"), False, CheckPlan.CREATE),
        (listed(output={"summary": "older"}), False, CheckPlan.CREATE),
        (listed(output={"title": "older"}), False, CheckPlan.CREATE),
        (listed(annotations=2), False, CheckPlan.CREATE),
        (listed(annotations=0), False, CheckPlan.CREATE),
    ],
)
def test_plan(current: dict[str, Any] | None, rerequested: bool, plan: CheckPlan) -> None:
    assert plan_check(current, RUN, rerequested=rerequested) is plan


def test_a_completed_check_is_never_updated() -> None:
    """Whatever the completed check says, the plan never PATCHes it (FINISH is for open ones)."""
    for conclusion in ("success", "failure", "neutral", "timed_out"):
        for count in (0, 1, 50, 500):
            for rerequested in (False, True):
                current = listed(conclusion=conclusion, annotations=count)
                plan = plan_check(current, RUN, rerequested=rerequested)
                assert plan is not CheckPlan.FINISH
