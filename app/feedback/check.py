"""The check run of one commit and flag (pure): name, conclusion, output, annotations.

* name: ``coverhub``, or ``coverhub (flag)`` for a flag other than "default";
* conclusion from the :class:`~app.feedback.gates.Verdict` (success, failure, neutral);
* output: a title and a markdown summary (totals native and labelled unified, change, patch, the
  base commit and why, gate results), at most 65,535 characters (cut with a note otherwise);
* annotations on uncovered changed lines, warning level, one per merged range, capped at
  :data:`ANNOTATION_CAP` in total with the number left out said in the summary, and sent in
  batches of at most 50 (GitHub's per-request limit; further PATCH calls append);
* ``external_id`` carries what a re-run needs (:class:`ExternalId`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.feedback import display, texts
from app.feedback.gates import Verdict
from app.feedback.inputs import DEFAULT_FLAG, FeedbackInput

MAX_SUMMARY = 65_535
MAX_TITLE = 255
BATCH = 50
ANNOTATION_CAP = 500
RERUN_ACTION = {
    "label": "Re-run coverage",
    "description": "Fetch the artifacts and report again",
    "identifier": "rerun",
}
TRUNCATED = "*(summary truncated to fit GitHub's limit; see the full report)*"


def check_name(flag: str = DEFAULT_FLAG) -> str:
    return "coverhub" if flag == DEFAULT_FLAG else f"coverhub ({flag})"


#: The longest ``external_id`` coverhub writes, in UTF-8 bytes. GitHub's REST description gives
#: the field no maximum (``"type": "string"``, checks/create and checks/update), so this is our
#: own bound: 255 is the common width of a string column, and counting bytes keeps it whichever
#: way GitHub counts. :meth:`ExternalId.encode` never exceeds it.
MAX_EXTERNAL_ID = 255
_EXTERNAL_ID = re.compile(r"coverhub:2:(\d{1,19}):(\d{1,10}):(\d{0,19}):(.{0,100})", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ExternalId:
    """What a re-run needs: the workflow run and its attempt, the PR (if any) and the flag.

    Encoded as ``coverhub:2:<run id>:<attempt>:<pr or empty>:<flag>`` (the flag last: it may
    hold ":"), at most :data:`MAX_EXTERNAL_ID` UTF-8 bytes. A flag that would not fit (flags are
    up to 100 characters, up to 400 bytes) is left out, the field empty; it decodes as
    ``flag=None``, "not recorded" (the check run's name says it: ``coverhub (flag)``). The run and
    attempt, what a re-run re-processes, always fit.

    :meth:`decode` also reads the JSON form ``{"run_id": 1, "attempt": 2}`` that check runs
    written before this format carry (flag and PR not recorded there).
    """

    run_id: int
    flag: str | None = DEFAULT_FLAG
    pr_number: int | None = None
    attempt: int = 1

    def encode(self) -> str:
        pr = "" if self.pr_number is None else str(self.pr_number)
        head = f"coverhub:2:{self.run_id}:{self.attempt}:{pr}:"
        text = head + (self.flag or "")
        if len(text.encode("utf-8")) > MAX_EXTERNAL_ID or len(self.flag or "") > 100:
            return head
        return text

    @classmethod
    def decode(cls, text: str | None) -> ExternalId | None:
        """The id in ``text``, or ``None`` for anything this App did not write."""
        if text and text.startswith("{"):
            return cls._decode_json(text)
        match = _EXTERNAL_ID.fullmatch(text or "")
        if match is None or int(match.group(2)) < 1:
            return None
        pr = int(match.group(3)) if match.group(3) else None
        return cls(int(match.group(1)), match.group(4) or None, pr, int(match.group(2)))

    @classmethod
    def _decode_json(cls, text: str) -> ExternalId | None:
        try:
            data = json.loads(text)
            run_id = data["run_id"]
            attempt = data.get("attempt") or 1
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        numbers = (run_id, attempt)
        if not all(type(n) is int and 0 < n < 2**63 for n in numbers):
            return None
        return cls(run_id, None, None, attempt)


@dataclass(frozen=True, slots=True)
class Annotation:
    path: str
    start_line: int
    end_line: int
    message: str
    title: str

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "annotation_level": "warning",
            "title": self.title,
            "message": self.message,
        }


def annotate(inp: FeedbackInput, cap: int = ANNOTATION_CAP) -> tuple[list[Annotation], int]:
    """Annotations on uncovered changed lines (first ``cap``) and how many were left out."""
    out: list[Annotation] = []
    total = 0
    for path, ranges in texts.uncovered(inp):
        for r in ranges:
            total += 1
            if len(out) >= cap:
                continue
            count = len(r.lines)
            which = f"line {r.label} is" if count == 1 else f"lines {r.label} are"
            out.append(
                Annotation(
                    path,
                    r.start,
                    r.end,
                    f"Added {which} not covered by tests.",
                    "Uncovered change" if count == 1 else f"{count} uncovered changed lines",
                )
            )
    return out, total - len(out)


def batches(items: Sequence[Annotation], size: int = BATCH) -> list[list[dict[str, Any]]]:
    """``items`` as request-sized lists of annotation objects (never more than 50 each)."""
    size = min(size, BATCH)
    return [[a.to_json() for a in items[i : i + size]] for i in range(0, len(items), size)]


@dataclass(frozen=True, slots=True)
class CheckRun:
    """A completed check run; :meth:`requests` gives the bodies to send, in order."""

    name: str
    head_sha: str
    conclusion: str
    title: str
    summary: str
    details_url: str | None
    external_id: str | None
    annotations: tuple[Annotation, ...] = ()

    def output(self, batch: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title, "summary": self.summary}
        if batch:
            out["annotations"] = list(batch)
        return out

    def requests(self) -> list[dict[str, Any]]:
        """The create/complete body (first 50 annotations), then one update per further 50."""
        parts = batches(self.annotations) or [[]]
        first: dict[str, Any] = {
            "name": self.name,
            "head_sha": self.head_sha,
            "status": "completed",
            "conclusion": self.conclusion,
            "output": self.output(parts[0]),
            "actions": [RERUN_ACTION],
        }
        if self.details_url is not None:
            first["details_url"] = self.details_url
        if self.external_id is not None:
            first["external_id"] = self.external_id
        return [first, *({"output": self.output(batch)} for batch in parts[1:])]


def title(inp: FeedbackInput, verdict: Verdict) -> str:
    """ "82.3% (+1.2%) · patch 90% · all gates passed"."""
    parts = [texts.total_text(inp)]
    patch = inp.patch
    if patch is not None and patch.total:
        parts.append(f"patch {display.patch_percent(patch)}")
    parts.append(verdict.summary())
    return display.truncate(" · ".join(parts), MAX_TITLE)


def summary(inp: FeedbackInput, verdict: Verdict, left_out: int = 0) -> str:
    """The markdown summary, at most 65,535 characters."""
    head = texts.STATE_ICON[verdict.state]
    flag = f" for flag {texts.escape(inp.flag)}" if inp.named_flag else ""
    lines = [
        f"## {head} Coverage{flag}: {texts.total_text(inp)}",
        "",
        *texts.totals_block(inp),
        "",
        "### Gates",
        "",
        *texts.gate_lines(verdict),
    ]
    ranges = texts.uncovered(inp)
    if ranges:
        count = sum(len(r.lines) for _, rs in ranges for r in rs)
        lines += [
            "",
            "### Uncovered changed lines",
            "",
            f"{texts.plural(count, 'changed line')} in {texts.plural(len(ranges), 'file')} "
            f"{'is' if count == 1 else 'are'} not covered; they are annotated in the diff.",
        ]
        if left_out:
            lines.append(
                f"{texts.plural(left_out, 'annotation')} left out (at most "
                f"{ANNOTATION_CAP} are shown)."
            )
    missing = inp.not_measured
    if missing:
        lines += ["", f"Not measured (no patch or no coverage data): {texts.names(missing, 50)}"]
    if inp.config_problems:
        lines += ["", "### Configuration problems (defaults apply)", ""]
        lines += [f"- {texts.escape(p)}" for p in inp.config_problems[:100]]
    lines += ["", f"[Full report]({inp.links.report})", ""]
    return texts.fit("\n".join(lines), MAX_SUMMARY, TRUNCATED)


def check_run(
    inp: FeedbackInput,
    verdict: Verdict,
    *,
    run_id: int | None = None,
    annotation_cap: int = ANNOTATION_CAP,
) -> CheckRun:
    """The completed check run of ``inp`` with ``verdict``.

    ``run_id`` (the workflow run) goes into ``external_id`` with the flag and the PR number.
    """
    notes, left_out = annotate(inp, annotation_cap)
    return CheckRun(
        name=check_name(inp.flag),
        head_sha=inp.head_sha,
        conclusion=verdict.state.value,
        title=title(inp, verdict),
        summary=summary(inp, verdict, left_out),
        details_url=inp.links.report,
        external_id=(
            None if run_id is None else ExternalId(run_id, inp.flag, inp.pr_number).encode()
        ),
        annotations=tuple(notes),
    )


def errored(name: str, head_sha: str, reason: str, details: str = "") -> dict[str, Any]:
    """The body that completes a check whose processing failed (a clear title and summary)."""
    text = f"## Coverage could not be processed\n\n{texts.escape(reason)}\n"
    if details:
        text += f"\n```\n{details.replace('```', '` ` `')}\n```\n"
    return {
        "name": name,
        "head_sha": head_sha,
        "status": "completed",
        "conclusion": "failure",
        "output": {
            "title": display.truncate(f"Coverage could not be processed: {reason}", MAX_TITLE),
            "summary": texts.fit(text, MAX_SUMMARY, TRUNCATED),
        },
        "actions": [RERUN_ACTION],
    }
