"""Commit status payloads for ``coverhub/project`` and ``coverhub/patch`` (pure).

A status cannot be neutral (GitHub knows error, failure, pending, success): a neutral gate (not
evaluated, or failed in informational mode) is posted as ``success`` and its description says
so. Descriptions are at most 140 characters (GitHub answers 422 beyond, and the OpenAPI schema
does not say so); longer texts are cut and end in "…". A flag other than "default" is named in
the context: ``coverhub/project (unit)``, as the check run is ``coverhub (unit)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.feedback import display
from app.feedback.gates import PATCH, PROJECT, GateResult, Outcome, State, Verdict
from app.feedback.inputs import DEFAULT_FLAG, FeedbackInput

MAX_DESCRIPTION = 140
SEP = " · "


@dataclass(frozen=True, slots=True)
class StatusPayload:
    """The body of ``POST /repos/{o}/{r}/statuses/{sha}``."""

    context: str
    state: str  # success | failure | pending | error
    description: str
    target_url: str | None

    def __post_init__(self) -> None:
        if self.state not in ("success", "failure", "pending", "error"):
            raise ValueError(f"unknown status state {self.state!r}")
        if len(self.description) > MAX_DESCRIPTION:
            raise ValueError("status description over 140 characters")

    def to_json(self) -> dict[str, str]:
        body = {"context": self.context, "state": self.state, "description": self.description}
        if self.target_url is not None:
            body["target_url"] = self.target_url
        return body


def context(gate: str, flag: str = DEFAULT_FLAG) -> str:
    """``coverhub/project``, ``coverhub/patch (unit)``, ..."""
    name = f"coverhub/{gate}"
    return name if flag == DEFAULT_FLAG else f"{name} ({flag})"


def description(text: str) -> str:
    """``text`` within GitHub's 140 characters (cut with an ellipsis when longer)."""
    return display.truncate(" ".join(text.split()), MAX_DESCRIPTION)


def statuses(inp: FeedbackInput, verdict: Verdict) -> tuple[StatusPayload, StatusPayload]:
    """Both statuses of one commit and flag, project first."""
    return project_status(inp, verdict), patch_status(inp, verdict)


def project_status(inp: FeedbackInput, verdict: Verdict) -> StatusPayload:
    text = display.headline(inp.head)
    comparison = inp.comparison
    if inp.base_choice.sha is None or comparison is None:
        text += SEP + "no base report"
    elif comparison.native_comparable:
        change = display.delta(comparison.native_delta)
        text += f" ({change}) vs {display.short_sha(inp.base_choice.sha)}"
    else:
        text += f" vs {display.short_sha(inp.base_choice.sha)} (other format)"
    text += _gate_text(verdict, PROJECT)
    return _payload(inp, PROJECT, verdict, text)


def patch_status(inp: FeedbackInput, verdict: Verdict) -> StatusPayload:
    patch = inp.patch
    if patch is None:
        text = "no diff to measure"
    elif patch.total == 0:
        text = "no measurable lines changed"
    else:
        lines = "line" if patch.total == 1 else "lines"
        text = f"{display.patch_percent(patch)} of {patch.total} changed {lines} covered"
    missing = len(inp.not_measured)
    if missing:
        text += SEP + f"{missing} file{'s' if missing != 1 else ''} not measured"
    text += _gate_text(verdict, PATCH)
    return _payload(inp, PATCH, verdict, text)


def _gate_text(verdict: Verdict, gate: str) -> str:
    mine = [
        r for r in verdict.results if r.gate == gate and (gate == PROJECT or r.check == "target")
    ]
    if not mine:
        return ""
    failed = [r for r in mine if r.outcome is Outcome.FAIL]
    if failed:
        text = SEP + "failed: " + ", ".join(_short(r) for r in failed)
        return text + (SEP + "informational" if verdict.informational else "")
    passed = [r for r in mine if r.outcome is Outcome.PASS]
    if passed:
        return SEP + ", ".join(_short(r) for r in passed)
    return SEP + "gate not evaluated"


def _short(result: GateResult) -> str:
    what = "target" if result.check == "target" else "max drop"
    return f"{what} {display.number(result.threshold)}%"


def _payload(inp: FeedbackInput, gate: str, verdict: Verdict, text: str) -> StatusPayload:
    state = "failure" if verdict.gate_state(gate) is State.FAILURE else "success"
    return StatusPayload(context(gate, inp.flag), state, description(text), inp.links.report)


def pending(flag: str = DEFAULT_FLAG, target_url: str | None = None) -> tuple[StatusPayload, ...]:
    """Both statuses while the coverage is being processed."""
    return tuple(
        StatusPayload(context(g, flag), "pending", "coverage is being processed", target_url)
        for g in (PROJECT, PATCH)
    )


def errored(
    reason: str, flag: str = DEFAULT_FLAG, target_url: str | None = None
) -> tuple[StatusPayload, ...]:
    """Both statuses when processing failed (never leave one pending); ``reason`` is cut."""
    return tuple(
        StatusPayload(context(g, flag), "error", description(reason), target_url)
        for g in (PROJECT, PATCH)
    )
