"""The one sticky PR comment (pure): rendering, size budget, and whether to post at all.

Decisions:

* **One comment per pull request**, with a section per flag (what users prefer over one comment
  per flag: less noise, one place to look). It starts with :data:`MARKER`; the wiring finds it
  among *all* comments by the marker **and** this App as author, and updates it in place.
* The second line carries a digest of what the comment *says* (figures, gates, rows, uncovered
  lines; not commit ids or links). ``on_change`` compares it with the previous comment's digest.
* Size budget: GitHub refuses bodies over 65,536 characters; we aim for :data:`BUDGET` (65,000,
  headroom for counting differences). Sections shrink progressively (:data:`LEVELS`: fewer rows,
  unlinked ranges, fewer files, then summary only) and only then the text is cut at a line end
  with a note (the marker and digest stay at the top, open ``<details>`` are closed).
* File names are escaped (markdown, HTML, table pipes, mentions).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.feedback import display, texts
from app.feedback.gates import State, Verdict
from app.feedback.inputs import FeedbackInput
from app.feedback.rows import FileRow, rows
from app.repoconfig import CommentConfig

MARKER = "<!-- coverhub:sticky -->"
MAX_BODY = 65_536
BUDGET = 65_000
_DIGEST = re.compile(r"<!-- coverhub:digest ([0-9a-f]{16}) -->")
TRUNCATED = "*(comment truncated to fit GitHub's size limit; see the full report)*"


@dataclass(frozen=True, slots=True)
class FlagResult:
    """One flag's input and verdict, as the comment shows it."""

    inp: FeedbackInput
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A flag's result with its rows and uncovered ranges, computed once per render."""

    result: FlagResult
    rows: list[FileRow]
    uncovered: list[tuple[str, list[texts.LineRange]]]


@dataclass(frozen=True, slots=True)
class Level:
    """How much detail to render: the first level whose body fits the budget is used."""

    max_rows: int | None  # None: the configured max_files
    ranges_linked: bool
    uncovered_files: int | None  # None: all
    detail: bool = True  # False: headline, totals and gates only


LEVELS = (
    Level(None, True, None),  # everything, each range linked to its line
    Level(None, False, None),  # ranges unlinked (one link per file)
    Level(None, False, 100),
    Level(100, False, 50),
    Level(25, False, 20),
    Level(10, False, 10),
    Level(0, False, 0, detail=False),  # headline, totals and gates only
)


@dataclass(frozen=True, slots=True)
class Comment:
    body: str
    digest: str
    notable: bool  # something to say versus the base (for on_change without a prior comment)
    pr_number: int | None


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reason: str


def render(
    results: Sequence[FlagResult], config: CommentConfig, *, budget: int = BUDGET
) -> Comment:
    """The comment for all flags of one PR head (flags in the given order)."""
    if not results:
        raise ValueError("a comment needs at least one flag's result")
    prepared = [_Prepared(r, rows(r.inp), texts.uncovered(r.inp)) for r in results]
    digest = _digest(prepared)
    body = ""
    for level in LEVELS:
        body = _body(prepared, config, level, digest)
        if len(body) <= budget:
            break
    else:
        # the marker and digest lines stay whatever is cut
        marker, digest_line, rest = body.split("\n", 2)
        top = f"{marker}\n{digest_line}\n"
        body = top + texts.fit(rest, max(budget - len(top), 0), TRUNCATED)
    notable = any(_notable(r) for r in results)
    return Comment(body, digest, notable, results[0].inp.pr_number)


def is_sticky(body: str | None) -> bool:
    """Whether ``body`` carries the marker (the author must also be this App: check that too)."""
    return body is not None and body.startswith(MARKER)


def digest_of(body: str | None) -> str | None:
    match = _DIGEST.search(body or "", 0, 400)
    return match.group(1) if match else None


def decide(when: str, comment: Comment, previous: str | None) -> Decision:
    """Create, update or leave the sticky comment; ``previous`` is its current body, if any.

    ``never`` posts nothing; ``always`` creates or updates (an identical body is left alone);
    ``on_change`` updates only when the digest differs and, with no prior comment, creates one
    only when there is something to say (a change versus the base, measurable changed lines, a
    failed gate, or no base at all).
    """
    if comment.pr_number is None:
        return Decision(Action.SKIP, "not a pull request")
    if when == "never":
        return Decision(Action.SKIP, "comments are off (comment.when: never)")
    if previous is None:
        if when == "on_change" and not comment.notable:
            return Decision(Action.SKIP, "nothing changed versus the base")
        return Decision(Action.CREATE, "no comment yet")
    if previous == comment.body:
        return Decision(Action.SKIP, "the comment already says this")
    if when == "on_change" and digest_of(previous) == comment.digest:
        return Decision(Action.SKIP, "nothing changed since the last comment")
    return Decision(Action.UPDATE, "the figures changed" if when == "on_change" else "new result")


def _notable(result: FlagResult) -> bool:
    inp, comparison = result.inp, result.inp.comparison
    if comparison is None or result.verdict.failures():
        return True
    if comparison.native_delta or comparison.unified_delta or comparison.changed_files():
        return True
    return inp.patch is not None and inp.patch.total > 0


