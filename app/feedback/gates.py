"""Gates: does this commit and flag pass the repository's coverage policy? (pure)

Metric (decided once, used everywhere): the **project** gates compare the report's *native*
figure, the one its own tool prints as its headline (coverage.py: statements + branches, Go:
statements, JaCoCo: instructions), because that is the number developers reproduce locally.
The comparison is on the exact ratio (:class:`~fractions.Fraction`) against the threshold as the
user wrote it (``79.99`` is 7999/100, not a binary float), never on a rounded display: 80.0%
passes a target of 80, 79.99% fails it even where the tool would print "80%". The reason then
shows enough decimals to be on the right side ("79.99% is below the target 80%").

* project ``target``: head native % >= target;
* project ``max_drop``: head native % - base native % >= -max_drop (percentage points). Not
  evaluated, and said so, without a base report, or when head and base differ in format/unit
  (statements+branches cannot be subtracted from statements);
* patch ``target``: diff-cover's patch coverage (covered / measurable changed lines) >= target;
  no measurable line changed (or no diff: a push) leaves the patch gate neutral;
* ``max_drop`` on the patch gate has no meaning and is reported as not applied;
* per-flag gates replace the repository's ones for that flag (:meth:`Gates.for_flag`);
* ``informational``: failures are still listed as failures, but the verdict is neutral.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from app.feedback import display
from app.feedback.inputs import FeedbackInput
from app.repoconfig import Gate, Gates

PROJECT = "project"
PATCH = "patch"


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 (not a password)
    FAIL = "fail"
    SKIP = "skip"  # not evaluated; the reason says why


class State(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    NEUTRAL = "neutral"


@dataclass(frozen=True, slots=True)
class GateResult:
    """One evaluated threshold: ``gate`` is "project" or "patch", ``check`` "target"/"max_drop"."""

    gate: str
    check: str
    threshold: Fraction
    outcome: Outcome
    reason: str

    @property
    def label(self) -> str:
        what = "target" if self.check == "target" else "max drop"
        return f"{self.gate} {what} {display.number(self.threshold)}%"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of all gates of one commit and flag."""

    state: State
    results: tuple[GateResult, ...]
    informational: bool = False

    def gate_state(self, gate: str) -> State:
        """The state of one gate (a status context): failed, neutral when nothing was evaluated."""
        mine = [r for r in self.results if r.gate == gate]
        if any(r.outcome is Outcome.FAIL for r in mine):
            return State.NEUTRAL if self.informational else State.FAILURE
        if mine and all(r.outcome is Outcome.SKIP for r in mine):
            return State.NEUTRAL
        return State.SUCCESS

    def failures(self, gate: str | None = None) -> tuple[GateResult, ...]:
        return tuple(
            r
            for r in self.results
            if r.outcome is Outcome.FAIL and (gate is None or r.gate == gate)
        )

    def summary(self) -> str:
        """A short sentence: "all gates passed", "failed: patch target 90%", ..."""
        failed = self.failures()
        if failed:
            text = "failed: " + ", ".join(r.label for r in failed)
            return text + " (informational)" if self.informational else text
        if not self.results:
            return "no gates configured"
        if all(r.outcome is Outcome.SKIP for r in self.results):
            return "no gate evaluated"
        return "all gates passed"


def evaluate(inp: FeedbackInput, gates: Gates) -> Verdict:
    """Evaluate the gates that apply to ``inp.flag``."""
    project, patch = gates.for_flag(inp.flag)
    results = [*_project(inp, project), *_patch(inp, patch)]
    failed = any(r.outcome is Outcome.FAIL for r in results)
    state = State.SUCCESS
    if failed:
        state = State.NEUTRAL if gates.informational else State.FAILURE
    return Verdict(state, tuple(results), gates.informational)


def _project(inp: FeedbackInput, gate: Gate) -> list[GateResult]:
    results: list[GateResult] = []
    head = display.ratio_points(inp.head.native_totals())
    if gate.target is not None:
        target = display.as_fraction(gate.target)
        if head is None:
            results.append(GateResult(PROJECT, "target", target, Outcome.SKIP, "nothing measured"))
        else:
            results.append(_at_least(PROJECT, head, target, ""))
    if gate.max_drop is not None:
        results.append(_drop(inp, display.as_fraction(gate.max_drop)))
    return results


def _at_least(gate: str, value: Fraction, target: Fraction, detail: str) -> GateResult:
    shown = display.exact(value, target, places=max(1, display.decimals(target)))
    if value >= target:
        reason = f"{shown}%{detail} meets the target {display.number(target)}%"
        return GateResult(gate, "target", target, Outcome.PASS, reason)
    reason = f"{shown}%{detail} is below the target {display.number(target)}%"
    return GateResult(gate, "target", target, Outcome.FAIL, reason)


def _drop(inp: FeedbackInput, max_drop: Fraction) -> GateResult:
    def skip(reason: str) -> GateResult:
        return GateResult(PROJECT, "max_drop", max_drop, Outcome.SKIP, reason)

    comparison = inp.comparison
    if inp.base is None or comparison is None:
        return skip("no base report, so the drop was not checked")
    if not comparison.native_comparable:
        return skip(
            f"the base report is {inp.base.format} ({inp.base.unit}), the head "
            f"{inp.head.format} ({inp.head.unit}): the drop was not checked"
        )
    change = comparison.native_delta
    if change is None:
        return skip("nothing measured on one side, so the drop was not checked")
    allowed = display.number(max_drop)
    fell = display.exact(-change, max_drop, places=max(1, display.decimals(max_drop)))
    if change >= -max_drop:
        if change >= 0:
            reason = f"{display.delta(change)} vs the base (a drop of up to {allowed}% is allowed)"
        else:
            reason = f"dropped {fell}% vs the base (up to {allowed}% is allowed)"
        return GateResult(PROJECT, "max_drop", max_drop, Outcome.PASS, reason)
    reason = f"dropped {fell}% vs the base, more than the allowed {allowed}%"
    return GateResult(PROJECT, "max_drop", max_drop, Outcome.FAIL, reason)


def _patch(inp: FeedbackInput, gate: Gate) -> list[GateResult]:
    results: list[GateResult] = []
    if gate.target is not None:
        target = display.as_fraction(gate.target)
        patch = inp.patch
        if patch is None:
            results.append(GateResult(PATCH, "target", target, Outcome.SKIP, "no diff to measure"))
        elif patch.total == 0:
            results.append(
                GateResult(PATCH, "target", target, Outcome.SKIP, "no measurable lines changed")
            )
        else:
            value = Fraction(patch.covered, patch.total) * 100
            lines = "line" if patch.total == 1 else "lines"
            detail = f" of {patch.total} changed {lines}"
            results.append(_at_least(PATCH, value, target, detail))
    if gate.max_drop is not None:
        results.append(
            GateResult(
                PATCH,
                "max_drop",
                display.as_fraction(gate.max_drop),
                Outcome.SKIP,
                "max_drop does not apply to patch coverage",
            )
        )
    return results
