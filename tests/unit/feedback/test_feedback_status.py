"""Commit status payloads: contexts, states, descriptions within 140 characters."""

from __future__ import annotations

import pytest
from feedback_kit import BASE_SHA, make, patch, totals_only
from hypothesis import given
from hypothesis import strategies as st

from app.feedback import status
from app.feedback.gates import evaluate
from app.repoconfig import Gate, Gates

REPORT = "https://cov.example/gh/o/r/1234567/default"


def test_project_status_reads_like_the_issue_example() -> None:
    inp = make(totals_only(823, 1000), totals_only(811, 1000), patch_cov=patch([("a.py", 10, [3])]))
    verdict = evaluate(inp, Gates(project=Gate(target=80), patch=Gate(target=95)))
    project, patched = status.statuses(inp, verdict)
    assert project.to_json() == {
        "context": "coverhub/project",
        "state": "success",
        "description": "82.3% (+1.2%) vs a1b2c3d · target 80%",
        "target_url": REPORT,
    }
    assert patched.context == "coverhub/patch"
    assert patched.state == "failure"
    assert patched.description == "90% of 10 changed lines covered · failed: target 95%"


@pytest.mark.parametrize(
    ("gates", "state", "description"),
    [
        (Gates(), "success", "70.0% (-10.0%) vs a1b2c3d"),
        (
            Gates(project=Gate(target=80, max_drop=5)),
            "failure",
            "70.0% (-10.0%) vs a1b2c3d · failed: target 80%, max drop 5%",
        ),
        (
            Gates(informational=True, project=Gate(target=80)),
            "success",
            "70.0% (-10.0%) vs a1b2c3d · failed: target 80% · informational",
        ),
        (Gates(project=Gate(max_drop=10)), "success", "70.0% (-10.0%) vs a1b2c3d · max drop 10%"),
    ],
)
def test_project_states(gates: Gates, state: str, description: str) -> None:
    inp = make(totals_only(70, 100), totals_only(80, 100))
    payload = status.project_status(inp, evaluate(inp, gates))
    assert (payload.state, payload.description) == (state, description)


def test_no_base_and_no_patch_lines() -> None:
    inp = make(totals_only(70, 100), patch_cov=patch(not_measured=["logo.png"]))
    verdict = evaluate(inp, Gates(project=Gate(max_drop=1), patch=Gate(target=90)))
    project, patched = status.statuses(inp, verdict)
    assert project.description == "70.0% · no base report · gate not evaluated"
    assert project.state == "success"
    assert patched.description == (
        "no measurable lines changed · 1 file not measured · gate not evaluated"
    )
    assert patched.state == "success"


def test_flag_is_named_in_the_context() -> None:
    assert status.context("project") == "coverhub/project"
    assert status.context("patch", "unit") == "coverhub/patch (unit)"
    inp = make(totals_only(1, 2), flag="it")
    assert status.patch_status(inp, evaluate(inp, Gates())).context == "coverhub/patch (it)"


def test_description_at_the_limit_is_kept() -> None:
    text = "x" * 140
    assert status.description(text) == text


def test_description_past_the_limit_is_cut_with_an_ellipsis() -> None:
    cut = status.description("y" * 141)
    assert len(cut) == 140
    assert cut == "y" * 139 + "…"
    assert len(status.description("z " * 500)) <= 140


@given(st.text(max_size=400))
def test_description_never_exceeds_140(text: str) -> None:
    assert len(status.description(text)) <= 140


def test_pending_and_errored_never_exceed_the_limit() -> None:
    pending = status.pending("unit", REPORT)
    assert [p.state for p in pending] == ["pending", "pending"]
    errored = status.errored("artifact expired " * 40, target_url=REPORT)
    assert all(e.state == "error" and len(e.description) == 140 for e in errored)
    assert errored[0].description.endswith("…")


def test_payload_refuses_a_long_description() -> None:
    with pytest.raises(ValueError, match="140"):
        status.StatusPayload("c", "success", "d" * 141, None)


def test_base_sha_is_short() -> None:
    inp = make(totals_only(1, 2), totals_only(1, 2))
    assert BASE_SHA[:7] in status.project_status(inp, evaluate(inp, Gates())).description