def _digest(prepared: Sequence[_Prepared]) -> str:
    h = hashlib.sha256()
    for p in prepared:
        r = p.result
        inp = r.inp
        parts: list[str] = [
            inp.flag,
            texts.total_text(inp),
            texts.patch_text(inp),
            r.verdict.state.value,
        ]
        parts += [f"{g.label}|{g.outcome.value}|{g.reason}" for g in r.verdict.results]
        parts += ["|".join(row.key()) for row in p.rows]
        parts += [f"{path}|{'/'.join(x.label for x in rs)}" for path, rs in p.uncovered]
        parts += list(inp.not_measured)
        for part in parts:
            h.update(part.encode("utf-8", "surrogatepass") + b"\0")
        h.update(b"\1")
    return h.hexdigest()[:16]


def _overall(results: Sequence[FlagResult]) -> State:
    states = {r.verdict.state for r in results}
    if State.FAILURE in states:
        return State.FAILURE
    return State.NEUTRAL if State.NEUTRAL in states else State.SUCCESS


def _body(prepared: Sequence[_Prepared], config: CommentConfig, level: Level, digest: str) -> str:
    results = [p.result for p in prepared]
    head = results[0].inp.head_sha
    lines = [
        MARKER,
        f"<!-- coverhub:digest {digest} -->",
        f"## {texts.STATE_ICON[_overall(results)]} Coverage for {display.short_sha(head)}",
        "",
    ]
    many = len(results) > 1
    if many:
        lines += [
            "| Flag | Total | Patch | Gates |",
            "|---|---:|---:|---|",
            *(
                f"| {texts.escape(r.inp.flag)} | {texts.total_text(r.inp)} | "
                f"{_patch_short(r.inp)} | {texts.STATE_ICON[r.verdict.state]} "
                f"{texts.escape(r.verdict.summary())} |"
                for r in results
            ),
            "",
        ]
    for p in prepared:
        lines += _section(p, config, level, many)
    return "\n".join(lines)


def _patch_short(inp: FeedbackInput) -> str:
    patch = inp.patch
    if patch is None or patch.total == 0:
        return display.DASH
    return display.patch_percent(patch)


def _section(p: _Prepared, config: CommentConfig, level: Level, many: bool) -> list[str]:
    inp, verdict = p.result.inp, p.result.verdict
    sections = config.sections
    lines: list[str] = []
    if many:
        lines += [f"### {texts.STATE_ICON[verdict.state]} {texts.escape(inp.flag)}", ""]
    lines += [
        f"**{texts.total_text(inp)}** · patch **{_patch_short(inp)}** · {verdict.summary()}",
        "",
    ]
    if "summary" in sections:
        lines += [*texts.totals_block(inp), ""]
    if "gates" in sections and verdict.results:
        lines += ["**Gates**", "", *texts.gate_lines(verdict), ""]
    if level.detail and "files" in sections:
        lines += _files(inp, p.rows, config, level)
    if level.detail and "uncovered" in sections:
        lines += _uncovered(inp, p.uncovered, level)
    if level.detail and inp.not_measured:
        limit = 50 if level.ranges_linked else 10
        lines += [
            f"Not measured (no patch or no coverage data): {texts.names(inp.not_measured, limit)}",
            "",
        ]
    lines += [f"[Full report]({inp.links.report})", ""]
    return lines


def _files(
    inp: FeedbackInput, all_rows: list[FileRow], config: CommentConfig, level: Level
) -> list[str]:
    if not all_rows:
        return []
    limit = config.max_files if level.max_rows is None else min(level.max_rows, config.max_files)
    shown = all_rows[:limit]
    change = "Δ" if inp.comparison is None or inp.comparison.native_comparable else "Δ (unified)"
    out = [
        f"<details><summary>Changed files ({len(all_rows)}), largest impact first</summary>",
        "",
    ]
    if shown:
        out += [f"| File | Coverage | {change} | Patch |", "|---|---:|---:|---:|"]
        out += [_row(inp, row) for row in shown]
        out.append("")
    rest = len(all_rows) - len(shown)
    if rest:
        out += [f"and {texts.plural(rest, 'more file')} ([full report]({inp.links.report}))", ""]
    return [*out, "</details>", ""]


def _row(inp: FeedbackInput, row: FileRow) -> str:
    name = texts.escape(row.path)
    url = inp.links.file_url(row.path)
    cell = f"[{name}]({url})" if url else name
    if row.renamed_from:
        cell += f" (renamed from {texts.escape(row.renamed_from)})"
    if row.indirect:
        cell += " *(indirect)*"
    return f"| {cell} | {row.coverage} | {row.change} | {row.patch} |"


def _uncovered(
    inp: FeedbackInput, files: list[tuple[str, list[texts.LineRange]]], level: Level
) -> list[str]:
    if not files:
        return []
    count = sum(len(r.lines) for _, rs in files for r in rs)
    shown = files if level.uncovered_files is None else files[: level.uncovered_files]
    out = [
        f"<details><summary>Uncovered changed lines ({count} in "
        f"{texts.plural(len(files), 'file')})</summary>",
        "",
    ]
    for path, ranges in shown:
        name = texts.escape(path)
        url = inp.links.file_url(path)
        label = f"[{name}]({url})" if url else name
        if level.ranges_linked:
            spans = [_linked(inp, path, r.start, r.label) for r in ranges]
        else:
            spans = [r.label for r in ranges]
        out.append(f"- {label}: {', '.join(spans)}")
    rest = len(files) - len(shown)
    if rest:
        out.append(f"- and {texts.plural(rest, 'more file')} ([full report]({inp.links.report}))")
    return [*out, "", "</details>", ""]


def _linked(inp: FeedbackInput, path: str, line: int, label: str) -> str:
    url = inp.links.line_url(path, line)
    return f"[{label}]({url})" if url else label
