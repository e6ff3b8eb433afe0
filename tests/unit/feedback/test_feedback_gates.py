"""Gate decisions, table-driven, on exact fractions (boundaries included)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from feedback_kit import make, patch, totals_only

from app.feedback.gates import Outcome, State, evaluate
from app.feedback.inputs import BaseChoice, BaseRule
from app.repoconfig import Gate, Gates

P = Outcome.PASS
F = Outcome.FAIL
S = Outcome.SKIP

# (id, head covered/total, base covered/total or None, patch (covered, total) or None,
#  gates, expected state, expected [(gate, check, outcome)], a phrase of the first reason)
CASES = [
    (
        "target-exact-80",
        (8000, 10000),
        None,
        None,
        Gates(project=Gate(target=80)),
        State.SUCCESS,
        [("project", "target", P)],
        "80.0% meets the target 80%",
    ),
    (
        "target-79.99-fails",
        (7999, 10000),
        None,
        None,
        Gates(project=Gate(target=80)),
        State.FAILURE,
        [("project", "target", F)],
        "79.99% is below the target 80%",
    ),
    (
        "target-79.999-fails",
        (79999, 100000),
        None,
        None,
        Gates(project=Gate(target=80)),
        State.FAILURE,
        [("project", "target", F)],
        "79.999% is below",
    ),
    (
        "target-79.99-written",
        (7999, 10000),
        None,
        None,
        Gates(project=Gate(target=79.99)),
        State.SUCCESS,
        [("project", "target", P)],
        "79.99% meets the target 79.99%",
    ),
    (
        "target-third-passes-33.33",
        (1, 3),
        None,
        None,
        Gates(project=Gate(target=33.33)),
        State.SUCCESS,
        [("project", "target", P)],
        "33.333% meets the target 33.33%",
    ),
    (
        "target-third-fails-33.34",
        (1, 3),
        None,
        None,
        Gates(project=Gate(target=33.34)),
        State.FAILURE,
        [("project", "target", F)],
        "33.33% is below the target 33.34%",
    ),
    (
        "target-100-needs-all",
        (99999, 100000),
        None,
        None,
        Gates(project=Gate(target=100)),
        State.FAILURE,
        [("project", "target", F)],
        "99.999% is below the target 100%",
    ),
    (
        "target-nothing-measured",
        (0, 0),
        None,
        None,
        Gates(project=Gate(target=80)),
        State.SUCCESS,
        [("project", "target", S)],
        "nothing measured",
    ),
    (
        "drop-exactly-1-passes",
        (79, 100),
        (80, 100),
        None,
        Gates(project=Gate(max_drop=1)),
        State.SUCCESS,
        [("project", "max_drop", P)],
        "dropped 1.0% vs the base",
    ),
    (
        "drop-1.01-fails",
        (7899, 10000),
        (80, 100),
        None,
        Gates(project=Gate(max_drop=1)),
        State.FAILURE,
        [("project", "max_drop", F)],
        "dropped 1.01% vs the base, more than",
    ),
    (
        "drop-rise-passes",
        (81, 100),
        (80, 100),
        None,
        Gates(project=Gate(max_drop=0)),
        State.SUCCESS,
        [("project", "max_drop", P)],
        "+1.0% vs the base",
    ),
    (
        "drop-zero-allowed-tiny-fall",
        (799999, 1000000),
        (80, 100),
        None,
        Gates(project=Gate(max_drop=0)),
        State.FAILURE,
        [("project", "max_drop", F)],
        "dropped 0.0001% vs the base",
    ),
    (
        "drop-no-base",
        (50, 100),
        None,
        None,
        Gates(project=Gate(target=40, max_drop=1)),
        State.SUCCESS,
        [("project", "target", P), ("project", "max_drop", S)],
        "50.0% meets the target 40%",
    ),
    (
        "patch-exact-90",
        (1, 1),
        None,
        (9, 10),
        Gates(patch=Gate(target=90)),
        State.SUCCESS,
        [("patch", "target", P)],
        "90.0% of 10 changed lines meets the target 90%",
    ),
    (
        "patch-89.99-fails",
        (1, 1),
        None,
        (8999, 10000),
        Gates(patch=Gate(target=90)),
        State.FAILURE,
        [("patch", "target", F)],
        "89.99% of 10000 changed lines is below",
    ),
    (
        "patch-no-lines",
        (1, 1),
        None,
        (0, 0),
        Gates(patch=Gate(target=90)),
        State.SUCCESS,
        [("patch", "target", S)],
        "no measurable lines changed",
    ),
    (
        "patch-push-no-diff",
        (1, 1),
        None,
        None,
        Gates(patch=Gate(target=90)),
        State.SUCCESS,
        [("patch", "target", S)],
        "no diff to measure",
    ),
    (
        "patch-max-drop-ignored",
        (1, 1),
        None,
        (1, 1),
        Gates(patch=Gate(max_drop=1)),
        State.SUCCESS,
        [("patch", "max_drop", S)],
        "does not apply",
    ),
    (
        "informational",
        (10, 100),
        (80, 100),
        (0, 5),
        Gates(informational=True, project=Gate(target=80, max_drop=1), patch=Gate(target=50)),
        State.NEUTRAL,
        [("project", "target", F), ("project", "max_drop", F), ("patch", "target", F)],
        "10.0% is below the target 80%",
    ),
    ("no-gates", (10, 100), (80, 100), (0, 5), Gates(), State.SUCCESS, [], None),
]


def _patch(pair: tuple[int, int] | None):  # type: ignore[no-untyped-def]
    if pair is None:
        return None
    covered, total = pair
    if total == 0:
        return patch()
    return patch([("a.py", total, range(covered + 1, total + 1))])


@pytest.mark.parametrize(
    ("head", "base", "patch_pair", "gates", "state", "expected", "phrase"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_gate_table(head, base, patch_pair, gates, state, expected, phrase) -> None:  # type: ignore[no-untyped-def]
    inp = make(
        totals_only(*head),
        totals_only(*base) if base else None,
        patch_cov=_patch(patch_pair),
    )
    verdict = evaluate(inp, gates)
    assert verdict.state is state
    assert [(r.gate, r.check, r.outcome) for r in verdict.results] == expected
    if phrase is not None:
        assert phrase in verdict.results[0].reason


def test_informational_still_names_failures() -> None:
    inp = make(totals_only(10, 100))
    verdict = evaluate(inp, Gates(informational=True, project=Gate(target=80)))
    assert verdict.state is State.NEUTRAL
    assert verdict.gate_state("project") is State.NEUTRAL
    assert verdict.summary() == "failed: project target 80% (informational)"


def test_per_flag_gates_replace_the_repository_ones() -> None:
    gates = Gates(project=Gate(target=80), flags={"it": (Gate(target=50), Gate())})
    assert evaluate(make(totals_only(60, 100), flag="it"), gates).state is State.SUCCESS
    assert evaluate(make(totals_only(60, 100), flag="unit"), gates).state is State.FAILURE
    assert evaluate(make(totals_only(60, 100)), gates).state is State.FAILURE


def test_drop_not_compared_across_formats() -> None:
    inp = make(totals_only(1, 100, fmt="gocover"), totals_only(99, 100))
    verdict = evaluate(inp, Gates(project=Gate(max_drop=1)))
    (result,) = verdict.results
    assert result.outcome is Outcome.SKIP
    assert "coveragepy (statements), the head gocover (statements)" in result.reason


def test_nearest_ancestor_base_is_used_for_the_drop() -> None:
    choice = BaseChoice(BaseRule.NEAREST_ANCESTOR, "abc1234" + "0" * 33, behind=3)
    inp = make(totals_only(70, 100), totals_only(80, 100), choice=choice)
    verdict = evaluate(inp, Gates(project=Gate(max_drop=5)))
    assert verdict.state is State.FAILURE
    assert verdict.results[0].reason == "dropped 10.0% vs the base, more than the allowed 5%"
    assert choice.why() == (
        "nearest ancestor with a report: abc1234 (3 commits behind the merge base, which had none)"
    )


def test_gate_state_per_context() -> None:
    inp = make(totals_only(90, 100), patch_cov=patch())
    verdict = evaluate(inp, Gates(project=Gate(target=80), patch=Gate(target=80)))
    assert verdict.gate_state("project") is State.SUCCESS
    assert verdict.gate_state("patch") is State.NEUTRAL
    assert verdict.results[0].threshold == Fraction(80)
