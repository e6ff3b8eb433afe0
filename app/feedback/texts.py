"""Markdown fragments shared by the check run summary and the PR comment (pure).

Also the uncovered changed line ranges (what annotations and the comment list) and the
size-fitting helper both bodies use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.feedback import display
from app.feedback.gates import GateResult, Outcome, State, Verdict
from app.feedback.inputs import FeedbackInput

ICON = {Outcome.PASS: "✅", Outcome.FAIL: "❌", Outcome.SKIP: "⚪"}
STATE_ICON = {State.SUCCESS: "✅", State.FAILURE: "❌", State.NEUTRAL: "⚪"}


@dataclass(frozen=True, slots=True)
class LineRange:
    """A span of a file to point at (``start``..``end``) and the uncovered lines in it."""

    start: int
    end: int
    lines: tuple[int, ...]

    @property
    def label(self) -> str:
        return runs(self.lines)


def runs(lines: Iterable[int]) -> str:
    """Sorted line numbers as runs: (3, 4, 5, 9) -> "3-5, 9"."""
    parts: list[str] = []
    start = prev = None
    for line in sorted(set(lines)):
        if prev is not None and line == prev + 1:
            prev = line
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = line
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}-{prev}")
    return ", ".join(parts)


def uncovered(inp: FeedbackInput) -> list[tuple[str, list[LineRange]]]:
    """Per file of the patch (in the patch's order), its uncovered changed lines as ranges.

    Two uncovered changed lines join one range when no covered line lies between them (lines
    the report does not measure, such as blanks and comments, do not split a range).
    """
    if inp.patch is None:
        return []
    out: list[tuple[str, list[LineRange]]] = []
    for pf in inp.patch.files:
        if not pf.missing:
            continue
        head_file = inp.head.files.get(pf.path)
        hits = head_file.lines if head_file is not None else None
        groups: list[list[int]] = []
        for line in pf.missing:
            if groups:
                last = groups[-1][-1]
                between = range(last + 1, line)
                if (hits is None and not between) or (
                    hits is not None and all(hits.get(n, 0) == 0 for n in between)
                ):
                    groups[-1].append(line)
                    continue
            groups.append([line])
        out.append((pf.path, [LineRange(g[0], g[-1], tuple(g)) for g in groups]))
    return out


def tool_label(inp: FeedbackInput) -> str:
    return f"{inp.head.format}, {inp.head.unit}"


def total_text(inp: FeedbackInput) -> str:
    """ "82.3% (+1.2%)": the native headline and its change (native when comparable)."""
    head = display.headline(inp.head)
    comparison = inp.comparison
    if comparison is None:
        return head
    if comparison.native_comparable:
        return f"{head} ({display.delta(comparison.native_delta)})"
    return f"{head} (unified {display.delta(comparison.unified_delta)})"


def base_text(inp: FeedbackInput) -> str:
    choice = inp.base_choice
    if choice.sha is None:
        return "none: no base report found, so no change is shown"
    return f"{display.short_sha(choice.sha)}, {choice.why()}"


def patch_text(inp: FeedbackInput) -> str:
    patch = inp.patch
    if patch is None:
        text = "no diff to measure"
    elif patch.total == 0:
        text = "no measurable lines changed"
    else:
        lines = "line" if patch.total == 1 else "lines"
        text = (
            f"{display.patch_percent(patch)} ({patch.covered} of {patch.total} changed {lines} "
            f"covered)"
        )
    missing = len(inp.not_measured)
    if missing:
        text += f"; {missing} file{'s' if missing != 1 else ''} not measured"
    if inp.files_capped:
        text += "; the PR lists more than 3000 files, later ones not measured"
    return text


def totals_block(inp: FeedbackInput) -> list[str]:
    """The headline figures as a two-column markdown table."""
    head = inp.head
    native = head.native_totals()
    rows = [
        (
            "Total",
            f"{display.headline(head)} ({tool_label(inp)}: {native.covered} of {native.total})",
        ),
        (
            "Unified line metric",
            f"{display.unified(head.line_totals())} (hits / (hits + partials + misses))",
        ),
    ]
    comparison = inp.comparison
    if comparison is not None:
        native_change = (
            display.delta(comparison.native_delta)
            if comparison.native_comparable
            else f"n/a (base is {inp.base.format if inp.base else '?'}, head is {head.format})"
        )
        rows.append(
            ("Change", f"{native_change} (unified {display.delta(comparison.unified_delta)})")
        )
    rows.append(("Base", base_text(inp)))
    rows.append(("Patch", patch_text(inp)))
    return ["| | |", "|---|---|", *(f"| **{k}** | {v} |" for k, v in rows)]


def gate_lines(verdict: Verdict) -> list[str]:
    if not verdict.results:
        return ["No gates configured."]
    lines = [f"- {ICON[r.outcome]} **{r.label}**: {_reason(r)}" for r in verdict.results]
    if verdict.informational and verdict.failures():
        lines.append("- Informational mode: failures are reported but do not fail the check.")
    return lines


def _reason(result: GateResult) -> str:
    return result.reason


def fit(text: str, limit: int, note: str) -> str:
    """``text`` if it fits ``limit`` characters, else cut at a line end plus ``note``.

    Open ``<details>`` blocks in the kept part are closed so the rest still renders.
    """
    if len(text) <= limit:
        return text
    room = limit - len(note) - 64
    cut = text.rfind("\n", 0, max(room, 0))
    kept = text[: max(cut, 0)]
    opened = kept.count("<details") - kept.count("</details>")
    tail = "\n</details>" * max(opened, 0)
    result = f"{kept}{tail}\n\n{note}\n"
    return result if len(result) <= limit else display.truncate(note, limit)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def names(paths: Sequence[str], limit: int) -> str:
    """Escaped, comma-separated file names, at most ``limit`` of them, then "and N more"."""
    shown = ", ".join(escape(p) for p in paths[:limit])
    rest = len(paths) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


def escape(path: str) -> str:
    return display.escape_md(path)
